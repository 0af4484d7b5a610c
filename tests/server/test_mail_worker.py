"""The outbox worker against a real SMTP server: faults, retries, leases, a killed worker, .eml files."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy

import pytest

from registrations import notifications
from registrations.tables import Registration
from server.app import MAIL_BUILDERS
from server.mail.worker import WorkerOptions, claim_batch, deliver_due, run_worker
from server.settings import Settings
from server.tables import OutboxMessage
from tests.conftest import TEST_DATABASE_URL, TEST_SECRET
from tests.mail_data import make_registration, make_session
from tests.smtp_server import (
    ROOT,
    SmtpServer,
)

FAST = WorkerOptions(backoff_seconds=0.01, backoff_max_seconds=0.02)


async def queue_pending(count: int, *, start: int = 0) -> list[str]:
    """``count`` registration-pending messages (no invite), one per new registrant; returns the addresses."""
    session = await make_session()
    addresses = [f"person{n}@example.org" for n in range(start, start + count)]
    for address in addresses:
        reg = await make_registration(session["id"], address, status="pending")
        await notifications.notify_registration_pending(reg, settings=Settings(secret_key=TEST_SECRET))
    return addresses


async def statuses() -> list[tuple[str, str, int]]:
    rows = await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.status, OutboxMessage.attempts).order_by(
        OutboxMessage.id
    )
    return [(r["to_address"], r["status"], r["attempts"]) for r in rows]


async def make_due() -> None:
    """Bring every backoff to now (the test stands in for the clock moving on)."""
    await OutboxMessage.update({OutboxMessage.next_attempt_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        OutboxMessage.status == "queued"
    )


async def test_temporary_451_is_retried_then_delivered_once(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(1)
    smtp.sink.temporary_failures = 1

    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    after_refusal = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.last_error).first()
    await make_due()
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert after_refusal == {"status": "queued", "last_error": "451 4.3.0 Try again later"}
    assert [r.recipients for r in smtp.sink.take(1)] == [["person0@example.org"]]
    assert await statuses() == [("person0@example.org", "sent", 2)]


async def test_backoff_grows_with_attempts_and_has_jitter():
    from server.mail.worker import retry_delay

    options = WorkerOptions(backoff_seconds=10, backoff_max_seconds=1000)
    delays = [retry_delay(attempt, options) for attempt in (1, 2, 3, 4)]

    assert [5 <= d <= 10 for d in delays[:1]] == [True]
    assert (10 <= delays[1] <= 20, 20 <= delays[2] <= 40, 40 <= delays[3] <= 80) == (True, True, True)
    assert 500 <= retry_delay(30, options) <= 1000


async def test_refused_connection_delays_mail_until_server_returns(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(2)
    smtp.stop()

    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)
    while_down = await statuses()
    smtp.start()
    await make_due()
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert while_down == [("person0@example.org", "queued", 0), ("person1@example.org", "queued", 0)]
    assert sorted(r.recipients[0] for r in smtp.sink.take(2)) == ["person0@example.org", "person1@example.org"]
    assert await statuses() == [("person0@example.org", "sent", 1), ("person1@example.org", "sent", 1)]


async def test_550_for_one_address_fails_it_with_reason_and_others_go(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(3)
    smtp.sink.refuse_recipients["person1@example.org"] = "550 5.1.1 No such user here"

    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=FAST)

    assert sorted(r.recipients[0] for r in smtp.sink.take(2)) == ["person0@example.org", "person2@example.org"]
    assert await statuses() == [
        ("person0@example.org", "sent", 1),
        ("person1@example.org", "failed", 1),
        ("person2@example.org", "sent", 1),
    ]
    failed = await OutboxMessage.select(OutboxMessage.last_error).where(OutboxMessage.status == "failed").first()
    assert failed["last_error"] == "550 5.1.1 No such user here"


async def test_gives_up_after_max_attempts(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(1)
    smtp.sink.temporary_failures = 10
    options = dataclasses.replace(FAST, max_attempts=2)

    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)
    await make_due()
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)

    row = await OutboxMessage.select(OutboxMessage.status, OutboxMessage.last_error).first()
    assert row == {"status": "failed", "last_error": "gave up after 2 attempts: 451 4.3.0 Try again later"}


async def test_without_smtp_url_mail_is_written_as_eml_files(settings: Settings, smtp: SmtpServer, database: str):
    await queue_pending(1)

    await deliver_due(settings, builders=MAIL_BUILDERS, options=FAST)

    row = await OutboxMessage.select().first()
    files = list((settings.var_dir / "mail").glob("*.eml"))
    assert row["status"] == "sent"
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert (message["To"], message["Message-ID"]) == ("person0@example.org", row["message_id"])


async def test_a_leased_row_is_not_claimed_twice(mail_settings: Settings):
    await queue_pending(3)

    first, _lease = await claim_batch(2, 60)
    second, _lease = await claim_batch(10, 60)
    third, _lease = await claim_batch(10, 60)

    assert ([r["id"] for r in first], [r["id"] for r in second], third) == ([1, 2], [3], [])


async def test_expired_lease_frees_the_row(mail_settings: Settings):
    await queue_pending(1)

    first, _lease = await claim_batch(10, -1)  # a lease already over: its worker died
    again, _lease = await claim_batch(10, 60)

    assert ([r["id"] for r in first], [r["id"] for r in again]) == ([1], [1])


async def test_concurrent_claims_share_rows_without_overlap(mail_settings: Settings):
    await queue_pending(40)

    batches = await asyncio.gather(*[claim_batch(7, 60) for _ in range(8)])

    claimed = [row["id"] for rows, _lease in batches for row in rows]
    assert sorted(claimed) == list(range(1, 41))


async def test_run_worker_delivers_and_runs_periodic_jobs_until_stopped(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(2)
    ran_with: list[Settings] = []
    ran = asyncio.Event()

    async def job(settings: Settings) -> None:
        ran_with.append(settings)
        ran.set()

    stop = asyncio.Event()
    options = dataclasses.replace(FAST, poll_seconds=0.05)
    task = asyncio.create_task(
        run_worker(mail_settings, builders=MAIL_BUILDERS, jobs={"test_job": job}, stop=stop, options=options)
    )
    await asyncio.wait_for(ran.wait(), 10)
    for _ in range(200):
        if len(smtp.sink.received) == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 10)

    assert ran_with[0] is mail_settings
    assert sorted(r.recipients[0] for r in smtp.sink.take(2)) == ["person0@example.org", "person1@example.org"]


def _worker_process(smtp: SmtpServer, var_dir) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": TEST_DATABASE_URL,
        "SMTP_URL": smtp.url,
        "SECRET_KEY": TEST_SECRET,
        "MAIL_FROM": "Convene Secretariat <events@convene.test>",
        "PUBLIC_URL": "http://convene.test",
        "CONVENE_VAR_DIR": str(var_dir),
        "CONVENE_MAIL_LEASE_SECONDS": "2",
        "CONVENE_MAIL_POLL_SECONDS": "0.1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def _wait_until(predicate) -> None:
    """Poll the database (another process writes it) for up to 30 s."""
    for _ in range(300):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_killed_worker_loses_nothing_and_sends_nothing_twice(
    mail_settings: Settings, smtp: SmtpServer, tmp_path
):
    addresses = await queue_pending(6)
    registrations_before = await Registration.select().order_by(Registration.id)
    smtp.sink.hold = threading.Event()  # the server stalls in the middle of the first message

    worker = _worker_process(smtp, tmp_path)
    try:
        assert await asyncio.to_thread(smtp.sink.data_started.wait, 30)
        os.kill(worker.pid, signal.SIGKILL)  # mid-batch: one message in flight, the rest claimed
        worker.wait(10)
    finally:
        smtp.sink.hold.set()
    mid_batch = await statuses()
    smtp.sink.hold = None

    restarted = _worker_process(smtp, tmp_path)
    try:
        async def all_sent() -> bool:
            return await OutboxMessage.count().where(OutboxMessage.status == "sent") == 6

        await _wait_until(all_sent)
    finally:
        restarted.terminate()
        restarted.wait(10)

    assert [status for _address, status, _attempts in mid_batch] == ["queued"] * 6
    received = smtp.sink.take(6)
    assert sorted(r.recipients[0] for r in received) == addresses
    ids = {r.message["Message-ID"] for r in received}
    assert ids == {row["message_id"] for row in await OutboxMessage.select(OutboxMessage.message_id)}
    assert await Registration.select().order_by(Registration.id) == registrations_before


@pytest.mark.engine_independent
def test_worker_options_read_from_environment():
    options = WorkerOptions.from_env({"CONVENE_MAIL_LEASE_SECONDS": "2", "CONVENE_MAIL_BATCH": "5"})

    assert (options.lease_seconds, options.batch_size, options.poll_seconds) == (2.0, 5, 2.0)


def _running_workers() -> list[asyncio.Task]:
    """The worker tasks running in this event loop."""
    return [task for task in asyncio.all_tasks() if getattr(task.get_coro(), "__name__", "") == "run_worker"]


async def test_serve_with_worker_delivers_in_process(mail_settings: Settings, smtp: SmtpServer):
    from server.app import create_app

    await queue_pending(1)
    async with create_app(mail_settings, with_worker=True).lifespan():
        assert len(_running_workers()) == 1
        for _ in range(100):  # the in-process worker polls; give it up to 10 s
            if smtp.sink.received:
                break
            await asyncio.sleep(0.1)

    assert [r.recipients for r in smtp.sink.take(1)] == [["person0@example.org"]]


async def test_plain_serve_sends_nothing(mail_settings: Settings, smtp: SmtpServer):
    from server.app import create_app

    await queue_pending(1)

    async with create_app(mail_settings).lifespan():
        running = _running_workers()  # the worker starts with the app or never: no time to wait for

    assert running == []
    assert await statuses() == [("person0@example.org", "queued", 0)]


async def test_slow_server_and_a_second_worker_send_each_message_once(mail_settings: Settings, smtp: SmtpServer):
    addresses = await queue_pending(6)
    smtp.sink.data_seconds = 0.3  # the batch outlasts its 1 s lease several times over
    options = dataclasses.replace(FAST, lease_seconds=1.0, lease_margin_seconds=0.6)
    first = asyncio.create_task(deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options))

    async def second_worker() -> None:
        while not first.done():
            await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)
            await asyncio.sleep(0.05)

    await asyncio.gather(first, second_worker())

    assert sorted(smtp.sink.take_by_recipient()) == addresses
    assert await statuses() == [(address, "sent", 1) for address in addresses]


async def test_unreachable_server_never_fails_a_message(mail_settings: Settings, smtp: SmtpServer):
    await queue_pending(1)
    options = dataclasses.replace(FAST, max_attempts=2)
    smtp.stop()

    for _round in range(3):
        await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)
        await make_due()
    while_down = await statuses()
    smtp.start()
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)

    assert while_down == [("person0@example.org", "queued", 0)]
    assert [r.recipients for r in smtp.sink.take(1)] == [["person0@example.org"]]
    assert await statuses() == [("person0@example.org", "sent", 1)]


async def test_an_outage_neither_counts_toward_giving_up_nor_grows_the_backoff(
    mail_settings: Settings, smtp: SmtpServer
):
    await queue_pending(1)
    options = WorkerOptions(backoff_seconds=10, backoff_max_seconds=1000, max_attempts=2)
    smtp.stop()  # the port now refuses connections

    waits = []
    for _round in range(5):
        await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)
        row = await OutboxMessage.select(OutboxMessage.next_attempt_at, OutboxMessage.last_error).first()
        waits.append((row["next_attempt_at"] - datetime.now(UTC)).total_seconds())
        await make_due()
    smtp.start()
    smtp.sink.temporary_failures = 1
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)  # the server is back and answers 451 once
    after_451 = await statuses()
    await make_due()
    await deliver_due(mail_settings, builders=MAIL_BUILDERS, options=options)

    # Each retry during the outage waits the first delay (5 to 10 seconds with jitter), never more.
    assert [4 <= wait <= 10 for wait in waits] == [True] * 5
    port = smtp.port
    assert row["last_error"] == (
        f"SMTPConnectError: Error connecting to 127.0.0.1 on port {port}: [Errno 111] Connect call failed "
        f"('127.0.0.1', {port})"
    )
    # Five refused connections did not count: the 451 is the first attempt, far from max_attempts=2.
    assert after_451 == [("person0@example.org", "queued", 1)]
    assert [r.recipients for r in smtp.sink.take(1)] == [["person0@example.org"]]
    assert await statuses() == [("person0@example.org", "sent", 2)]
