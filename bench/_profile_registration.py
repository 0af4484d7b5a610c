"""Profile one registration request on PostgreSQL: the app (or, with ``APP=baseline``, the baseline) served by
uvicorn inside this process under cProfile, registrations sent one at a time by the burst's client.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/convene_bench_prof python -m bench._profile_registration

The database's schema is dropped and migrated first (use a database of its own). Prints the process's CPU per
request (the client included) and the 30 entries with the largest cumulative time; writes ``var/bench/<app>.prof``
for ``pstats``. ``N`` sets the number of requests (400), ``PROFILE=0`` measures without the profiler.
Not run by ``make bench`` (its name starts with an underscore).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import time

import uvicorn

from bench import registration_burst as burst

N = int(os.environ.get("N", "400"))
APP = os.environ.get("APP", "convene")


def _app_and_path(session_id: int):
    os.environ.update({
        "DATABASE_URL": burst.DATABASE_URL, "BASELINE_DATABASE_URL": burst.DATABASE_URL, "RATE_LIMIT": "off",
        "SECRET_KEY": "bench-secret-key-0123456789", "CONVENE_VAR_DIR": str(burst.ROOT / "var" / "bench"),
    })
    if APP == "baseline":
        from bench.baseline_registration import app
        return app, f"/sessions/{session_id}/registrations"
    from server.asgi import create
    return create(), f"/api/v1/sessions/{session_id}/registrations"


async def main() -> None:
    await burst._prepare_database()
    session_id = await burst._new_session()
    app, path = _app_and_path(session_id)
    port = burst._free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", access_log=False))
    serving = asyncio.create_task(server.serve())
    await burst._wait_until_up(port, "/health")
    await burst._send([port], path, N, 50, 1)  # warm: the pool's connections, the statements
    profile = cProfile.Profile()
    cpu, started = time.process_time(), time.perf_counter()
    if os.environ.get("PROFILE", "1") == "1":
        profile.enable()
    result = await burst._send([port], path, 0, N, 1)
    profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    print(f"{APP}: {N} registrations one at a time, {result.errors} errors, process CPU {cpu / N * 1e6:.0f} µs "
          f"a request (client included), wall {wall / N * 1e6:.0f} µs")
    server.should_exit = True
    await serving
    out = burst.ROOT / "var" / "bench" / f"{APP}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(out)
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
