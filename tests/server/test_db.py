"""SQLite's writer: one at a time per process, on one write connection, without stalling the server."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from server.db import write_transaction
from server.tables import LoginAttempt
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="SQLite only")


def _attempt(address: str) -> LoginAttempt:
    return LoginAttempt(address=address, email_hash="x" * 64)


async def test_reads_go_on_while_a_writer_waits_for_another_process(database):
    engine = LoginAttempt._meta.db
    holder = sqlite3.connect(engine.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process (convene purge, say) holds the write lock

    async def write() -> None:
        async with write_transaction(engine):
            await LoginAttempt.insert(_attempt("10.0.0.1"))

    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    reads_meanwhile = await asyncio.wait_for(LoginAttempt.count(), timeout=2)  # the event loop is not blocked
    waiting = not writer.done()
    holder.execute("COMMIT")
    holder.close()
    await asyncio.wait_for(writer, timeout=10)

    assert (reads_meanwhile, waiting) == (0, True)
    assert await LoginAttempt.count() == 1


async def test_a_failed_transaction_leaves_the_write_connection_to_the_next_writer(database):
    engine = LoginAttempt._meta.db

    with pytest.raises(sqlite3.IntegrityError):
        async with write_transaction(engine):
            await LoginAttempt.insert(_attempt("10.0.0.2"))
            await LoginAttempt.raw("INSERT INTO login_attempt (id) SELECT id FROM login_attempt")
    async with write_transaction(engine):
        await LoginAttempt.insert(_attempt("10.0.0.3"))

    assert await LoginAttempt.select(LoginAttempt.address) == [{"address": "10.0.0.3"}]


async def test_writers_of_one_process_take_turns_in_arrival_order(database):
    engine = LoginAttempt._meta.db
    order: list[str] = []

    async def writer(name: str, hold: float) -> None:
        async with write_transaction(engine):
            order.append(f"{name} in")
            await LoginAttempt.insert(_attempt(name))
            await asyncio.sleep(hold)  # a transaction that awaits something else keeps the others out
            order.append(f"{name} out")

    await asyncio.gather(writer("a", 0.2), writer("b", 0), LoginAttempt.insert(_attempt("c")), writer("d", 0))

    assert order == ["a in", "a out", "b in", "b out", "d in", "d out"]
    assert [r["address"] for r in await LoginAttempt.select(LoginAttempt.address).order_by(LoginAttempt.id)] == [
        "a", "b", "c", "d"]


async def test_a_writer_cancelled_while_it_waits_for_another_process_leaves_no_transaction_open(database):
    engine = LoginAttempt._meta.db
    holder = sqlite3.connect(engine.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with write_transaction(engine):
            await LoginAttempt.insert(_attempt("10.0.0.4"))

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    waiting.cancel()
    await asyncio.sleep(0.1)
    holder.execute("COMMIT")  # the cancelled BEGIN IMMEDIATE now goes through in its thread
    holder.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(LoginAttempt.insert(_attempt("10.0.0.5")), timeout=5)

    assert await LoginAttempt.select(LoginAttempt.address) == [{"address": "10.0.0.5"}]
    assert await engine.run_ddl("SELECT 1 AS one") == [{"one": 1}]
