"""The real server for browser tests and screenshots: `convene serve` on a free port over a fresh SQLite file,
migrated and loaded with the demo data, plus what a visitor needs (a staff account, a manage link).

Also drives Debian's chromium through Playwright and runs axe-core in the page. Shared by the pytest fixtures
(tests/browser/conftest.py) and `make screenshots` (tests/browser/screenshots.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CONVENE_CHROMIUM", "/usr/bin/chromium"))  # Debian's, by default
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# WCAG 2.1 level A and AA: what the issue asks every page to meet.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
STAFF_EMAIL = "browser.admin@example.org"


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (run `make test` as root to install Debian's chromium)"
    if not AXE_SOURCE.exists():
        return f"{AXE_SOURCE.relative_to(ROOT)} is missing (run `npm install`)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """A running `convene serve` and what the tests found in its demo data."""

    base_url: str
    process: subprocess.Popen
    directory: Path
    log: object = None
    staff_password: str = ""
    staff_token: str = ""
    session_id: int | None = None
    manage_path: str | None = None
    staff_paths: list[str] = field(default_factory=list)
    public_paths: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.log is not None:
            self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _environment(directory: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{directory}/convene.db",
        CONVENE_VAR_DIR=str(directory),
        SECRET_KEY="browser-tests-secret-key-not-for-production",
        PUBLIC_URL="http://127.0.0.1",
        RATE_LIMIT="off",
        PICCOLO_CONF="server.piccolo_conf",
    )
    env.pop("SMTP_URL", None)
    return env


def _convene(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"convene {args[0]} failed: {result.stderr[-2000:]}")
    return result.stdout


def _wait_until_up(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"convene serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("convene serve did not answer /health within 90 s")


def _page_routes(env: dict[str, str]) -> list[str]:
    """Every GET route of the real app that serves a page (not the API, static files or health)."""
    script = (
        "import json; from server.app import create_app; app = create_app(); "
        "print(json.dumps(sorted({r.path for r in app.routes if 'GET' in getattr(r, 'methods', ())})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    paths = json.loads(result.stdout.strip().splitlines()[-1])
    # Files the browser downloads, and the sandboxed mail preview (no script runs there: tested on its own).
    skipped = (".ics", ".eml", ".csv", ".xlsx", ".json", "/message.html")
    return [path for path in paths if not path.startswith(("/api", "/schema", "/static", "/health"))
            and not path.endswith(skipped)]


def start_server() -> LiveServer:
    """Migrate, load the demo, create a staff account, serve, and find a session and a manage link."""
    directory = Path(tempfile.mkdtemp(prefix="convene-browser-"))
    env = _environment(directory)
    _convene(env, "migrate")
    _convene(env, "demo")
    created = _convene(env, "user", "create", STAFF_EMAIL, "--role", "admin", "--name", "Browser Admin")
    port = free_port()
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
    )
    server = LiveServer(base_url=f"http://127.0.0.1:{port}", process=process, directory=directory, log=log)
    try:
        _wait_until_up(server.base_url, process)
        server.staff_password = re.search(r"^password: (.+)$", created, re.M).group(1)
        server.staff_token = re.search(r"^token: (.+)$", created, re.M).group(1)
        server.session_id = _create_session(server)
        _ask_questions(server)
        server.manage_path = _register_for_manage_path(server.base_url, server.session_id)
        _publish_speakers_list(server)
        _send_written_input(server)
        paths = _concrete_paths(_page_routes(env), server)
        server.staff_paths = [path for path in paths if path.startswith("/staff")]
        server.public_paths = [path for path in paths if not path.startswith("/staff")] + ["/staff/login"]
    except Exception:
        server.stop()
        raise
    return server


def _create_session(server: LiveServer) -> int:
    """A published open session next week, titled in Arabic and English with Latin names inside the Arabic,
    made through the API as organisers do (the demo's sessions may change; this one is the tests' own)."""
    headers = {"Authorization": f"Bearer {server.staff_token}"}
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    body = {
        "kind": "listening_session",
        "title": {
            "en": "Listening session: ESCWA regional review of the Global Compact for Migration",
            "ar": "جلسة استماع: الاستعراض الإقليمي للاتفاق العالمي من أجل الهجرة في منطقة ESCWA",
        },
        "description": {
            "en": "Stakeholders share their views. Questions: secretariat@example.org",
            "ar": "يعرض أصحاب المصلحة آراءهم. للاستفسار: secretariat@example.org",
        },
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "timezone": "Asia/Beirut",
        "floor_language": "en",
        "interpretation_languages": ["ar", "fr"],
        "accessibility_provisions": ["captions_cart", "international_sign"],
        "region": "ESCWA",
        "capacity": 100,
    }
    created = httpx.post(f"{server.base_url}/api/v1/sessions", json=body, headers=headers, timeout=10)
    created.raise_for_status()
    session_id = created.json()["id"]
    published = httpx.post(f"{server.base_url}/api/v1/sessions/{session_id}/publish", headers=headers, timeout=10)
    published.raise_for_status()
    return session_id


#: The extra questions of the tests' session (optional, so that the registrations made through the API without
#: answers still pass): the form and the manage page show them, in English and Arabic.
QUESTIONS = [
    {"kind": "short_text", "label": {"en": "Your position", "ar": "منصبك"}},
    {"kind": "choice", "label": {"en": "Dietary needs", "ar": "الاحتياجات الغذائية"}, "choices": [
        {"code": "none", "label": {"en": "None", "ar": "لا شيء"}},
        {"code": "vegetarian", "label": {"en": "Vegetarian", "ar": "نباتي"}},
    ]},
    {"kind": "choices", "label": {"en": "Topics", "ar": "المواضيع"}, "choices": [
        {"code": "labour", "label": {"en": "Labour migration", "ar": "هجرة اليد العاملة"}},
        {"code": "climate", "label": {"en": "Climate mobility", "ar": "التنقل بسبب المناخ"}},
    ]},
    {"kind": "yes_no", "label": {"en": "First time at such a session?", "ar": "أول مرة في جلسة كهذه؟"}},
]


def _ask_questions(server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {server.staff_token}"}
    url = f"{server.base_url}/api/v1/sessions/{server.session_id}/questions"
    httpx.put(url, json={"items": QUESTIONS}, headers=headers, timeout=10).raise_for_status()


def _register_for_manage_path(base_url: str, session_id: int | None) -> str | None:
    """Register through the public API, as a stakeholder would, for the manage page."""
    if session_id is None:
        return None
    response = httpx.post(
        f"{base_url}/api/v1/sessions/{session_id}/registrations",
        json={
            "name": "Amina Haddad", "email": "amina.haddad@example.org", "organisation": "Migrant Forum",
            "stakeholder_category": "civil_society", "country": "JO", "preferred_language": "ar",
            "timezone": "Asia/Amman", "consent_processing": True,
            "speaking_request": {"topic": "العمال المهاجرون في منطقة ESCWA", "language": "ar",
                                 "on_behalf_of": "Migrant Forum"},
        },
        timeout=10,
    )
    if response.status_code not in (200, 201) or not response.json().get("manage_url"):
        return None
    return httpx.URL(response.json()["manage_url"]).path


def _publish_speakers_list(server: LiveServer) -> None:
    """A second speaker who gives no consent to be listed, both placed and the list published, so the session,
    manage and speakers' list pages show a list."""
    headers = {"Authorization": f"Bearer {server.staff_token}"}
    registered = httpx.post(f"{server.base_url}/api/v1/sessions/{server.session_id}/registrations", json={
        "name": "Jean Dupont", "email": "jean.dupont@example.org", "stakeholder_category": "academia",
        "country": "FR", "preferred_language": "fr", "timezone": "Europe/Paris", "consent_processing": True,
        "speaking_request": {"topic": "Data", "language": "fr"},
    }, timeout=10)
    registered.raise_for_status()
    url = f"{server.base_url}/api/v1/sessions/{server.session_id}/speakers"
    requests = httpx.get(url, headers=headers, timeout=10).json()["items"]
    httpx.put(f"{url}/order", json={"ids": [requests[0]["id"]]}, headers=headers, timeout=10).raise_for_status()
    httpx.patch(f"{url}/settings", json={"published": True}, headers=headers, timeout=10).raise_for_status()
