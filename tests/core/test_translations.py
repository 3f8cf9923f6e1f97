"""Translations: every msgid has an English and a nynorsk text, compiled, and the pages use them."""

import gettext
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import ROOT

LANGUAGES = ["en", "nn"]
FIELD = re.compile(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$')
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def unescape(text):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m[1], m[0]), text)


def po_entries(language):
    """(msgid, msgid_plural or None, [msgstr, ...], flags) for each live entry of django.po but the header."""
    text = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        fields, flags, key = {}, set(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif match := FIELD.match(line):
                key = match[1]
                fields[key] = unescape(match[2])
            elif line.startswith('"') and key:
                fields[key] += unescape(line[1:-1])
        if fields.get("msgid"):
            msgstrs = [value for name, value in fields.items() if name.startswith("msgstr")]
            entries.append((fields["msgid"], fields.get("msgid_plural"), msgstrs, flags))
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_and_compiled(language):
    entries = po_entries(language)
    assert len(entries) > 500, "makemessages found far fewer strings than expected"
    assert not [msgid for msgid, _, _, flags in entries if "fuzzy" in flags], "fuzzy entries"
    assert not [msgid for msgid, _, msgstrs, _ in entries if not msgstrs or not all(msgstrs)], "untranslated"
    for msgid, plural, msgstrs, _ in entries:
        sources = [msgid, plural] if plural else [msgid]
        for index, msgstr in enumerate(msgstrs):
            source = sources[min(index, len(sources) - 1)]
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(source)), (msgid, msgstr)
    # The .mo that Django loads says the same as the .po (compilemessages was run after the last change).
    with open(ROOT / "locale" / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for msgid, plural, msgstrs, _ in entries:
        if plural:
            got = [compiled.ngettext(msgid, plural, 1), compiled.ngettext(msgid, plural, 2)]
        else:
            got = [compiled.gettext(msgid)]
        if got != msgstrs:
            stale.append(msgid)
    assert not stale, f"django.mo is out of date for {len(stale)} strings, e.g. {stale[:3]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "bokmaal"),
    [
        ("nn", ["Utbetalingar", "Grunntilskot", "Kva om", "Hovudmeny"], ["Utbetalinger", "Hva om"]),
        ("en", ["Payments", "Practices and lists", "What if", "Main menu"], ["Utbetalinger", "Oversikt"]),
    ],
)
def test_dashboard_navigation_in_the_chosen_language(client, caseworker, language, expected, bokmaal):
    client.force_login(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(translation.get_language()):  # the request activates `language` in this thread
        body = client.get(reverse("dashboard")).content.decode()
    assert f'lang="{language}"' in body
    for label in expected:
        assert label in body
    for label in bokmaal:
        assert f">{label}<" not in body
