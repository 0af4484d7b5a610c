"""Public pages (list and session) and the staff session pages, through real HTTP with cookies and CSRF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from events.pages import PAGE_SIZE
from events.tables import Session
from server.i18n import format_number, format_time_range, gettext, ngettext, use_locale
from tests.conftest import Staff, login_cookie_client
from tests.events.helpers import (
    create,
    create_published,
    future,
    move_times,
    page_error_summary,
    page_field_errors,
    staff_form,
)

UNKNOWN_ZONE = "Unknown time zone: choose one from the list, such as Zurich — Switzerland (Europe/Zurich)."


async def test_index_lists_upcoming_with_both_zones(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin, timezone="Asia/Bangkok")
    await create(client, admin, title={"en": "Secret draft"})
    client.cookies.set("convene_tz", "America/Santiago")
    response = await client.get("/")
    assert response.status_code == 200
    row = await Session.select(Session.starts_at, Session.ends_at).first()
    with use_locale("en"):
        local = format_time_range(row["starts_at"], row["ends_at"], "Asia/Bangkok")
        viewer = format_time_range(row["starts_at"], row["ends_at"], "America/Santiago")
    assert f'href="/sessions/{session["id"]}"' in response.text
    assert "Mobility in the Time of COVID-19" in response.text
    assert local in response.text
    assert viewer in response.text
    assert "(Asia/Bangkok, UTC+07:00)" in response.text
    assert "Secret draft" not in response.text


async def test_index_filters_by_kind_region_language(client: httpx.AsyncClient, admin: Staff) -> None:
    await create_published(client, admin, title={"en": "Webinar one"})
    await create_published(client, admin, kind="regional_review", region="ESCAP", title={"en": "Review Asia"},
                           interpretation_languages=["zh"])
    by_kind = await client.get("/", params={"kind": "regional_review"})
    assert "Review Asia" in by_kind.text and "Webinar one" not in by_kind.text
    by_region = await client.get("/", params={"region": "global"})
    assert "Webinar one" in by_region.text and "Review Asia" not in by_region.text
    by_language = await client.get("/", params={"language": "zh", "kind": "", "region": ""})
    assert "Review Asia" in by_language.text and "Webinar one" not in by_language.text
    upper_case = await client.get("/", params={"language": "ZH"})
    assert "Review Asia" in upper_case.text and "Webinar one" not in upper_case.text


async def test_index_bad_filter_is_422_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/", params={"kind": "party"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")


async def test_session_page_shows_details_in_viewer_language(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(
        client, admin, title={"en": "Mobility", "fr": "Mobilité"}, description={"en": "Only English"},
        capacity=30, interpretation_languages=["fr", "es"],
        accessibility_provisions=["captions_cart", "national_sign_language"], sign_languages=["bfi"],
        agenda=[{"title": {"en": "Opening"}, "speakers": "Chair", "minutes": 10}],
    )
    client.cookies.set("convene_lang", "fr")
    response = await client.get(f"/sessions/{session['id']}")
    assert response.status_code == 200
    text = response.text
    assert "<h1><span>Mobilité</span></h1>" in text
    assert '<h2 id="about-heading">À propos <span class="language-note">(en anglais)</span></h2>' in text
    assert '<div class="description" lang="en" dir="ltr">Only English</div>' in text
    assert '<span lang="en" dir="ltr">Opening</span>' in text
    row = await Session.select(Session.starts_at, Session.ends_at).first()
    with use_locale("fr"):
        assert format_time_range(row["starts_at"], row["ends_at"], "Europe/Zurich") in text
    assert "Langue des signes britannique" in text  # the sign language named in French too (pycountry)
    assert "espagnol" in text
    assert "30" in text


async def test_session_page_of_draft_is_404(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    response = await client.get(f"/sessions/{session['id']}")
    assert response.status_code == 404


async def test_session_page_context_for_registrations(client: httpx.AsyncClient, admin: Staff) -> None:
    from events.pages import session_page_context

    session = await create_published(client, admin, capacity=5, venue="Bangkok")
    context = await session_page_context(session["id"])
    view = context["session"]
    assert (view["id"], view["audience"], view["status"], view["venue"], view["registration_open"]) == (
        session["id"], "open", "published", "Bangkok", True)
    assert view["places_left"] == 5
    assert context["form"] == {} and context["form_errors"] == {}


async def test_staff_pages_redirect_anonymous_to_login(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    for path in ("/staff/sessions", "/staff/sessions/new", f"/staff/sessions/{session['id']}"):
        response = await client.get(path)
        assert response.status_code in (302, 303), path
        assert response.headers["location"].startswith("/staff/login"), path


async def test_staff_detail_of_other_organisers_session_is_403(client: httpx.AsyncClient, organiser: Staff,
                                                                other_organiser: Staff) -> None:
    session = await create(client, organiser)
    await login_cookie_client(client, other_organiser)
    assert (await client.get(f"/staff/sessions/{session['id']}")).status_code == 403
    listing = await client.get("/staff/sessions")
    assert listing.status_code == 200
    assert f"/staff/sessions/{session['id']}" not in listing.text


def _csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("convene_csrf")
    assert token
    return token


async def test_staff_form_creates_session(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    assert (await client.get("/staff/sessions/new")).status_code == 200
    response = await client.post("/staff/sessions/new", data=staff_form(client))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/staff/sessions/1"
    read = (await client.get("/api/v1/sessions/1", headers=organiser.headers)).json()
    assert read["title"] == {"en": "Form-made webinar"}
    starts = future(12, 9)
    local_start = datetime(starts.year, starts.month, starts.day, 9, tzinfo=ZoneInfo("Asia/Beirut"))
    assert read["starts_at"] == local_start.isoformat()
    assert read["timezone"] == "Asia/Beirut"
    assert read["capacity"] == 40
    assert read["interpretation_languages"] == ["ar", "fr"]
    assert read["organiser_ids"] == [organiser.id]
    assert [item["title"] for item in read["agenda"]] == [{"en": "Opening"}, {"en": "Debate"}]
    detail = await client.get("/staff/sessions/1")
    assert detail.status_code == 200
    assert "Form-made webinar" in detail.text
    assert 'href="/staff/sessions/1/registrations"' in detail.text


async def test_staff_form_without_csrf_is_refused(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    form = staff_form(client)
    del form["_csrf_token"]
    response = await client.post("/staff/sessions/new", data=form)
    assert response.status_code == 403
    assert await Session.count() == 0


def _expected_form_errors() -> dict[str, str]:
    return {
        "title": gettext("A title in the floor language is required."),
        "timezone": gettext(UNKNOWN_ZONE),
        "capacity": gettext("Must be a whole number of %(min)s or more.", min=format_number(0)),
        "in_person_capacity": gettext("Enter a whole number."),
        "join_url": ngettext("Must be at most %(num)s character.", "Must be at most %(num)s characters.", 2000),
    }


@pytest.mark.parametrize("language", ["en", "ar"])
async def test_staff_form_shows_errors_beside_fields(client: httpx.AsyncClient, organiser: Staff,
                                                     language: str) -> None:
    await login_cookie_client(client, organiser)
    client.cookies.set("convene_lang", language)
    form = staff_form(client, timezone="Nowhere/Else", title_en="", capacity="-3", in_person_capacity="many",
                      join_url="https://example.org/" + "x" * 2000)

    response = await client.post("/staff/sessions/new", data=form)

    with use_locale(language):
        expected = _expected_form_errors()
    assert response.status_code == 422
    # Every problem at once, each beside its field and in the summary; times given in an unknown zone are not
    # "missing", and no message is msgspec's English.
    assert page_field_errors(response.text) == expected
    assert sorted(page_error_summary(response.text)) == sorted(expected.items())
    assert re.search(r'id="field-timezone"[^>]*aria-describedby="error-timezone" aria-invalid="true"', response.text)
    assert 'value="Nowhere/Else"' in response.text
    assert await Session.count() == 0


async def test_staff_form_empty_times_are_required(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    form = staff_form(client, timezone="", starts_at="", ends_at="2030-01-01T10:00")

    response = await client.post("/staff/sessions/new", data=form)

    required = gettext("This field is required.")
    assert response.status_code == 422
    assert page_field_errors(response.text) == {"timezone": required, "starts_at": required}


async def test_staff_form_service_errors_beside_fields(client: httpx.AsyncClient, organiser: Staff) -> None:
    await login_cookie_client(client, organiser)
    starts = future(12, 9)
    form = staff_form(client, title_en="", title_fr="Titre", ends_at=starts.strftime("%Y-%m-%dT08:00"))
    response = await client.post("/staff/sessions/new", data=form)
    assert response.status_code == 422
    assert 'id="error-title"' in response.text
    assert 'id="error-ends_at"' in response.text
    assert 'value="Titre"' in response.text
    assert await Session.count() == 0


async def test_staff_form_edits_and_runs_lifecycle(client: httpx.AsyncClient, admin: Staff,
                                                   organiser: Staff) -> None:
    session = await create(client, admin)
    await login_cookie_client(client, admin)
    page = await client.get(f"/staff/sessions/{session['id']}")
    assert page.status_code == 200
    form = staff_form(client, title_en="Edited title", organiser_ids=[str(organiser.id)])
    response = await client.post(f"/staff/sessions/{session['id']}", data=form)
    assert response.status_code == 303, response.text
    read = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert read["title"] == {"en": "Edited title"}
    assert read["organiser_ids"] == [organiser.id]
    assert read["sequence"] == 1
    for action, status in (("publish", "published"), ("complete", "completed")):
        if action == "complete":
            await move_times(session["id"], hours_from_now=-1)  # under way: it may be marked completed
        response = await client.post(f"/staff/sessions/{session['id']}/{action}", data={"_csrf_token": _csrf(client)})
        assert response.status_code == 303
        assert (await client.get(f"/api/v1/sessions/{session['id']}")).json()["status"] == status


async def test_staff_detail_offers_completing_only_once_under_way(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    await login_cookie_client(client, admin)
    complete_form = f'action="/staff/sessions/{session["id"]}/complete"'

    upcoming = await client.get(f"/staff/sessions/{session['id']}")
    await move_times(session["id"], hours_from_now=-1)
    under_way = await client.get(f"/staff/sessions/{session['id']}")

    assert complete_form not in upcoming.text
    assert complete_form in under_way.text


async def test_staff_reschedule_form(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin)
    await login_cookie_client(client, admin)
    await client.get(f"/staff/sessions/{session['id']}")
    day = future(25)
    response = await client.post(f"/staff/sessions/{session['id']}/reschedule", data={
        "_csrf_token": _csrf(client), "starts_at": day.strftime("%Y-%m-%dT16:00"),
        "ends_at": day.strftime("%Y-%m-%dT15:00")})
    assert response.status_code == 422
    assert 'id="reschedule-error-ends_at"' in response.text
    response = await client.post(f"/staff/sessions/{session['id']}/reschedule", data={
        "_csrf_token": _csrf(client), "starts_at": day.strftime("%Y-%m-%dT16:00"),
        "ends_at": day.strftime("%Y-%m-%dT17:00")})
    assert response.status_code == 303
    read = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert read["starts_at"][11:19] == "16:00:00"
    assert read["sequence"] == 1


async def test_hostile_text_is_escaped_on_pages(client: httpx.AsyncClient, admin: Staff) -> None:
    hostile = '<script>alert("x")</script>'
    session = await create_published(client, admin, title={"en": hostile}, description={"en": hostile},
                                     venue=hostile)
    for path in ("/", f"/sessions/{session['id']}"):
        text = (await client.get(path)).text
        assert "<script>alert" not in text, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text, path


async def test_staff_form_edit_keeps_texts_it_has_no_field_for(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create(client, admin, title={"en": "Mobility", "pt-BR": "Mobilidade"},
                           agenda=[{"title": {"en": "Opening", "fr": "Ouverture"}, "minutes": 10}])
    await login_cookie_client(client, admin)
    page = await client.get(f"/staff/sessions/{session['id']}")
    assert "Opening |  | 10</textarea>" in page.text
    form = staff_form(client, title_en="Human mobility", agenda="Opening |  | 10")
    response = await client.post(f"/staff/sessions/{session['id']}", data=form)
    assert response.status_code == 303, response.text
    read = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert read["title"] == {"pt-BR": "Mobilidade", "en": "Human mobility"}
    assert read["agenda"] == [{"position": 1, "title": {"en": "Opening", "fr": "Ouverture"}, "speakers": "",
                               "minutes": 10}]


async def test_index_pages_through_sessions(client: httpx.AsyncClient, admin: Staff) -> None:
    for day in range(1, PAGE_SIZE + 3):
        await create_published(client, admin, title={"en": f"Session on day {day:02d}"},
                               starts_at=future(day).isoformat(), ends_at=future(day, 13).isoformat())
    first = await client.get("/")
    assert f"Session on day {PAGE_SIZE:02d}" in first.text
    assert f"Session on day {PAGE_SIZE + 1:02d}" not in first.text
    assert f'href="/?offset={PAGE_SIZE}&amp;kind=&amp;region=&amp;language="' in first.text
    second = await client.get("/", params={"offset": PAGE_SIZE})
    assert f"Session on day {PAGE_SIZE + 2:02d}" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


async def test_session_page_of_cancelled_session_says_so(client: httpx.AsyncClient, admin: Staff) -> None:
    session = await create_published(client, admin)
    await client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=admin.headers)
    response = await client.get(f"/sessions/{session['id']}")
    assert response.status_code == 200
    assert '<strong class="badge">Cancelled</strong>' in response.text
    assert "Registration is closed." in response.text


async def test_staff_list_shows_admin_every_session(client: httpx.AsyncClient, admin: Staff,
                                                    organiser: Staff) -> None:
    mine = await create(client, organiser, title={"en": "Organiser's session"})
    other = await create(client, admin, title={"en": "Admin's session"})
    await login_cookie_client(client, admin)
    text = (await client.get("/staff/sessions")).text
    assert f'href="/staff/sessions/{mine["id"]}"' in text
    assert f'href="/staff/sessions/{other["id"]}"' in text
    assert "Draft" in text


@pytest.mark.parametrize(("wall_time", "message"), [
    ("2027-03-28T02:30", "This time does not exist in Europe/Zurich: the clocks go forward then."),
    ("2027-10-31T02:30", "This time happens twice in Europe/Zurich (the clocks go back): choose another."),
])
async def test_staff_form_refuses_a_time_the_clocks_skip_or_repeat(client: httpx.AsyncClient, organiser: Staff,
                                                                   wall_time: str, message: str) -> None:
    await login_cookie_client(client, organiser)
    await client.get("/staff/sessions/new")
    form = staff_form(client, timezone="Europe/Zurich", starts_at=wall_time, ends_at="2027-12-01T10:00")

    response = await client.post("/staff/sessions/new", data=form)

    assert response.status_code == 422
    assert page_field_errors(response.text)["starts_at"] == message
    assert await Session.count() == 0


@pytest.mark.parametrize(("method", "action"), [("POST", "/reschedule"), ("PATCH", "")])
async def test_moving_a_session_into_the_past_is_refused(client: httpx.AsyncClient, admin: Staff, method: str,
                                                          action: str) -> None:
    session = await create(client, admin)
    yesterday = future(-1)

    response = await client.request(method, f"/api/v1/sessions/{session['id']}{action}", headers=admin.headers,
                                    json={"starts_at": yesterday.isoformat(),
                                          "ends_at": (yesterday + timedelta(hours=1)).isoformat()})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "starts_at", "message": "This time has already passed."},
        {"field": "ends_at", "message": "This time has already passed."},
    ]
    read = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert (read["starts_at"], read["sequence"]) == (session["starts_at"], 0)
