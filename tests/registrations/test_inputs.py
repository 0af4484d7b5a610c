"""Written inputs: registrants send them through the manage link (API and page), organisers upload, publish and
mark them for the summary (API and page); files are recognised by their content, kept under the uploads folder
with generated names, served as attachments, and go with an erasure or a purge."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.tables import Session
from registrations import input_files, inputs
from registrations.retention import purge_expired
from registrations.tables import WrittenInput
from tests.conftest import login_cookie_client
from tests.registrations.conftest import assign, make_session, submission
from tests.server.helpers import csrf_token

#: The limit these tests run with: small, so an oversized file is cheap to make.
LIMIT = 64 * 1024


@pytest.fixture
def settings(settings):
    return replace(settings, upload_max_bytes=LIMIT)


# --- Documents built here, byte by byte -------------------------------------------------------------------------

def pdf_bytes() -> bytes:
    """A minimal one-page PDF."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            compression = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return _zip([
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                                b'content-types"/>'),
        ("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                              b'wordprocessingml/2006/main"><w:body><w:p/></w:body></w:document>'),
    ])


def odt_bytes() -> bytes:
    return _zip([
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:'
                        b'opendocument:xmlns:office:1.0"/>'),
    ])


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DOCUMENTS = {
    "pdf": ("Submission.pdf", pdf_bytes(), "application/pdf"),
    "docx": ("Submission.docx", docx_bytes(),
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": ("Submission.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
}


def multipart(fields: dict[str, str], file_name: str | None = None, content: bytes = b"",
              declared: str = "application/pdf") -> tuple[bytes, dict[str, str]]:
    """A multipart body written out by hand, so the file name goes exactly as given (control characters too)."""
    boundary = "convene-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    if file_name is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                     f"Content-Type: {declared}\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


async def _register(client, session_id: int, **overrides) -> str:
    response = await client.post(f"/api/v1/sessions/{session_id}/registrations", json=submission(**overrides))
    return response.json()["manage_url"].replace("http://convene.test", "")


def _stored(settings) -> list[str]:
    """Every file in the uploads folder, temporary ones included."""
    return sorted(p.name for p in settings.upload_dir.iterdir()) if settings.upload_dir.is_dir() else []


async def _listening(**overrides) -> int:
    return await make_session(kind="listening_session", **overrides)


# --- Registrants, through the API --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["pdf", "docx", "odt"])
async def test_registrant_uploads_a_document_through_the_api(client, settings, kind):
    session_id = await _listening()
    manage = await _register(client, session_id)
    name, content, declared = DOCUMENTS[kind]
    body, headers = multipart({"title": "Access to services", "language": "fr"}, name, content, declared)

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)

    assert response.status_code == 201, response.text
    reply = response.json()
    assert (reply["kind"], reply["title"], reply["language"], reply["file_name"], reply["size"], reply["source"],
            reply["published"], reply["download_url"]) == (kind, "Access to services", "fr", name, len(content),
                                                           "registrant", False, None)
    row = await WrittenInput.select().first()
    assert row["stored_name"] != name and row["stored_name"].endswith(f".{kind}")
    assert _stored(settings) == [row["stored_name"]]
    assert (settings.upload_dir / row["stored_name"]).read_bytes() == content


async def test_registrant_sends_a_text_as_json(client, settings):
    session_id = await make_session(kind="regional_review")
    manage = await _register(client, session_id)

    response = await client.post(f"/api/v1{manage}/inputs",
                                 json={"title": "Remittances", "language": "es", "text": "Los costos..."})
    listed = await client.get(f"/api/v1{manage}/inputs")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["text"]) == ("text", "Los costos...")
    assert [item["title"] for item in listed.json()["items"]] == ["Remittances"]
    assert _stored(settings) == []


