"""Entry point for uvicorn's worker processes (``convene serve``): settings come from the environment."""

import gc
import os

from litestar import Litestar

from server.app import create_app


def create() -> Litestar:
    app = create_app(with_worker=os.environ.get("CONVENE_WITH_WORKER") == "1")
    # What the process holds from here to its end (modules, the app and its routes, catalogues: about 140,000
    # objects) leaves the collector's view: a full collection over them stalled every request in flight for
    # ~80 ms, and came at random in the middle of a burst (p99 at concurrency 100, bench/registration_burst.py).
    gc.freeze()
    return app
