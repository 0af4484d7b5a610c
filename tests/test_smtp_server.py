"""The guard against unexpected mail, registered for every test by the plugin ``tests.smtp_server``: it fails a
test that uses ``smtp`` and leaves a received message unchecked, and passes one that takes it."""

from __future__ import annotations

import pytest

from tests.smtp_server import ROOT

pytestmark = pytest.mark.engine_independent

_MODULE = '''
import smtplib

pytest_plugins = ["tests.smtp_server"]


def _send(port):
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.sendmail("a@example.test", ["b@example.test"], "Subject: hello\\r\\n\\r\\nhello")


def test_leaves_the_message(smtp):
    _send(smtp.port)


def test_takes_the_message(smtp):
    _send(smtp.port)
    assert [m.recipients for m in smtp.sink.take()] == [["b@example.test"]]


def test_uses_no_smtp():
    pass
'''


def test_guard_fails_only_the_test_that_leaves_mail_unchecked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_guarded=_MODULE)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["ERROR test_guarded.py::test_leaves_the_message - AssertionError: assert [Rece*"])
