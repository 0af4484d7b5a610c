"""Languages: choosing one (cookie, Accept-Language, English), Babel formatting, plural forms, isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from server.app import jinja_environment
from server.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    bidi_isolate,
    format_date,
    format_datetime,
    format_list,
    format_number,
    format_time_range,
    gettext,
    ngettext,
    use_locale,
)
from server.web import negotiate_language

pytestmark = pytest.mark.engine_independent


@pytest.mark.parametrize(
    ("cookie", "accept_language", "expected"),
    [
        ("fr", "ar,en;q=0.5", "fr"),  # the person's choice wins
        (None, "ar-EG,en;q=0.5", "ar"),
        (None, "zh-Hans-CN,zh;q=0.9", "zh"),
        (None, "zh-TW", "zh"),
        (None, "de-CH,ru;q=0.8,en;q=0.5", "ru"),
        (None, "es-419", "es"),
        (None, "de, it", "en"),  # nothing we speak: English
        (None, None, "en"),
        ("xx", "fr-CA", "fr"),  # an unknown cookie value is ignored
        (None, "*, !!!, en-US;q=0.1", "en"),
        (None, "fr;q=0.4, ar;q=0.9", "ar"),  # the highest q wins, wherever it stands
        (None, "es;q=0.5, ru;q=0.5", "es"),  # equal q: the order given
        (None, "fr;q=0, es;q=0.2", "es"),  # q=0 is "not French"
        (None, "fr;q=abc, ru", "ru"),  # a malformed q counts as 0
        (None, "fr;q=2", "en"),  # out of range
    ],
)
def test_negotiate_language_prefers_cookie_then_accept_language_then_english(cookie, accept_language, expected):
    assert negotiate_language(cookie, accept_language) == expected


@pytest.mark.parametrize(
    ("language", "plurals"), [("ar", 6), ("zh", 1), ("en", 2), ("fr", 3), ("ru", 3), ("es", 3)]
)
def test_catalog_plural_forms_match_the_language(language, plurals):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    assert catalog.num_plurals == plurals


def test_catalogs_cover_the_six_un_languages():
    assert sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir()) == sorted(LANGUAGES)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "1,234,567.5"), ("fr", "1\u202f234\u202f567,5"), ("ru", "1\xa0234\xa0567,5"), ("es", "1.234.567,5"),
     ("zh", "1,234,567.5"), ("ar", "1,234,567.5")],
)
def test_format_number_uses_the_locale_separators(language, expected):
    with use_locale(language):
        assert format_number(1234567.5) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "French, Spanish, and Arabic"), ("fr", "French, Spanish et Arabic"),
     ("ar", "French وSpanish وArabic"), ("zh", "French、Spanish和Arabic"), ("ru", "French, Spanish и Arabic")],
)
def test_format_list_joins_in_the_locale_words(language, expected):
    with use_locale(language):
        assert format_list(["French", "Spanish", "Arabic"]) == expected


def test_format_date_moves_an_instant_into_the_zone_first():
    late_in_utc = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
    with use_locale("fr", "Asia/Tokyo"):
        assert format_date(late_in_utc) == "4 mars 2026"
    with use_locale("en"):
        assert format_date(date(2026, 3, 3), format="full") == "Tuesday, March 3, 2026"


def test_format_time_range_names_the_zone_in_every_language():
    starts, ends = datetime(2026, 3, 3, 13, 0, tzinfo=UTC), datetime(2026, 3, 3, 14, 30, tzinfo=UTC)
    with use_locale("en", "Europe/Zurich"):
        assert format_time_range(starts, ends) == (
            "Tuesday, March 3, 2026, 2:00\u202fPM–3:30\u202fPM (Europe/Zurich, UTC+01:00)"
        )
    with use_locale("fr", "America/New_York"):
        assert format_time_range(starts, ends) == "mardi 3 mars 2026, 08:00–09:30 (America/New_York, UTC-05:00)"


def test_format_datetime_isolates_the_latin_zone_label_in_arabic():
    moment = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    with use_locale("ar", "Asia/Amman"):
        text = format_datetime(moment)
    assert text.endswith("(\u2068Asia/Amman, UTC+03:00\u2069)")


def test_ngettext_formats_num_with_the_locale_digits():
    with use_locale("fr"):
        assert ngettext("%(num)s seat", "%(num)s seats", 1500) == "1\u202f500 seats"


def test_gettext_fills_named_placeholders():
    with use_locale("en"):
        assert gettext("Hello %(name)s", name="Amina") == "Hello Amina"


def test_bidi_isolate_wraps_in_first_strong_isolate():
    assert bidi_isolate("jane@example.org") == "\u2068jane@example.org\u2069"


def test_template_bdi_filter_isolates_and_escapes_inserted_values():
    template = jinja_environment().from_string('{{ _("Registered as %(name)s", name=name|bdi) }}')
    with use_locale("ar"):
        assert template.render(name="<b>Jane</b>") == "Registered as <bdi>&lt;b&gt;Jane&lt;/b&gt;</bdi>"


def test_template_ngettext_gives_locale_digits_and_escapes_values():
    template = jinja_environment().from_string(
        '{{ ngettext("%(num)s seat left for %(who)s", "%(num)s seats left for %(who)s", n, who=who) }}'
    )
    with use_locale("es"):
        assert template.render(n=2500, who="<i>") == "2.500 seats left for &lt;i&gt;"


def test_lang_attrs_mark_text_in_another_language_with_its_direction():
    from server.i18n import lang_attrs

    with use_locale("ar"):
        assert (lang_attrs("en"), lang_attrs("ar")) == (' lang="en" dir="ltr"', "")
    with use_locale("fr"):
        assert lang_attrs("ar") == ' lang="ar" dir="rtl"'


def test_language_note_names_the_language_the_text_is_shown_in():
    from server.i18n import language_note

    with use_locale("en"):
        assert (language_note("fr"), language_note("en")) == (' <span class="language-note">(in French)</span>', "")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ar", "الثلاثاء، 3 مارس 2026، 3:00 م–5:00 م (\u2068Asia/Beirut, UTC+02:00\u2069)"),
        ("zh", "2026年3月3日星期二 15:00–17:00 (Asia/Beirut, UTC+02:00)"),
        ("ru", "вторник, 3 марта 2026\u202fг., 15:00–17:00 (Asia/Beirut, UTC+02:00)"),
    ],
)
def test_format_time_range_joins_date_and_time_the_locale_way(language, expected):
    with use_locale(language, "Asia/Beirut"):
        text = format_time_range(datetime(2026, 3, 3, 13, tzinfo=UTC), datetime(2026, 3, 3, 15, tzinfo=UTC))
    assert text == expected


def test_bdi_filter_in_plain_text_uses_unicode_isolates_for_right_to_left_only():
    text = jinja_environment().overlay(autoescape=False).from_string('{{ _("Dear %(name)s,", name=name|bdi) }}')
    with use_locale("ar"):
        assert text.render(name="Jane Doe") == "السيد(ة) \u2068Jane Doe\u2069 المحترم(ة)،"
    with use_locale("en"):
        assert text.render(name="Jane Doe") == "Dear Jane Doe,"


def test_bdi_link_ends_a_url_with_a_space_inside_the_isolate_so_linkers_stop_before_the_mark():
    text = jinja_environment().overlay(autoescape=False).from_string(
        '{{ _("Details: %(url)s", url=url|bdi_link) }}'
    )
    html = jinja_environment().from_string('{{ _("Details: %(url)s", url=url|bdi_link) }}')
    with use_locale("ar"):
        assert text.render(url="https://x.org/s/1").endswith("\u2068https://x.org/s/1 \u2069")
        assert html.render(url="https://x.org/s/1?a=1&b=2").endswith("<bdi>https://x.org/s/1?a=1&amp;b=2</bdi>")
    with use_locale("en"):
        assert text.render(url="https://x.org/s/1") == "Details: https://x.org/s/1"
