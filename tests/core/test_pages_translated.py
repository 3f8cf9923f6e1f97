"""Issue 18, point 8: the main pages under nynorsk and English show no bokmål text of our catalogue — also not in
what the pages show from stored data (the eligibility checks, the history) or compose (months, four-eyes reasons)."""

import html
import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from alis import rules as alis_rules
from alis.models import AlisEvent
from core.months import month_label
from grants.services import cases, ledger
from practices.models import Membership, Role
from tests import factories, factories_alis
from tests.core.test_translations import po_entries

pytestmark = pytest.mark.django_db
JUNE = date(2020, 6, 1)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
# not prose: scripts, comments, and <code> (file column names such as `kommunenummer` are the same in every language)
HIDDEN = re.compile(r"<(script|style|template|code)\b.*?</\1>|<!--.*?-->", re.S | re.I)
MIN_LENGTH = 13  # shorter texts ("Avslått", "Legekontor") would hit words the languages share


def visible_text(page: str) -> str:
    """The page's text as a reader gets it: no tags, scripts, comments or code; entities decoded; spaces collapsed.
    The attributes a screen reader reads (title, aria-label, placeholder) count as text."""
    page = HIDDEN.sub(" ", page)
    attributes = " ".join(m[1] for m in re.finditer(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page) + " " + attributes
    return re.sub(r"\s+", " ", html.unescape(text))


def bokmaal_needles(language: str) -> set[str]:
    """Bokmål texts that must not be on a page in `language`: the msgids whose translation differs, cut at their
    placeholders, each piece long enough to mean something and found in no translation of the language."""
    entries = po_entries(language)
    translated = "\n".join(re.sub(r"\s+", " ", s) for _, _, msgstrs, _ in entries for s in msgstrs)
    needles = set()
    for msgid, plural, msgstrs, _ in entries:
        sources = [msgid, plural] if plural else [msgid]
        if all(source == msgstr for source, msgstr in zip(sources, msgstrs, strict=False)):
            continue
        for source in sources:
            for piece in PLACEHOLDER.split(re.sub(r"\s+", " ", source)):
                piece = piece.strip(" .,:;()«»–-")
                if len(piece) >= MIN_LENGTH and "<" not in piece and piece not in translated:
                    needles.add(piece)
    return needles


@pytest.fixture(scope="module")
def needles():
    return {language: bokmaal_needles(language) for language in ("nn", "en")}


@pytest.fixture
def pages(oslo, administrator, caseworker, monkeypatch):
    """A municipality with a list, a submitted grunntilskudd (stored checks, history) and a computed month, an ALIS
    agreement awaiting decision, seen by a user who is administrator and caseworker: the case they submitted
    shows the four-eyes reason on its buttons."""
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))
    user = factories.member(oslo, Role.ADMINISTRATOR)
    Membership.objects.create(user=user, municipality=oslo, role=Role.CASEWORKER)
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000)
    factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=300, listetak=1000)
    other = factories.ListHolderFactory(patient_list__practice=holder.patient_list.practice)
    factories.ListCountFactory(patient_list=other.patient_list, month=JUNE, antall_pasienter=1400)
    case = cases.save_grunntilskudd_draft(user=user, patient_list=holder.patient_list, avtale_fra=date(2020, 6, 15))
    cases.transition(case, action="submit", user=user)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    agreement = factories_alis.AgreementFactory(practice=holder.patient_list.practice, status=alis_rules.INNSENDT,
                                                created_by=user, submitted_by=user)
    for action, source, target in (("create", "", alis_rules.UTKAST),
                                   ("submit", alis_rules.UTKAST, alis_rules.INNSENDT)):
        AlisEvent.objects.create(agreement=agreement, action=action, from_status=source, to_status=target, user=user)
    patient_list = holder.patient_list
    return user, [
        reverse("dashboard"),
        reverse("practices:list_index"),
        reverse("practices:list_detail", args=[patient_list.pk]),
        reverse("practices:practice_index"),
        reverse("practices:practice_detail", args=[patient_list.practice_id]),
        reverse("practices:doctor_detail", args=[holder.doctor_id]),
        reverse("grants:grunntilskudd_index"),
        reverse("grants:grunntilskudd_detail", args=[case.pk]),
        reverse("grants:payment_month", args=[oslo.kommunenummer, "2020-06"]),
        reverse("grants:report"),
        reverse("grants:rates"),
        reverse("alis:agreement_detail", args=[agreement.pk]),
        reverse("practices:import_index"),
        reverse("alis:import_index"),
        reverse("accessibility"),
    ]


@pytest.mark.parametrize(("language", "june"), [("nn", "juni 2020"), ("en", "June 2020")])
def test_main_pages_show_no_bokmaal_text(client, pages, needles, language, june):
    user, urls = pages
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    found, seen = {}, ""
    with translation.override(translation.get_language()):  # the request activates `language` in this thread
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = visible_text(response.content.decode())
            assert f'lang="{language}"' in response.content.decode(), url
            hits = sorted(needle for needle in needles[language] if needle in text)
            if hits:
                found[url] = hits
            seen += text
    assert not found, f"bokmål under {language}: {found}"
    # what the data put on the pages: the stored checks, the history, the four-eyes reason and the month
    assert june in seen
    expected = {"nn": ["Søkjaren er listeinnehavar.", "Sendt inn", "fireaugeprinsippet"],
                "en": ["The applicant holds the list.", "Submitted", "four-eyes principle"]}[language]
    for text in expected:
        assert text in seen, text


@pytest.mark.parametrize(("language", "label"), [("nb", "juni 2022"), ("nn", "juni 2022"), ("en", "June 2022")])
def test_month_names_follow_the_language(language, label):
    with translation.override(language):
        assert month_label(date(2022, 6, 1)) == label
