"""Every page in English and Arabic, in headless Chromium: WCAG 2.1 A/AA by axe-core, right to left, strict CSP,
keyboard-only registration, visible focus and reflow at 320 CSS pixels (what 200% text on a small screen needs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.browser.harness import describe_violations, log_in, run_axe

pytestmark = [pytest.mark.engine_independent, pytest.mark.browser]


def public_paths(live_server) -> list[str]:
    """Every public page route of the app (found by walking the routes), plus an error page."""
    return [*live_server.public_paths, "/sessions/999999"]


async def open_page(page, url: str) -> int:
    response = await page.goto(url)
    await page.wait_for_load_state("load")
    return response.status


async def check_page(page, language: str | None) -> dict:
    """Problems on the page as it is: axe violations, wrong lang/dir, CSP violations (empty when fine).
    ``language`` None: a mail preview, in its recipient's language, whose direction must match it."""
    problems = {}
    violations = await run_axe(page)
    if violations:
        problems["axe"] = describe_violations(violations)
    lang, direction = await page.evaluate("() => [document.documentElement.lang, document.documentElement.dir]")
    if (lang, direction) != (language or lang, "rtl" if (language or lang) == "ar" else "ltr"):
        problems["lang/dir"] = [lang, direction]
    duplicates = await page.evaluate(
        """() => { const seen = new Set(), twice = new Set();
            for (const el of document.querySelectorAll('[id]')) { (seen.has(el.id) ? twice : seen).add(el.id); }
            return [...twice]; }"""
    )
    if duplicates:  # labels, aria-describedby and error links must point at one element
        problems["duplicate ids"] = duplicates
    if page.csp_violations:
        problems["csp"] = list(page.csp_violations)
        page.csp_violations.clear()
    return problems


async def test_public_pages_meet_wcag_21_aa(live_server, page, language):
    problems = {}
    for path in public_paths(live_server):
        response = await page.goto(live_server.base_url + path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue  # calendars, exports
        # The manage pages speak their registrant's language (the harness registers in Arabic), not the browser's.
        found = await check_page(page, "ar" if path.startswith(live_server.manage_path) else language)
        if response.status >= 500:
            found["status"] = response.status
        if found:
            problems[path] = found
    assert problems == {}


async def test_public_pages_cover_the_listing_session_and_manage_pages(live_server):
    expected = {"/", f"/sessions/{live_server.session_id}", live_server.manage_path, "/staff/login", "/privacy"}
    assert expected <= set(live_server.public_paths)


async def test_registration_form_errors_meet_wcag_21_aa(live_server, page, language):
    await open_page(page, f"{live_server.base_url}/sessions/{live_server.session_id}")
    form = page.locator("form[action$='/register']")
    # The browser's own checks would stop an empty submit: turn them off to see the server's error page.
    await form.evaluate("form => { form.noValidate = true; }")
    async with page.expect_navigation():
        await form.locator("[type=submit]").first.click()
    summary = page.locator(".error-summary")
    assert await summary.count() == 1
    invalid = await page.locator("[aria-invalid=true]").count()
    assert invalid >= 1
    described = await page.evaluate(
        """() => [...document.querySelectorAll('[aria-invalid=true]')].filter(field => {
            const ids = (field.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            return !ids.some(id => document.getElementById(id));
        }).map(field => field.name)"""
    )
    assert described == []  # every invalid field points at its message
    assert await check_page(page, language) == {}


async def _cancelled_manage_path_and_invitation_session(live_server, language: str) -> tuple[str, int]:
    """A registration cancelled by its registrant (in ``language``), and a published invitation-only session."""
    headers = {"Authorization": f"Bearer {live_server.staff_token}"}
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=8)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=10) as http:
        registered = await http.post(f"/api/v1/sessions/{live_server.session_id}/registrations", json={
            "name": "Omar Khalil", "email": f"omar.{language}@example.org", "stakeholder_category": "academia",
            "country": "LB", "preferred_language": language, "timezone": "Asia/Beirut", "consent_processing": True,
        })
        manage_path = httpx.URL(registered.json()["manage_url"]).path
        assert (await http.delete(f"/api/v1{manage_path}")).status_code == 200
        created = await http.post("/api/v1/sessions", headers=headers, json={
            "kind": "briefing", "title": {"en": "Briefing for invited delegations", "ar": "إحاطة للوفود المدعوة"},
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "timezone": "Europe/Zurich", "floor_language": "en", "audience": "invitation",
        })
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
        assert (await http.post(f"/api/v1/sessions/{session_id}/publish", headers=headers)).status_code == 200
    return manage_path, session_id