@pytest.mark.parametrize(("file_name", "content", "message"), [
    ("Submission.pdf", docx_bytes(), "The file's name ends in “.pdf” but it holds a DOCX document: rename it to "
                                     "end in .docx."),
    ("Submission.docx", pdf_bytes(), "The file's name ends in “.docx” but it holds a PDF document: rename it to "
                                     "end in .pdf."),
    ("Programme.pdf", b"MZ\x90\x00 a Windows program", "Only PDF, DOCX and ODT documents are taken; this file is "
                                                        "none of them."),
    ("Photo.png", PNG, "Only PDF, DOCX and ODT documents are taken; this file is none of them."),
    ("Notes.docx", _zip([("word/document.xml", b"<w/>")]), "Only PDF, DOCX and ODT documents are taken; this file "
                                                            "is none of them."),
    ("Sheet.odt", _zip([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")]),
     "Only PDF, DOCX and ODT documents are taken; this file is none of them."),
])
async def test_fake_extension_or_wrong_type_is_refused_naming_file(client, settings, file_name, content, message):
    session_id = await _listening()
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Input", "language": "en"}, file_name, content)

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": message}]
    assert await WrittenInput.count() == 0
    assert _stored(settings) == []


@pytest.mark.parametrize("file_name", [
    "../../etc/passwd.pdf", "..%2F..%2Fsecret.pdf", "reports/q1.pdf", "line%0Abreak.pdf", "bell\x07.pdf",
    "escape\x1b[31m.pdf", "invoice\u202efdp.exe.pdf", "\u2067isolate.pdf", ".hidden.pdf",
])
async def test_hostile_file_name_is_refused_naming_file(client, settings, file_name):
    session_id = await _listening()
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Input", "language": "en"}, file_name, pdf_bytes())

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": "Rename the file: its name may not hold a "
                                          "path, control characters or direction marks."}]
    assert _stored(settings) == []


async def test_oversized_file_is_refused_with_413_naming_file(client, settings):
    session_id = await _listening()
    manage = await _register(client, session_id)
    just_right = pdf_bytes() + b"%" * (LIMIT - len(pdf_bytes()))
    body, headers = multipart({"title": "Input", "language": "en"}, "Long.pdf", just_right + b"%")
    fits, fits_headers = multipart({"title": "Input", "language": "en"}, "Long.pdf", just_right)

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)
    accepted = await client.post(f"/api/v1{manage}/inputs", content=fits, headers=fits_headers)

    assert response.status_code == 413
    assert response.json()["errors"] == [{"field": "file", "message": "The file is larger than the limit of 64 KB."}]
    assert accepted.status_code == 201
    assert len(_stored(settings)) == 1


async def test_body_announced_beyond_the_limit_is_refused_before_reading(client, settings, caplog):
    session_id = await _listening()
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Input", "language": "en"}, "Huge.pdf", pdf_bytes() + b"%" * (2 * 1024 * 1024))

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)

    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "file"
    assert _stored(settings) == []
    app_log = [record.getMessage() for record in caplog.records if not record.name.startswith("httpx")]
    assert [line for line in app_log if manage.split("/")[-1] in line] == []  # the link is a secret


async def test_page_body_beyond_the_routes_cap_is_refused_naming_file(client, settings):
    """Even a body the framework stops reading (its cap, while the CSRF check reads the form) names ``file``."""
    session_id = await _listening()
    manage = await _register(client, session_id, preferred_language="en")
    body, headers = multipart({"title": "T", "language": "en", "_csrf_token": await csrf_token(client)}, "a.pdf",
                              pdf_bytes())
    request = client.build_request("POST", f"{manage}/inputs", content=body, headers=headers)
    request.headers["content-length"] = str(200 * 1024 * 1024)

    response = await client.send(request)

    assert response.status_code == 413
    assert "<li><bdi>file</bdi>: The file is larger than the limit of 64 KB.</li>" in response.text
    assert _stored(settings) == []


async def test_inputs_refused_after_the_deadline_naming_it(client, settings):
    past = datetime.now(UTC) - timedelta(hours=1)
    session_id = await _listening(inputs_close_at=past)
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Late", "language": "en"}, "Late.pdf", pdf_bytes())

    response = await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)

    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["inputs_close_at"]
    assert _stored(settings) == []


async def test_deadline_defaults_to_the_start(client):
    session_id = await _listening()
    manage = await _register(client, session_id)
    await Session.update({Session.starts_at: datetime.now(UTC) - timedelta(minutes=5)}).where(Session.id == session_id)

    response = await client.post(f"/api/v1{manage}/inputs", json={"title": "Late", "language": "en", "text": "x"})

    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "inputs_close_at")


async def test_deadline_is_set_per_session_through_the_api(client, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    closes = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)

    response = await client.patch(f"/api/v1/sessions/{session_id}", headers=organiser.headers,
                                  json={"inputs_close_at": closes.isoformat()})

    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["inputs_close_at"]) == closes


