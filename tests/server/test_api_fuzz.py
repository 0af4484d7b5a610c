"""The whole API fuzzed: Schemathesis sends what the OpenAPI document allows (and some of what it does not) to a
real `convene serve`, anonymous and with an admin's token, and checks every answer against the document.

No answer may be a 500, and each must be one the document names for that route: its status, its media type, its
headers and its body's schema. A request the document allows must not be refused as malformed (Schemathesis'
``positive_data_acceptance``, ST202): the document says what the API validates, except the rules no JSON Schema can
state (``STATEFUL_REFUSALS``). Bounded for CI: a few examples per operation, no shrinking past a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.browser.harness import (
    LiveServer,
    _convene,
    _create_session,
    _environment,
    _register_for_manage_path,
    _wait_until_up,
    free_port,
)

#: Refusals (422, naming the field) of a request the document allows that no schema could foretell: they depend on
#: what is stored (a series, a question, a registration of this session, the session's venue and kind) or on the
#: clock, on several fields together, or on a registry (a language code's primary subtag must be one of ISO 639's
#: ~8,000; the document states the code's shape). Matched on the whole message, in English (the server's default).
STATEFUL_REFUSALS = (
    # stored state
    "No such series.", "No such question.", "Some of these registrations are not of this session.",
    "Choose needs of this session from the list.", "A user with this email exists already.",
    "This session is online only.", "Choose in person or online.", "Only listening sessions are recorded.",
    "Give a time with its zone, before the session ends.", "No such question on this session.",
    # the clock
    "This time has already passed.",
    # several fields together
    "The end must be after the start.", "Registration must open before it closes.",
    "A title in the floor language is required.", "The end of the period must come after its start.",
    "Give the reason for declining; the registrant is told.", "Give a subject and a body in the same languages.",
    "Describe the other provision you need.", "Give the sign language's ISO 639-3 code, such as ase.",
    "A choice question needs at least one choice.", "Each choice needs its own code.",
    "Name the national sign language offered (ISO 639-3 code).",
    "Sign languages need the national_sign_language provision.",
    # a registry of language codes
    "Unknown language code.", "Give a language code such as fr or es-419.",
)


#: Refusals of an uploaded file for what it holds (a CSV without addresses, no known attendance report): the
#: document says a file is required, not what is in it.
ATTACH_MESSAGES = ("Attach the attendance report in the field file.", "Attach a CSV file in the field file.")

#: The same, of messages that name the values refused.
STATEFUL_PREFIXES = ("Unknown language code: ", "No active staff user with id ")


def _stateful_refusal(error: dict[str, str]) -> bool:
    message = error["message"]
    if error["field"] == "file":
        return message not in ATTACH_MESSAGES
    return message in STATEFUL_REFUSALS or message.startswith(STATEFUL_PREFIXES)


def schema_valid_request_accepted(ctx, response, case) -> bool | None:
    """``positive_data_acceptance``, but a 422 each of whose field errors is one of ``STATEFUL_REFUSALS`` passes."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        problem = response.status_code == 422 and response.headers.get("content-type") == ["application/problem+json"]
        errors = response.json().get("errors") if problem else None
        if errors and all(_stateful_refusal(error) for error in errors):
            return None
        raise


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, schema_valid_request_accepted]
#: Examples per operation and caller: about 70 operations × 2 callers keeps the run within a couple of minutes.
EXAMPLES = 8
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests every run: CI fails on a change, not on luck
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """`convene serve` over a fresh SQLite file (rate limits off), with an admin and a published session."""
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    directory = Path(tempfile.mkdtemp(prefix="convene-fuzz-"))
    env = _environment(directory)
    _convene(env, "migrate")
    created = _convene(env, "user", "create", "fuzz.admin@example.org", "--role", "admin")
    port = free_port()
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    server = LiveServer(base_url=f"http://127.0.0.1:{port}", process=process, directory=directory, log=log)
    try:
        _wait_until_up(server.base_url, process)
        server.staff_token = re.search(r"^token: (.+)$", created, re.M).group(1)
        server.session_id = _create_session(server)
        server.manage_path = _register_for_manage_path(server.base_url, server.session_id)
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer):
    return schemathesis.openapi.from_url(f"{live_server.base_url}/schema/openapi.json")


