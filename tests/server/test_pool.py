"""PostgreSQL's pool gives a connection back rolled back, without the reset query Convene has nothing for."""

from __future__ import annotations

import pytest

from server.db import engine_from_url
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="the pool is PostgreSQL's")

_WRITE = "INSERT INTO login_attempt (address, email_hash, created_at) VALUES ('192.0.2.1', 'x', now())"


async def test_a_connection_given_back_is_rolled_back_and_sent_nothing_more(database):
    engine = engine_from_url(TEST_DATABASE_URL)
    await engine.start_connection_pool(min_size=1, max_size=1)
    sent: list[str] = []
    try:
        async with engine.pool.acquire() as connection:
            connection.add_query_logger(lambda record: sent.append(record.query))
            await connection.execute("BEGIN")
            await connection.execute(_WRITE)  # never committed: a request that failed half-way
        async with engine.pool.acquire() as again:  # the same connection: the pool holds one
            in_transaction = again.is_in_transaction()
            attempts = await again.fetchval("SELECT count(*) FROM login_attempt")
    finally:
        await engine.close_connection_pool()

    assert (in_transaction, attempts) == (False, 0)
    # Before, the default reset query followed the ROLLBACK on every release (one more round trip a request).
    assert sent == ["BEGIN", _WRITE, "ROLLBACK", "SELECT count(*) FROM login_attempt"]
