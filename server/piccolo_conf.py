"""Piccolo's configuration, for its migration runner and CLI: the engine comes from ``DATABASE_URL``."""

import os

from piccolo.conf.apps import AppRegistry

from server.db import APPS, engine_from_url

DB = engine_from_url(os.environ.get("DATABASE_URL", "sqlite:///var/convene.db"))

APP_REGISTRY = AppRegistry(apps=APPS)