def real_ids(server: LiveServer) -> dict[str, str | int]:
    """Path parameters that name something that exists: random ones would only ever meet 404."""
    return {"session_id": server.session_id, "token": server.manage_path.rsplit("/", 1)[-1]}


#: Operations that may end the caller's own token (revoking it, resetting the password of the account it belongs
#: to): fuzzed last, so that the staff run calls every other route with a token that works.
CREDENTIAL_ENDING = {"DELETE /api/v1/tokens/{token_id}", "POST /api/v1/users/{user_id}/password",
                     "PATCH /api/v1/users/{user_id}"}


def _ends_credentials(operation) -> bool:
    return operation.label in CREDENTIAL_ENDING


def fuzz(schema, server: LiveServer, headers: dict[str, str]) -> list[str]:
    """Every operation of the document, ``EXAMPLES`` generated requests each, valid ones and ones the document
    forbids, about half of them on the seeded session and registration: what failed, one line per operation."""
    failures = []
    existing = real_ids(server)
    for operation in sorted((result.ok() for result in schema.get_all_operations()), key=_ends_credentials):

        cases = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))

        @FUZZ_SETTINGS
        @given(case=cases, use_real_ids=st.booleans())
        def check(case, use_real_ids: bool) -> None:
            if use_real_ids and case.path_parameters:
                case.path_parameters.update({k: v for k, v in existing.items() if k in case.path_parameters})
            case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # every failure is reported, not only the first
            failures.append(f"{operation.label}: {error}")
    return failures


HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# The two tests below come before the fuzzing, which may revoke the admin's token or change the seeded session.


@pytest.mark.engine_independent
def test_options_allows_exactly_the_documented_methods(api_schema, live_server):
    """``OPTIONS`` on every path of the document answers ``Allow`` with the methods the document gives that path
    (besides OPTIONS and HEAD): also where two controllers serve one path (Litestar kept the first one's list)."""
    headers = {"Authorization": f"Bearer {live_server.staff_token}"}
    mismatches = []
    for path, item in api_schema.raw_schema["paths"].items():
        url = live_server.base_url + re.sub(r"{\w+}", "1", path)
        answer = httpx.options(url, headers=headers)
        documented = {method.upper() for method in item if method in HTTP_METHODS}
        allowed = {method.strip() for method in answer.headers.get("allow", "").split(",")} - {"", "OPTIONS", "HEAD"}
        if (answer.status_code, allowed) != (204, documented):
            mismatches.append(f"{path}: {answer.status_code} Allow {sorted(allowed)}, documented {sorted(documented)}")

    assert mismatches == []


@pytest.mark.parametrize("caller", ["anonymous", "staff"])
@pytest.mark.engine_independent
def test_session_answer_matches_one_branch_of_its_schema(api_schema, live_server, caller):
    """``GET /api/v1/sessions/{id}`` answers the public view or the staff view (a superset): its ``oneOf`` must
    match exactly one of them, which needs each view closed to fields it does not name."""
    headers = {"Authorization": f"Bearer {live_server.staff_token}"} if caller == "staff" else {}
    operation = api_schema["/api/v1/sessions/{session_id}"]["GET"]
    case = operation.Case(path_parameters={"session_id": live_server.session_id}, headers=headers)

    response = case.call(base_url=live_server.base_url)
    case.validate_response(response, checks=[response_schema_conformance])

    assert ("join" in response.json(), response.status_code) == (caller == "staff", 200)


@pytest.mark.engine_independent
def test_api_answers_anonymous_callers_as_documented(api_schema, live_server):
    failures = fuzz(api_schema, live_server, {})

    assert failures == [], "\n\n".join(failures)


@pytest.mark.engine_independent
def test_api_answers_staff_as_documented(api_schema, live_server):
    failures = fuzz(api_schema, live_server, {"Authorization": f"Bearer {live_server.staff_token}"})

    assert failures == [], "\n\n".join(failures)