async def test_webinar_takes_no_inputs(client):
    session_id = await make_session(kind="webinar")
    manage = await _register(client, session_id)

    response = await client.post(f"/api/v1{manage}/inputs", json={"title": "Input", "language": "en", "text": "x"})

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "kind", "message": "Written inputs are taken for listening "
                                                                      "sessions and regional reviews only."}]


async def test_unknown_or_erased_manage_link_is_refused(client):
    session_id = await _listening()
    manage = await _register(client, session_id)
    await client.post(f"/api/v1{manage}/erase")

    erased = await client.post(f"/api/v1{manage}/inputs", json={"title": "A", "language": "en", "text": "x"})
    forged = await client.post("/api/v1/manage/not-a-token/inputs", json={"title": "A", "language": "en", "text": "x"})

    assert (erased.status_code, forged.status_code) == (404, 404)
    assert await WrittenInput.count() == 0


async def test_registrant_cannot_link_an_input_to_a_registration(client):
    session_id = await _listening()
    manage = await _register(client, session_id)

    response = await client.post(f"/api/v1{manage}/inputs",
                                 json={"title": "A", "language": "en", "text": "x", "registration_id": 1})

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "registration_id")
    assert await WrittenInput.count() == 0


async def test_missing_fields_are_named(client):
    session_id = await _listening()
    manage = await _register(client, session_id)

    response = await client.post(f"/api/v1{manage}/inputs", json={"title": " ", "language": "xx-!", "text": ""})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["title", "language", "text"]


async def test_failed_insert_leaves_no_file(settings, database):
    """The row cannot be written (no such session): the file that was received goes too."""
    data = inputs.InputData(title="Input", language="en", file=io.BytesIO(pdf_bytes()), file_name="Input.pdf")

    with pytest.raises(Exception):  # noqa: B017 - the database's own integrity error, whichever engine
        await inputs._create(999999, data, settings=settings, source="staff", registration_id=None, uploaded_by=None)

    assert await WrittenInput.count() == 0
    assert _stored(settings) == []


# --- Organisers, through the API ----------------------------------------------------------------------------------

async def _staff_pdf(client, session_id: int, staff, **fields) -> dict:
    body, headers = multipart({"title": "Government statement", "language": "en", **fields}, "Statement ÉTAT.pdf",
                              pdf_bytes())
    response = await client.post(f"/api/v1/sessions/{session_id}/inputs", content=body,
                                 headers={**headers, **staff.headers})
    assert response.status_code == 201, response.text
    return response.json()


async def test_download_headers_are_exact(client, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    created = await _staff_pdf(client, session_id, organiser)

    response = await client.get(created["download_url"], headers=organiser.headers)

    assert response.status_code == 200
    assert response.content == pdf_bytes()
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Statement _TAT.pdf\"; filename*=UTF-8''Statement%20%C3%89TAT.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_published_inputs_are_downloadable_from_the_public_page(client, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    created = await _staff_pdf(client, session_id, organiser)
    public_url = f"/sessions/{session_id}/inputs/{created['id']}/file"

    before = await client.get(public_url)
    page_before = await client.get(f"/sessions/{session_id}")
    published = await client.patch(f"/api/v1/sessions/{session_id}/inputs/{created['id']}",
                                   headers=organiser.headers, json={"published": True})
    after = await client.get(public_url)
    page_after = await client.get(f"/sessions/{session_id}")

    assert before.status_code == 404
    assert "Government statement" not in page_before.text
    assert (published.status_code, published.json()["published"]) == (200, True)
    assert after.status_code == 200
    assert (after.headers["content-type"], after.headers["x-content-type-options"]) == ("application/pdf", "nosniff")
    assert after.headers["content-disposition"].startswith("attachment; ")
    assert f'href="{public_url}"' in page_after.text


async def test_staff_list_and_mark_for_summary_shows_on_the_summary_page(client, organiser):
    session_id = await _listening(starts_at=datetime.now(UTC) + timedelta(days=1),
                                  ends_at=datetime.now(UTC) + timedelta(days=1, hours=2))
    await assign(session_id, organiser.id)
    created = await _staff_pdf(client, session_id, organiser)
    text = await client.post(f"/api/v1/sessions/{session_id}/inputs", headers=organiser.headers,
                             json={"title": "Notes from Tunis", "language": "ar", "text": "ملاحظات"})
    await client.patch(f"/api/v1/sessions/{session_id}/inputs/{text.json()['id']}", headers=organiser.headers,
                       json={"for_summary": True})
    await login_cookie_client(client, organiser)

    listed = await client.get(f"/api/v1/sessions/{session_id}/inputs", headers=organiser.headers)
    summary = await client.get(f"/staff/sessions/{session_id}/summary/")

    assert [(i["title"], i["kind"], i["for_summary"]) for i in listed.json()["items"]] == [
        ("Government statement", "pdf", False), ("Notes from Tunis", "text", True)]
    assert listed.json()["total"] == 2
    assert summary.status_code == 200
    assert "Notes from Tunis" in summary.text and created["title"] not in summary.text


async def test_staff_link_to_a_registration_of_another_session_is_refused(client, organiser):
    session_id = await _listening()
    other = await _listening()
    await assign(session_id, organiser.id)
    await _register(client, other)

    response = await client.post(f"/api/v1/sessions/{session_id}/inputs", headers=organiser.headers,
                                 json={"title": "A", "language": "en", "text": "x", "registration_id": 1})

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "registration_id")