async def test_repeat_register_again_and_invitation_pages_meet_wcag_21_aa(live_server, page, language):
    manage_path, invitation_session = await _cancelled_manage_path_and_invitation_session(live_server, language)
    problems = {}
    for path in (manage_path, f"/sessions/{invitation_session}", f"/sessions/{invitation_session}?invitation=x"):
        await open_page(page, live_server.base_url + path)
        if found := await check_page(page, language):
            problems[path] = found
    assert await page.locator("input[type=hidden][name=invitation]").count() == 1  # the link's token is carried
    # The page a repeat of an address leads to (the harness's registrant registers again).
    await open_page(page, f"{live_server.base_url}/sessions/{live_server.session_id}")
    await page.fill("#field-name", "Amina Haddad")
    await page.fill("#field-email", "amina.haddad@example.org")
    await page.select_option("#field-stakeholder_category", "civil_society")
    await page.select_option("#field-country", "JO")
    await page.check("#field-consent_processing")
    async with page.expect_navigation():
        await page.locator("form[action$='/register'] [type=submit]").first.click()
    assert await page.locator("h1").count() == 1
    if found := await check_page(page, language):
        problems["repeat"] = found
    assert problems == {}
async def test_written_input_errors_on_the_manage_page_meet_wcag_21_aa(live_server, page, language):
    await open_page(page, live_server.base_url + live_server.manage_path)
    form = page.locator("form[action$='/inputs']")
    await form.locator("#field-input-language").fill("not a language")
    async with page.expect_navigation():
        await form.locator("[type=submit]").click()
    assert await page.locator(".error-summary").count() == 1
    described = await page.evaluate(
        """() => [...document.querySelectorAll('[aria-invalid=true]')].filter(field => {
            const ids = (field.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
            return !ids.some(id => document.getElementById(id));
        }).map(field => field.name)"""
    )
    assert described == []
    assert await page.locator("[aria-invalid=true]").count() == 3  # title, language, text
    assert await check_page(page, "ar") == {}  # the manage page speaks its registrant's language


async def test_written_input_errors_on_the_staff_page_meet_wcag_21_aa(live_server, page, language):
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff/sessions/{live_server.session_id}/inputs")
    form = page.locator("form[enctype='multipart/form-data']")
    async with page.expect_navigation():
        await form.locator("[type=submit]").click()
    assert await page.locator(".error-summary").count() == 1
    assert await page.locator("[aria-invalid=true]").count() == 3  # title, language, text
    assert await check_page(page, language) == {}


async def test_staff_inputs_page_is_walked(live_server):
    assert f"/staff/sessions/{live_server.session_id}/inputs" in live_server.staff_paths


