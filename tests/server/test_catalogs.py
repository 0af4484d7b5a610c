"""The translation catalogs: complete in every UN language, in step with the sources, placeholders intact.

When this fails after you added or changed a string: `make messages`, translate the new entries in
server/locale/<lang>/LC_MESSAGES/messages.po (no fuzzy marks left), and run it again.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from server.i18n import LANGUAGES, LOCALE_DIR
from server.settings import ROOT

pytestmark = pytest.mark.engine_independent

TRANSLATED = [language for language in LANGUAGES if language != "en"]
# The same keywords `make messages` passes to pybabel (Babel's defaults cover _, gettext and ngettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


@cache
def source_msgids() -> frozenset:
    """Every marked string in the sources, extracted as `make messages` does (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return frozenset(found)


@cache
def catalog(language: str | None) -> Catalog:
    path = LOCALE_DIR / "messages.pot" if language is None else LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=language)


def msgids(language: str | None) -> set:
    return {message.id for message in catalog(language) if message.id}


@pytest.mark.parametrize("language", [None, *LANGUAGES], ids=["pot", *LANGUAGES])
def test_catalog_is_in_step_with_the_sources(language):
    missing = sorted(map(str, source_msgids() - msgids(language)))
    obsolete = sorted(map(str, msgids(language) - source_msgids()))
    assert (missing, obsolete) == ([], []), "run `make messages` and translate the new entries"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_translates_every_message(language):
    untranslated = [
        str(message.id)
        for message in catalog(language)
        if message.id and (not message.string or not all(message.string if message.pluralizable else [True]))
    ]
    assert untranslated == []


# Words spelt the same in English and that language; any other msgstr equal to its msgid is an English copy.
SAME_AS_ENGLISH = {
    "fr": {"Actions", "Contact", "Description", "Message", "Messages", "Migrants", "Note", "Organisation", "Pages",
           "Participant", "Places", ("%(num)s minute", "%(num)s minutes")},
    "es": {"Error", "No"},
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def has_words(msgid: str) -> bool:
    """Whether a msgid has anything to translate besides its placeholders and punctuation."""
    return any(character.isalpha() for character in PLACEHOLDER.sub("", msgid))


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_no_english_copies(language):
    copies = [
        str(message.id)
        for message in catalog(language)
        if message.id and message.id != "Convene"  # the product's name
        and has_words(message.id if isinstance(message.id, str) else message.id[0])
        and (message.string == message.id or (message.pluralizable and set(message.string) <= set(message.id)))
        and message.id not in SAME_AS_ENGLISH.get(language, set())
    ]
    assert copies == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_no_fuzzy_translations(language):
    assert [str(message.id) for message in catalog(language) if message.id and message.fuzzy] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_keeps_placeholders_intact(language):
    # Babel's checkers: python-format placeholders and the number of plural forms.
    problems = [(str(message.id), [str(error) for error in errors]) for message, errors in catalog(language).check()]
    assert problems == []


def test_plural_messages_count_with_a_string_placeholder():
    # ngettext gives %(num)s as the locale's digits (a string), so %(num)d would fail at run time.
    bad = [message for message in source_msgids() if isinstance(message, tuple) and "%(num)d" in "".join(message)]
    assert bad == []
