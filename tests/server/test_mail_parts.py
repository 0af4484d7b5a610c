"""Every mail template's two parts say the same things: each body is written once and rendered as plain text and as
HTML, so the text part has no markup, writes out every link of the HTML part, and says nothing the HTML does not.

"Says nothing the HTML does not" is checked line by line on the text part: a line is in the HTML's visible text;
or it is ``term: value`` whose term and value are (a detail, ``<dt>``/``<dd>`` in HTML); or it writes out URLs that
are the HTML's links (a link's sentence in the text part, "Details: https://…" for the HTML's "Session details").
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from server.mail.render import RenderedMessage, render_content
from server.settings import Settings
from tests.mail_samples import LANGUAGES, SAMPLES, sample_content, template_names

pytestmark = pytest.mark.engine_independent

ISOLATES = re.compile("[\u2066-\u2069]")
TAG = re.compile(r"<[A-Za-z/!][^>]*>")
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
URL = re.compile(r"(?:https?://|mailto:)\S+")
TERM_AND_VALUE = re.compile(r"\s*[:：]\s*")
BLOCKS = {"p", "br", "li", "dt", "dd", "h1", "h2", "h3", "h4", "div", "td", "tr", "blockquote", "ul", "dl", "table"}


class _Visible(HTMLParser):
    """The HTML's visible text, a line per block, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.hrefs: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in {"head", "style", "title"}
        self.pieces.append("\n" if tag in BLOCKS else "")
        self.hrefs += [value for name, value in attrs if tag == "a" and name == "href" and value]

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in {"head", "style", "title"}
        self.pieces.append("\n" if tag in BLOCKS else "")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.pieces.append(data)


def _plain(text: str) -> str:
    return " ".join(ISOLATES.sub("", text).split())


def visible_text_and_links(html: str) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(html)
    lines = (_plain(line) for line in "".join(parser.pieces).splitlines())
    return "\n".join(line for line in lines if line), parser.hrefs


def differences(text: str, html: str) -> list[str]:
    """What makes the text part not the HTML part's equivalent (nothing when it is)."""
    problems = [f"markup in the text part: {found}" for found in TAG.findall(text) + ENTITY.findall(text)]
    visible, hrefs = visible_text_and_links(html)
    written_out = ISOLATES.sub("", text)
    for href in hrefs:
        url = href.removeprefix("mailto:")
        if not re.search(re.escape(url) + r"(?!\S)", written_out):
            problems.append(f"link not written out in the text part: {href}")
    for line in written_out.splitlines():
        line = _plain(line).removeprefix("- ")
        if line in ("", "--") or line in visible:
            continue
        urls = [url.rstrip(".,;") for url in URL.findall(line)]
        if urls and all(url in hrefs for url in urls):
            continue
        term_and_value = TERM_AND_VALUE.split(line, maxsplit=1)
        if len(term_and_value) == 2 and all(part and part in visible for part in term_and_value):
            continue
        problems.append(f"text part only: {line}")
    return problems


@pytest.fixture(scope="module")
def mail_settings() -> Settings:
    return Settings(database_url="sqlite:///unused.db", secret_key="s" * 40, var_dir=Path("/nonexistent"),
                    public_url="http://convene.test", mail_from="Convene Secretariat <events@convene.test>")


def rendered(template: str, variant: str, language: str, settings: Settings) -> RenderedMessage:
    zone = "Asia/Dubai" if language == "ar" else "Europe/Zurich"
    return render_content(template, sample_content(template, variant), language=language, timezone=zone,
                          settings=settings)


def test_every_template_has_samples():
    assert sorted(SAMPLES) == template_names()


@pytest.mark.parametrize("template", template_names())
def test_text_part_says_what_the_html_part_says_in_every_language(template: str, mail_settings: Settings):
    problems = []
    for variant in SAMPLES[template]:
        for language in LANGUAGES:
            message = rendered(template, variant, language, mail_settings)
            problems += [f"{variant} {language}: {problem}" for problem in differences(message.text, message.html)]

    assert problems == []


def test_the_check_finds_a_sentence_and_a_link_the_text_part_lacks_or_adds(mail_settings: Settings):
    message = rendered("registration_confirmed", "full", "en", mail_settings)
    html = message.html.replace("</body>", '<p><a href="https://extra.example.org/x">More</a></p></body>')
    text = message.text.replace("Dear Ana Pérez,", "Dear Ana Pérez,\n\nA sentence only here &amp; <b>bold</b>.")

    assert differences(text, html) == [
        "markup in the text part: <b>",
        "markup in the text part: </b>",
        "markup in the text part: &amp;",
        "link not written out in the text part: https://extra.example.org/x",
        "text part only: A sentence only here &amp; <b>bold</b>.",
    ]


def test_arabic_text_part_keeps_links_and_values_isolated(mail_settings: Settings):
    text = rendered("registration_confirmed", "full", "ar", mail_settings).text

    assert "\u2068http://convene.test/manage/abc.def \u2069" in text
    assert "\n\u2066+41 22 000 00 00\u2069\n\u2066+1 212 000 0000\u2069\n" in text


def test_text_part_blocks_are_parted_by_one_blank_line(mail_settings: Settings):
    text = rendered("speaker_moved", "full", "en", mail_settings).text

    assert text.split("\n\n")[:6] == [
        "Dear Ana Pérez,",
        "Your place on the speakers' list has changed.",
        "- Your place on the list: 3\n- Minutes to speak: 5\n- Expected time: Thursday 3 December 2037, 14:25\n"
        "- Previously expected: Thursday 3 December 2037, 14:10",
        "The expected time may change a little as the session runs.",
        "Migration data for policy\nWhen: Thursday 3 December 2037, 14:00–15:30 (Europe/Zurich)\n"
        "Local time of the session: Thursday 3 December 2037, 14:00–15:30 CET\nVenue: Palais des Nations, Room XVIII",
        "Details: http://convene.test/sessions/7",
    ]