async def test_staff_pages_meet_wcag_21_aa(live_server, page, language):
    await log_in(page, live_server)
    assert page.url.endswith("/staff")
    problems = {}
    for path in live_server.staff_paths:
        response = await page.goto(live_server.base_url + path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        found = await check_page(page, language)
        if response.status >= 500:
            found["status"] = response.status
        if found:
            problems[path] = found
    assert problems == {}


async def test_mail_preview_meets_wcag_21_aa(live_server, browser):
    """The HTML part of a message as sent (the registrant's, in Arabic), with lang and dir matching. The preview
    is sandboxed without script, so this one context bypasses the page's CSP to let axe in."""
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    page.csp_violations = []
    try:
        await log_in(page, live_server)
        response = await page.goto(f"{live_server.base_url}/staff/outbox/1/message.html")
        assert response.status == 200
        assert await check_page(page, None) == {}
    finally:
        await context.close()


async def test_staff_session_form_errors_meet_wcag_21_aa(live_server, page, language):
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff/sessions/new")
    async with page.expect_navigation():
        await page.locator("main form.stacked [type=submit]").last.click()
    assert await page.locator(".error-summary").count() == 1
    assert await check_page(page, language) == {}


async def test_staff_pages_were_found(live_server):
    attendance = f"/staff/sessions/{live_server.session_id}/attendance"
    assert {"/staff", "/staff/sessions", attendance, f"{attendance}/review"} <= set(live_server.staff_paths)


async def test_speakers_list_pages_are_among_the_checked(live_server):
    """The organisers' speakers' list (with a placed and a waiting request) and the manage page's request."""
    assert f"/staff/sessions/{live_server.session_id}/speakers" in live_server.staff_paths
    assert live_server.manage_path in live_server.public_paths


async def test_workspace_series_and_duplicate_pages_are_among_the_checked(live_server):
    """The workspace home, the series list and forms, and the form duplicating a session."""
    assert {"/staff", "/staff/series", "/staff/series/new", "/staff/series/1",
            f"/staff/sessions/{live_server.session_id}/duplicate"} <= set(live_server.staff_paths)


async def test_workspace_home_shows_the_upcoming_sessions(live_server, page, language):
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff")
    assert await page.locator("#upcoming tbody tr").count() >= 1
    assert await page.locator(f"#session-{live_server.session_id} a[href='/staff/sessions/{live_server.session_id}']"
                              ).count() == 1
    assert await check_page(page, language) == {}


async def _submit_empty(page, url: str) -> None:
    await open_page(page, url)
    fields = page.locator("main form.stacked input[type=datetime-local], main form.stacked input[name^=title_]")
    await fields.evaluate_all("fields => fields.forEach(field => { field.value = ''; })")
    async with page.expect_navigation():
        await page.locator("main form.stacked [type=submit]").last.click()


async def test_series_and_duplicate_form_errors_meet_wcag_21_aa(live_server, page, language):
    await log_in(page, live_server)
    problems = {}
    for url in ("/staff/series/new", f"/staff/sessions/{live_server.session_id}/duplicate"):
        await _submit_empty(page, live_server.base_url + url)
        assert await page.locator(".error-summary").count() == 1, url
        assert await page.locator("[aria-invalid=true]").count() >= 1, url
        if found := await check_page(page, language):
            problems[url] = found
    assert problems == {}


async def _tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} was never reached with Tab")


async def test_series_then_duplicate_by_keyboard_only(live_server, page, language):
    """From the workspace: follow "New series" with Enter, type a title, submit with Enter, find it in the list;
    then from the session page follow "Duplicate", keep the times offered and make the draft copy with Enter."""
    await log_in(page, live_server)
    await open_page(page, f"{live_server.base_url}/staff")
    await page.locator("body").focus()
    await _tab_to(page, "main a[href='/staff/series/new']")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await _tab_to(page, "#field-title_en")
    title = f"Keyboard series {language}"
    await page.keyboard.type(title)
    await _tab_to(page, "main form.stacked [type=submit]")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert page.url == f"{live_server.base_url}/staff/series"
    assert await page.locator("table a", has_text=title).count() == 1

    await open_page(page, f"{live_server.base_url}/staff/sessions/{live_server.session_id}")
    await page.locator("body").focus()
    await _tab_to(page, f"a[href='/staff/sessions/{live_server.session_id}/duplicate']")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await _tab_to(page, "main form.stacked [type=submit]")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    copy_id = page.url.removeprefix(f"{live_server.base_url}/staff/sessions/")
    assert copy_id.isdigit() and int(copy_id) != live_server.session_id, await page.locator("main").inner_text()
    assert await page.locator(".error-summary").count() == 0


