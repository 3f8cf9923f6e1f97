"""Decision letters as PDF (docs/grants.md, «Vedtaksbrev som PDF»): one letter per decision, made when the decision
is saved, never made again; its text (municipality, saksnummer, caseworker, hjemmel, the right to appeal), its
archive file name, who may download it, and a failure to render that keeps the decision."""

import hashlib
import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse

from alis import services as alis_services
from alis.models import AlisDecisionLetter
from core import letters as core_letters
from grants.models import DecisionLetter, GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale
from grants.services import cases
from tests import factories
from tests.factories_alis import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 1))


@pytest.fixture
def people(administrator, caseworker, caseworker2):
    for user, first, last in ((caseworker, "Ingrid", "Innvilgsen"), (caseworker2, "Signe", "Sluttsen")):
        user.first_name, user.last_name = first, last
        user.save()
    return administrator, caseworker, caseworker2


@pytest.fixture
def small_list(oslo):
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listetak=1000,
                                         from_month=date(2020, 1, 1), avtale_fra=date(2021, 6, 15))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2022, 2, 1), antall_pasienter=300,
                               listetak=1000)
    return holder


def submitted(holder, administrator, *, saksnummer="2022/77"):
    case = cases.create_case(case=GrunntilskuddApplication(
        municipality=holder.patient_list.municipality, patient_list=holder.patient_list, doctor=holder.doctor,
        avtale_fra=date(2021, 6, 15), saksnummer=saksnummer), user=administrator)
    return cases.transition(case, action="submit", user=administrator)


def text_of(letter) -> str:
    with letter.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def letters_of(case) -> list:
    return list(DecisionLetter.objects.filter(event__grunntilskudd=case).select_related("event").order_by("pk"))


def test_an_approval_gets_a_pdf_with_municipality_saksnummer_caseworker_hjemmel_and_the_right_to_appeal(
        small_list, people):
    administrator, caseworker, _ = people
    case = cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    [letter] = letters_of(case)
    text = text_of(letter)
    assert letter.event.action == "approve" and letter.created_by == caseworker
    assert letter.filename == f"vedtak-2022-77-grunntilskudd-{case.pk}-innvilget.pdf"
    assert "Oslo kommune" in text and "Oslove" not in text
    assert "2022/77" in text and "Ingrid Innvilgsen" in text
    assert "Vedtak: innvilget søknad om grunntilskudd" in text
    assert "klage" in text and "tre uker" in text and "forvaltningsloven § 28" in text
    assert "§ 27 tredje ledd" in text
    assert "Handlingsplan for allmennlegetjenesten" in text  # the hjemmel


def test_rejection_appeal_and_upheld_rejection_each_get_their_letter(small_list, people):
    administrator, caseworker, caseworker2 = people
    case = cases.transition(submitted(small_list, administrator), action="reject", user=caseworker,
                            reason="For mange pasienter.")
    case = cases.transition(case, action="appeal", user=administrator, reason="Tallet er feil.")
    case = cases.transition(case, action="reject", user=caseworker2, reason="Tallet er riktig.")
    rejection, upheld = letters_of(case)
    assert rejection.filename.endswith("-avslag.pdf") and upheld.filename.endswith("-klage-avslag.pdf")
    first, second = text_of(rejection), text_of(upheld)
    assert "For mange pasienter." in first and "tre uker" in first and "Ingrid Innvilgsen" in first
    assert "Statsforvalteren" in second and "Tallet er riktig." in second and "Signe Sluttsen" in second
    assert "Vedtak etter klage" in second and "innen tre uker" not in second  # it goes on, no new deadline
    # a second appeal decision of the same kind gets its own name
    case = cases.transition(case, action="appeal", user=administrator, reason="Ny klage.")
    case = cases.transition(case, action="approve", user=caseworker)
    granted = letters_of(case)[-1]
    assert granted.filename == f"vedtak-2022-77-grunntilskudd-{case.pk}-klage-innvilget.pdf"
    assert "gir deg medhold" in text_of(granted) and "tre uker" in text_of(granted)


def test_a_termination_gets_a_letter_signed_by_who_terminated(small_list, people):
    administrator, caseworker, caseworker2 = people
    case = cases.transition(submitted(small_list, administrator, saksnummer=""), action="approve", user=caseworker)
    case = cases.transition(case, action="terminate", user=caseworker2, reason="Legen har sluttet.",
                            on=date(2022, 2, 28))
    approval, termination = letters_of(case)
    assert termination.filename == f"vedtak-grunntilskudd-{case.pk}-avsluttet.pdf"  # no saksnummer: the case id
    text = text_of(termination)
    assert "grunntilskuddet avsluttes" in text and "28.02.2022" in text and "Legen har sluttet." in text
    assert "Signe Sluttsen" in text and "Ingrid Innvilgsen" not in text and "tre uker" in text
    assert "Ingrid Innvilgsen" in text_of(approval)  # the approval's letter is left as it was


def test_an_introduksjonsavtale_letter_names_its_hjemmel(oslo, people):
    administrator, caseworker, _ = people
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=5,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    host = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
    case = cases.create_case(case=IntroduksjonsAvtale(
        municipality=oslo, practice=host.patient_list.practice, doctor=factories.DoctorFactory(),
        start_date=date(2022, 1, 15), end_date=date(2024, 1, 14), position_percent=100,
        annual_contribution=Decimal("0")), user=administrator, host_lists=[host.patient_list])
    case = cases.transition(cases.transition(case, action="submit", user=administrator), action="approve",
                            user=caseworker, override_reason="Testsak")
    letter = DecisionLetter.objects.get(event__introduksjon=case)
    assert letter.filename == f"vedtak-introduksjon-{case.pk}-innvilget.pdf"
    text = text_of(letter)
    assert "trygderefusjonsforskriften" in text and "tre uker" in text and "Oslo kommune" in text


