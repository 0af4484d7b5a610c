"""Numbers, codes, emails and links isolated left to right on the manage page; agenda items title first."""

from __future__ import annotations

from events.tables import AgendaItem
from tests.registrations.conftest import make_session, submission

JOIN = {"join_url": "https://meet.example.org/j/123456789", "join_meeting_id": "123 456 789",
        "join_passcode": "gcm-2020", "join_dial_in": "+41 22 000 00 00\r\n+1 212 000 0000"}


async def test_manage_page_isolates_join_details_and_email_in_arabic(client):
    session_id = await make_session(**JOIN)
    body = submission(preferred_language="ar", email="amina-diallo@example-org.test")
    created = (await client.post(f"/api/v1/sessions/{session_id}/registrations", json=body)).json()

    html = (await client.get(created["manage_url"].replace("http://convene.test", ""))).text

    assert '<html lang="ar" dir="rtl">' in html
    assert '<dd><bdi dir="ltr">123 456 789</bdi></dd>' in html
    assert '<dd><bdi dir="ltr">gcm-2020</bdi></dd>' in html
    assert '<dd><bdi dir="ltr">+41 22 000 00 00</bdi><br><bdi dir="ltr">+1 212 000 0000</bdi></dd>' in html
    assert ('<a href="https://meet.example.org/j/123456789" rel="noopener noreferrer" dir="ltr" class="url">'
            'https://meet.example.org/j/123456789</a>') in html
    assert '<dd><bdi dir="ltr" class="email">amina-diallo@example-org.test</bdi></dd>' in html


async def test_agenda_item_reads_title_then_speakers(client):
    session_id = await make_session()
    await AgendaItem.insert(AgendaItem(session=session_id, position=1, title={"en": "Opening"},
                                       speakers="Chair of the network", minutes=10))
    client.cookies.set("convene_lang", "ar")

    html = (await client.get(f"/sessions/{session_id}")).text

    assert ('<li><span lang="en" dir="ltr">Opening</span> (10 دقائق)<span class="agenda-speakers">'
            'المتحدثون: <bdi>Chair of the network</bdi></span></li>') in html