KEYBOARD_VALUES = {
    "name": "Kwame Mensah",
    "email": "kwame.mensah@example.org",
    "organisation": "West Africa Migrant Network",
    "timezone": "Africa/Accra",
}


async def test_registration_by_keyboard_only(live_server, page, language):
    """Tab to each field, type, tick the required consent with Space, choose in selects with the arrow keys,
    and press Enter on the submit button: the confirmation comes back."""
    await open_page(page, f"{live_server.base_url}/sessions/{live_server.session_id}")
    await page.locator("body").focus()
    email = f"{language}.{KEYBOARD_VALUES['email']}"
    submitted = False
    for _ in range(300):
        await page.keyboard.press("Tab")
        field = await page.evaluate(
            """() => { const el = document.activeElement;
                const form = el && el.closest("form[action$='/register']");
                return form ? {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
                               required: el.required, value: el.value, checked: !!el.checked} : null; }"""
        )
        if field is None:
            continue
        if field["tag"] == "button" or field["type"] == "submit":
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
            submitted = True
            break
        await fill_by_keyboard(page, field, email)
    assert submitted, "the submit button was never reached with Tab"
    assert await page.locator(".error-summary").count() == 0, await page.locator("main").inner_text()
    text = await page.locator("main").inner_text()
    # The confirmation: the registrant's own page, saying the registration is confirmed, in their language.
    assert ("/manage/" in page.url, CONFIRMED[language] in text) == (True, True), text


CONFIRMED = {"en": "Confirmed", "ar": "مؤكَّد"}


async def fill_by_keyboard(page, field: dict, email: str) -> None:
    if field["type"] == "checkbox":
        if field["name"] == "consent_processing" and not field["checked"]:
            await page.keyboard.press("Space")
    elif field["tag"] == "select":
        if field["required"] and not field["value"]:
            await page.keyboard.press("ArrowDown")
    elif field["type"] in ("text", "email", "search", "") and not field["value"]:
        value = email if field["name"] == "email" else KEYBOARD_VALUES.get(field["name"])
        if value:
            await page.keyboard.type(value)


async def test_skip_link_is_first_and_visible_on_focus(live_server, page, language):
    await open_page(page, live_server.base_url + "/")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        """() => { const el = document.activeElement; const box = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            return {href: el.getAttribute("href"), visible: box.top >= 0 && box.height > 0,
                    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2}; }"""
    )
    assert focused == {"href": "#main", "visible": True, "outline": True}
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => document.activeElement.id") == "main"


async def _overflowing(page, base_url: str, paths: list[str]) -> list[str]:
    """The pages wider than the 320 px viewport (wide tables scroll inside their own region instead)."""
    await page.set_viewport_size({"width": 320, "height": 640})
    overflowing = []
    for path in paths:
        response = await page.goto(base_url + path)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        if await page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1"):
            overflowing.append(path)
    return overflowing


async def test_pages_reflow_at_320_css_pixels(live_server, page, language):
    assert await _overflowing(page, live_server.base_url, public_paths(live_server)) == []


async def test_staff_pages_reflow_at_320_css_pixels(live_server, page, language):
    await log_in(page, live_server)

    assert await _overflowing(page, live_server.base_url, live_server.staff_paths) == []


async def test_keyboard_focus_is_always_visible(live_server, page, language):
    """Tab through the session page with its form: every stop shows a focus ring, and focus never gets stuck."""
    await open_page(page, f"{live_server.base_url}/sessions/{live_server.session_id}")
    invisible, stops = [], []
    for _ in range(80):
        await page.keyboard.press("Tab")
        stop = await page.evaluate(
            """() => { const el = document.activeElement; if (!el || el === document.body) return null;
                const style = getComputedStyle(el);
                const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2)
                    || style.boxShadow !== "none";
                return {name: el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""), ring}; }"""
        )
        if stop is None:
            break
        stops.append(stop["name"])
        if not stop["ring"]:
            invisible.append(stop["name"])
    assert invisible == []
    assert len(set(stops)) >= 10  # it moved through the page instead of staying on one control