async def test_staff_delete_removes_row_and_file(client, settings, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    created = await _staff_pdf(client, session_id, organiser)

    response = await client.delete(f"/api/v1/sessions/{session_id}/inputs/{created['id']}", headers=organiser.headers)

    assert response.status_code == 200
    assert (await WrittenInput.count(), _stored(settings)) == (0, [])


# --- Erasure and retention -------------------------------------------------------------------------------------------

async def test_erasure_removes_the_registrants_files(client, settings, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Mine", "language": "en"}, "Mine.pdf", pdf_bytes())
    await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)
    staff_copy = await _staff_pdf(client, session_id, organiser, registration_id="1")
    unrelated = await _staff_pdf(client, session_id, organiser)
    assert len(_stored(settings)) == 3

    response = await client.post(f"/api/v1{manage}/erase")

    assert response.status_code == 200
    remaining = await WrittenInput.select(WrittenInput.id, WrittenInput.stored_name)
    assert [row["id"] for row in remaining] == [unrelated["id"]]
    assert staff_copy["id"] != unrelated["id"]
    assert _stored(settings) == [remaining[0]["stored_name"]]


async def test_purge_removes_files_of_expired_sessions_and_orphans(client, settings):
    session_id = await _listening()
    manage = await _register(client, session_id)
    body, headers = multipart({"title": "Mine", "language": "en"}, "Mine.pdf", pdf_bytes())
    await client.post(f"/api/v1{manage}/inputs", content=body, headers=headers)
    orphan = settings.upload_dir / ("0" * 32 + ".pdf")
    orphan.write_bytes(b"%PDF-left by a crash")
    recent = settings.upload_dir / ("1" * 32 + ".pdf")
    recent.write_bytes(b"%PDF-an upload under way")
    old = datetime.now(UTC).timestamp() - 7200
    os.utime(orphan, (old, old))
    await Session.update({Session.ends_at: datetime.now(UTC) - timedelta(days=400),
                          Session.starts_at: datetime.now(UTC) - timedelta(days=400, hours=2)}).where(
        Session.id == session_id)

    await purge_expired(settings)

    assert await WrittenInput.count() == 0
    assert _stored(settings) == [recent.name]


# --- Pages -------------------------------------------------------------------------------------------------------

async def test_manage_page_upload_and_refusal_beside_the_field(client, settings):
    session_id = await _listening()
    manage = await _register(client, session_id, preferred_language="en")
    page = await client.get(manage)
    token = await csrf_token(client)
    good, headers = multipart({"title": "Our input", "language": "fr", "_csrf_token": token}, "Input.odt",
                              odt_bytes(), "application/octet-stream")
    bad, bad_headers = multipart({"title": "Fake", "language": "en", "_csrf_token": token}, "Fake.pdf", PNG)

    sent = await client.post(f"{manage}/inputs", content=good, headers=headers)
    refused = await client.post(f"{manage}/inputs", content=bad, headers=bad_headers)
    after = await client.get(sent.headers["location"])

    assert 'enctype="multipart/form-data"' in page.text
    assert sent.status_code == 303
    assert "Thank you: your written input is received." in after.text and "Our input" in after.text
    assert refused.status_code == 422
    assert ('<span class="field-error" id="error-input-file">Only PDF, DOCX and ODT documents are taken; this file '
            'is none of them.</span>') in refused.text
    assert len(_stored(settings)) == 1


async def test_manage_page_says_when_inputs_closed(client):
    session_id = await _listening(inputs_close_at=datetime.now(UTC) - timedelta(hours=1))
    manage = await _register(client, session_id, preferred_language="en")

    page = await client.get(manage)

    assert "Written inputs were taken until" in page.text
    assert f'action="{manage}/inputs"' not in page.text


async def test_staff_page_upload_publish_and_refusal(client, settings, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    token = await csrf_token(client)
    good, headers = multipart({"title": "Letter", "language": "en", "_csrf_token": token}, "Letter.docx",
                              docx_bytes())
    hostile, hostile_headers = multipart({"title": "Letter", "language": "en", "_csrf_token": token},
                                         "..\u202epdf.exe.docx", docx_bytes())

    sent = await client.post(f"/staff/sessions/{session_id}/inputs", content=good, headers=headers)
    refused = await client.post(f"/staff/sessions/{session_id}/inputs", content=hostile, headers=hostile_headers)
    row = await WrittenInput.select().first()
    published = await client.post(f"/staff/sessions/{session_id}/inputs/{row['id']}",
                                  data={"published": "on", "_csrf_token": token})
    page = await client.get(f"/staff/sessions/{session_id}/inputs")
    download = await client.get(f"/staff/sessions/{session_id}/inputs/{row['id']}/file")

    assert sent.status_code == 303
    assert refused.status_code == 422 and 'id="error-file"' in refused.text
    assert published.status_code == 303
    assert (await WrittenInput.select(WrittenInput.published).first())["published"] is True
    assert "Letter.docx" in page.text
    assert download.headers["content-type"] == DOCUMENTS["docx"][2]
    assert len(_stored(settings)) == 1


@pytest.mark.engine_independent
def test_sniff_reads_content_not_names(tmp_path: Path):
    samples = {"a.bin": pdf_bytes(), "b.bin": docx_bytes(), "c.bin": odt_bytes(), "d.bin": PNG, "e.bin": b"PK\x03\x04"}
    for name, content in samples.items():
        (tmp_path / name).write_bytes(content)

    found = [input_files.sniff(tmp_path / name) for name in samples]

    assert found == ["pdf", "docx", "odt", None, None]


async def test_staff_page_sets_the_deadline_in_the_sessions_zone(client, organiser):
    session_id = await _listening()  # Europe/Zurich
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    token = await csrf_token(client)
    local = (datetime.now(UTC) + timedelta(days=3)).astimezone(ZoneInfo("Europe/Zurich")).replace(
        second=0, microsecond=0)

    response = await client.post(f"/staff/sessions/{session_id}/inputs/deadline",
                                 data={"inputs_close_at": local.strftime("%Y-%m-%dT%H:%M"), "_csrf_token": token})
    refused = await client.post(f"/staff/sessions/{session_id}/inputs/deadline",
                                data={"inputs_close_at": "next week", "_csrf_token": token})
    cleared = await client.post(f"/staff/sessions/{session_id}/inputs/deadline",
                                data={"inputs_close_at": "", "_csrf_token": token})

    assert response.status_code == 303
    assert refused.status_code == 422 and 'id="error-inputs_close_at"' in refused.text
    assert cleared.status_code == 303
    row = await Session.select(Session.inputs_close_at).where(Session.id == session_id).first()
    assert row["inputs_close_at"] is None


async def test_staff_page_deadline_is_stored(client, organiser):
    session_id = await _listening()
    await assign(session_id, organiser.id)
    await login_cookie_client(client, organiser)
    local = (datetime.now(UTC) + timedelta(days=3)).astimezone(ZoneInfo("Europe/Zurich")).replace(
        second=0, microsecond=0)

    await client.post(f"/staff/sessions/{session_id}/inputs/deadline",
                      data={"inputs_close_at": local.strftime("%Y-%m-%dT%H:%M"),
                            "_csrf_token": await csrf_token(client)})

    row = await Session.select(Session.inputs_close_at).where(Session.id == session_id).first()
    assert row["inputs_close_at"] == local


async def test_openapi_describes_both_bodies_of_the_upload_routes(client):
    document = (await client.get("/schema/openapi.json")).json()

    for path in ("/api/v1/sessions/{session_id}/inputs", "/api/v1/manage/{token}/inputs"):
        content = document["paths"][path]["post"]["requestBody"]["content"]
        assert sorted(content) == ["application/json", "multipart/form-data"]
        assert content["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
