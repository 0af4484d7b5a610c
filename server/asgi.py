"""Entry point for uvicorn's worker processes (``convene serve``): settings come from the environment."""

import os

from litestar import Litestar

from server.app import create_app


def create() -> Litestar:
    return create_app(with_worker=os.environ.get("CONVENE_WITH_WORKER") == "1")