def _send_written_input(server: LiveServer) -> None:
    """A written input from the registrant, published and marked for the summary, so the session, manage, staff
    inputs and summary pages all show one."""
    if server.manage_path is None:
        return
    sent = httpx.post(f"{server.base_url}/api/v1{server.manage_path}/inputs", timeout=10, json={
        "title": "شهادات من عمّان: الوصول إلى الخدمات", "language": "ar", "text": "نص المساهمة المكتوبة.",
    })
    sent.raise_for_status()
    headers = {"Authorization": f"Bearer {server.staff_token}"}
    marked = httpx.patch(f"{server.base_url}/api/v1/sessions/{server.session_id}/inputs/{sent.json()['id']}",
                         json={"published": True, "for_summary": True}, headers=headers, timeout=10)
    marked.raise_for_status()


def _concrete_paths(routes: list[str], server: LiveServer) -> list[str]:
    """Page routes with their path parameters filled in from the test data; routes we have no value for
    (an unsubscribe token, say) are left out, and so are the login and logout addresses."""
    values = {"session": server.session_id, "user": 1, "message": 1, "series": 1}  # the demo's series
    paths = []
    for route in routes:
        if route in ("/staff/login", "/staff/logout", "/preferences"):
            continue
        concrete = route
        for name in re.findall(r"\{(\w+)(?::\w+)?\}", route):
            if name == "token" and route.startswith("/manage/") and server.manage_path:
                value = server.manage_path.removeprefix("/manage/")
            else:
                key = "session" if name == "id" else next((key for key in values if key in name), None)
                value = values.get(key)
            if value is None:
                concrete = None
                break
            concrete = re.sub(r"\{" + name + r"(?::\w+)?\}", str(value), concrete)
        if concrete and concrete not in paths:
            paths.append(concrete)
    return paths


def axe_source() -> str:
    return AXE_SOURCE.read_text()


async def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (evaluated over CDP: no CSP exception)."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source() + "\n;undefined")
    return await page.evaluate(
        """async (tags) => {
            const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("axe timed out")), 60000));
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const result = await Promise.race([axe.run(document, options), timeout]);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}")
    return "\n".join(lines)


async def launch_browser(playwright):
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


async def log_in(page, server: LiveServer) -> None:
    await page.goto(f"{server.base_url}/staff/login")
    await page.fill("#login-email", STAFF_EMAIL)
    await page.fill("#login-password", server.staff_password)
    await page.click("form[action='/staff/login'] button[type=submit]")
    await page.wait_for_load_state()