def test_the_download_is_the_stored_pdf_and_is_never_made_again(client, small_list, people, auditor, outsider):
    administrator, caseworker, _ = people
    case = cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    [letter] = letters_of(case)
    url = reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, letter.event_id])
    client.force_login(auditor)
    bodies = []
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{letter.filename}"'
        bodies.append(b"".join(response.streaming_content))
    assert hashlib.sha256(bodies[0]).hexdigest() == hashlib.sha256(bodies[1]).hexdigest() == letter.sha256
    assert DecisionLetter.objects.count() == 1
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    submit = case.events.get(action="submit")  # not a decision: no letter
    client.force_login(auditor)
    assert client.get(reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, submit.pk])).status_code == 404


def test_the_case_page_lists_the_letters(client, small_list, people):
    administrator, caseworker, _ = people
    case = cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    client.force_login(administrator)
    page = client.get(reverse("grants:grunntilskudd_detail", args=[case.pk])).content.decode()
    letter = letters_of(case)[0]
    assert 'data-testid="letters"' in page and letter.filename in page
    assert reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, letter.event_id]) in page
    html = client.get(reverse("grants:grunntilskudd_letter", args=[case.pk])).content.decode()
    assert "Oslo kommune" in html and "innen tre uker" in html and "css/letter" in html


def test_a_letter_that_fails_to_render_keeps_the_decision_and_is_made_on_first_download(
        client, small_list, people, monkeypatch):
    administrator, caseworker, _ = people

    def broken(*args, **kwargs):
        raise OSError("pango mangler")

    monkeypatch.setattr(core_letters, "render_pdf", broken)
    case = cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    case.refresh_from_db()
    assert case.status == "innvilget" and not letters_of(case)
    monkeypatch.undo()
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 1))
    event = case.events.get(action="approve")
    client.force_login(administrator)
    first = client.get(reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, event.pk]))
    second = client.get(reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, event.pk]))
    assert first.status_code == second.status_code == 200
    assert b"".join(first.streaming_content) == b"".join(second.streaming_content)
    assert len(letters_of(case)) == 1 and letters_of(case)[0].created_by == caseworker


def test_a_late_letter_is_not_made_once_the_case_has_moved_on(client, small_list, people, monkeypatch):
    administrator, caseworker, caseworker2 = people
    monkeypatch.setattr(core_letters, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError("x")))
    case = cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    case = cases.transition(case, action="terminate", user=caseworker2, reason="Slutt.", on=date(2022, 2, 28))
    monkeypatch.undo()
    monkeypatch.setattr(cases, "today", lambda: date(2022, 3, 1))
    approval = case.events.get(action="approve")
    client.force_login(administrator)
    # the approval's letter would now be written from a terminated case: refused rather than made wrong
    assert client.get(reverse("grants:grunntilskudd_letter_pdf", args=[case.pk, approval.pk])).status_code == 404


def test_a_letter_fetches_nothing(small_list, people, monkeypatch):
    administrator, caseworker, _ = people
    asked = []
    monkeypatch.setattr(core_letters.OfflineFetcher, "__call__", lambda self, url: asked.append(url))
    cases.transition(submitted(small_list, administrator), action="approve", user=caseworker)
    assert DecisionLetter.objects.count() == 1 and asked == []
    with pytest.raises(ValueError):
        core_letters.OfflineFetcher.fetch(core_letters.OfflineFetcher(), "https://example.org/logo.png")


@pytest.mark.parametrize(("saksnummer", "kind", "case_id", "outcome", "expected"), [
    ("2022/77", "grunntilskudd", 123, "innvilget", "vedtak-2022-77-grunntilskudd-123-innvilget.pdf"),
    ("", "introduksjon", 7, "klage-avslag", "vedtak-introduksjon-7-klage-avslag.pdf"),
    (" 22/0334 Østre ", "alis", 3, "avsluttet", "vedtak-22-0334-ostre-alis-3-avsluttet.pdf"),
])
def test_archive_filename(saksnummer, kind, case_id, outcome, expected):
    assert core_letters.archive_filename(saksnummer=saksnummer, kind=kind, case_id=case_id,
                                         outcome=outcome) == expected


def test_alis_decisions_get_letters(client, oslo, people, outsider):
    administrator, caseworker, caseworker2 = people
    agreement = AgreementFactory(practice__municipality=oslo, created_by=administrator, saksnummer="21/0334")
    agreement = alis_services.agreement_transition(agreement, action="submit", user=administrator)
    agreement = alis_services.agreement_transition(agreement, action="approve", user=caseworker)
    agreement = alis_services.agreement_transition(agreement, action="terminate", user=caseworker2,
                                                   reason="Flyttet.", on=date(2021, 12, 31))
    approval, termination = AlisDecisionLetter.objects.filter(event__agreement=agreement).order_by("pk")
    assert approval.filename == f"vedtak-21-0334-alis-{agreement.pk}-godkjent.pdf"
    text = text_of(approval)
    assert "Oslo kommune" in text and "Ingrid Innvilgsen" in text and "tre uker" in text
    assert "ALIS-avtalen er godkjent" in text and "forvaltningsloven" in text
    assert "Flyttet." in text_of(termination) and "31.12.2021" in text_of(termination)
    url = reverse("alis:agreement_letter_pdf", args=[agreement.pk, termination.event_id])
    client.force_login(administrator)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = client.get(reverse("alis:agreement_detail", args=[agreement.pk])).content.decode()
    assert termination.filename in page and approval.filename in page
    client.force_login(outsider)
    assert client.get(url).status_code == 404
