"""Write matrix (issue 15): every write path, from the resolver and the importers, tried by users of another
municipality and by users with mixed roles, with Oslo's ids and numbers in the URL and in the body.

Oslo ("A") has a full world: practice, list, holder, counts, a computed payment month, cases in every status,
ALIS agreements, a session, an allotment, a scenario and import jobs. Trondheim has the same, so each path is
tried three ways: on Oslo's objects, on the user's own Trondheim objects with Oslo's ids and numbers in the
body (a move or a link), and as a create. After every (path, user) the fingerprint of Oslo's rows — and of every
row that refers to them — must be unchanged. The users:

- an administrator and a caseworker of Trondheim only;
- revisor in Oslo and administrator in Trondheim;
- saksbehandler in Oslo and administrator in Trondheim (whose casework in Oslo is legitimate and not tried).
"""

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from alis.models import AlisAgreement, SupervisionSession, SupervisorChange
from grants.models import (
    CaseEvent,
    CaseStatus,
    GrunntilskuddApplication,
    IntroductionAllotment,
    IntroduksjonsAvtale,
    PaymentLine,
    PaymentMonth,
    PaymentRun,
)
from grants.services import ledger
from payout.models import AccountString, MunicipalityAccount, Payee, PaymentFile
from practices.models import (
    Doctor,
    ImportJob,
    ListCount,
    ListHolder,
    Membership,
    Municipality,
    PatientList,
    Practice,
)
from practices.services.list_import import import_file
from scenarios.models import Scenario
from tests import factories
from tests.factories_alis import AgreementFactory, SessionFactory, approved
from tests.factories_payout import PayeeFactory, valid_kontonummer
from tests.matrix import url_names

pytestmark = pytest.mark.django_db
MONTH = date(2020, 6, 1)
HEADER = ("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
          "antall_pasienter;maaned")
SESSION_HEADER = "kommunenummer;avtalenummer;dato;type;timer;veileder_hpr;notat"


def build_world(municipality, tag: str) -> dict:
    creator = factories.member(municipality, "administrator", username=f"oppretter.{tag}")
    practice = factories.PracticeFactory(municipality=municipality, name=f"Legesenter {tag}")
    holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__municipality=municipality,
                                         patient_list__listetak=1000, doctor__name=f"Lege {tag}")
    factories.ListCountFactory(patient_list=holder.patient_list, month=MONTH, antall_pasienter=400, listetak=1000)
    ledger.recompute_month(municipality_id=municipality.pk, month=MONTH)

    def grunntilskudd(status):
        return GrunntilskuddApplication.objects.create(
            municipality=municipality, patient_list=holder.patient_list, doctor=holder.doctor, status=status,
            avtale_fra=date(2020, 5, 1), created_by=creator, saksnummer=f"{tag}-{status}")

    def intro(status):
        return IntroduksjonsAvtale.objects.create(
            municipality=municipality, practice=practice, doctor=factories.DoctorFactory(), status=status,
            start_date=date(2022, 2, 1), end_date=date(2024, 1, 31), position_percent=100,
            annual_contribution=Decimal("0"), created_by=creator, saksnummer=f"{tag}-{status}")

    agreement = approved(practice=practice)
    draft_agreement = AgreementFactory(practice=practice, created_by=creator)
    job = import_file(user=creator, filename="x.csv", dry_run=True, source="web", data=(
        f"{HEADER}\n{municipality.kommunenummer};{practice.organisasjonsnummer};{practice.name};"
        f"{holder.doctor.hpr_nummer};{holder.doctor.name};{holder.patient_list.listenummer};1000;401;2020-07\n"
    ).encode())
    alis_job = ImportJob.objects.create(kind=ImportJob.Kind.SUPERVISION, user=creator, filename="v.csv",
                                        status=ImportJob.Status.PREVIEW)
    alis_job.municipalities.set([municipality])
    scenario = Scenario.objects.create(name=f"Scenario {tag}", period_from=MONTH, period_to=MONTH,
                                       created_by=creator)
    scenario.municipalities.set([municipality])
    IntroductionAllotment.objects.create(municipality=municipality, letter_reference=f"{tag}-1", number_granted=2,
                                         granted_on=date(2022, 1, 1), created_by=creator)
    return {
        "municipality": municipality, "knr": municipality.kommunenummer, "practice": practice,
        "list": holder.patient_list, "doctor": holder.doctor, "supervisor": agreement.supervisor,
        "g": {s: grunntilskudd(s) for s in (CaseStatus.UTKAST, CaseStatus.INNSENDT, CaseStatus.INNVILGET,
                                             CaseStatus.AVSLATT)},
        "i": {s: intro(s) for s in (CaseStatus.UTKAST, CaseStatus.INNSENDT, CaseStatus.INNVILGET,
                                    CaseStatus.AVSLATT)},
        "agreement": agreement, "draft_agreement": draft_agreement,
        "session": SessionFactory(agreement=agreement, supervisor=agreement.supervisor),
        "job": job, "alis_job": alis_job, "scenario": scenario,
        "run": PaymentRun.objects.create(municipality=municipality, month=MONTH),
        "payee": PayeeFactory(municipality=municipality, doctor=holder.doctor, confirmed_at=None, entered_by=creator),
    }


@pytest.fixture
def worlds(db):
    oslo = Municipality.objects.get(kommunenummer="0301")
    trondheim = Municipality.objects.get(kommunenummer="5001")
    return build_world(oslo, "oslo"), build_world(trondheim, "trondheim")


@pytest.fixture
def attackers(worlds):
    oslo, trondheim = worlds[0]["municipality"], worlds[1]["municipality"]

    def user(name, *roles):
        account = factories.UserFactory(username=name)
        for municipality, role in roles:
            Membership.objects.create(user=account, municipality=municipality, role=role)
        return account

    return {
        "administrator i Trondheim": user("adm.trd", (trondheim, "administrator")),
        "saksbehandler i Trondheim": user("sb.trd", (trondheim, "caseworker")),
        "revisor i Oslo, administrator i Trondheim": user("rev.osl.adm.trd", (oslo, "auditor"),
                                                          (trondheim, "administrator")),
        "saksbehandler i Oslo, administrator i Trondheim": user("sb.osl.adm.trd", (oslo, "caseworker"),
                                                                (trondheim, "administrator")),
    }


CASEWORK_HERE = "saksbehandler i Oslo, administrator i Trondheim"


def fingerprint(a: dict):
    """Every row of Oslo's, and every row anywhere that refers to one of Oslo's objects."""
    m = a["municipality"]
    lists = Q(patient_list__municipality=m)
    doctors = list(Doctor.objects.filter(Q(holdings__patient_list__municipality=m) | Q(grunntilskudd__municipality=m)
                                         | Q(introduksjonsavtaler__municipality=m) | Q(alis_agreements__municipality=m)
                                         | Q(pk=a["supervisor"].pk)).values_list("pk", flat=True))
    querysets = [
        Practice.objects.filter(Q(municipality=m) | Q(pk=a["practice"].pk)),
        PatientList.objects.filter(Q(municipality=m) | Q(practice__municipality=m)),
        ListHolder.objects.filter(lists),  # Oslo's doctor may be linked to my list: doctors are national
        ListCount.objects.filter(lists),
        Doctor.objects.filter(pk__in=doctors),
        GrunntilskuddApplication.objects.filter(Q(municipality=m) | lists),
        IntroduksjonsAvtale.objects.filter(Q(municipality=m) | Q(practice__municipality=m)
                                           | Q(host_lists__municipality=m)).distinct(),
        IntroduksjonsAvtale.host_lists.through.objects.filter(patientlist__municipality=m),
        CaseEvent.objects.filter(Q(grunntilskudd__municipality=m) | Q(introduksjon__municipality=m)),
        IntroductionAllotment.objects.filter(municipality=m),
        AlisAgreement.objects.filter(Q(municipality=m) | Q(practice__municipality=m)),
        SupervisionSession.objects.filter(agreement__municipality=m),
        SupervisorChange.objects.filter(agreement__municipality=m),
        PaymentMonth.objects.filter(municipality=m),
        PaymentFile.objects.filter(payment_month__municipality=m),
        # not Oslo's doctor's payees elsewhere: a path before may have made her the holder of my list (legitimate)
        Payee.objects.filter(municipality=m),
        MunicipalityAccount.objects.filter(municipality=m), AccountString.objects.filter(municipality=m),
        PaymentLine.objects.filter(Q(municipality=m) | lists),
        PaymentRun.objects.filter(municipality=m),
        Scenario.objects.filter(municipalities=m),
        ImportJob.objects.filter(municipalities=m),
        Membership.objects.filter(municipality=m),
    ]
    return [list(qs.order_by("pk").values()) for qs in querysets]


# --- what each path is tried with -------------------------------------------------------------------------

CASE_ACTIONS = {"submit": CaseStatus.UTKAST, "approve": CaseStatus.INNSENDT, "reject": CaseStatus.INNSENDT,
                "terminate": CaseStatus.INNVILGET, "appeal": CaseStatus.AVSLATT}
CASEWORK = {"approve", "reject", "terminate", "recompute", "attest", "authorise", "payment-month-recompute",
            "payment-month-attest", "payment-month-authorise", "payment_file_create",
            "payee_confirm", "payee-confirm"}


def targets(name: str, w: dict) -> list[tuple[dict, str]]:
    """(URL kwargs, the action) for one world's objects; [] when the pattern takes none of them."""
    month = {"kommunenummer": w["knr"], "month": "2020-06"}
    simple = {
        "practices:list_edit": {"pk": w["list"].pk}, "practices:practice_edit": {"pk": w["practice"].pk},
        "practices:doctor_edit": {"pk": w["doctor"].pk}, "practices:import_confirm": {"pk": w["job"].pk},
        "grants:recompute": month, "grants:attest": month, "grants:authorise": month, "grants:reopen": month,
        "payout:payment_file_create": month,
        "payout:payee_edit": {"pk": w["payee"].pk}, "payout:payee_confirm": {"pk": w["payee"].pk},
        "api:payee-detail": {"pk": w["payee"].pk}, "api:payee-confirm": {"pk": w["payee"].pk},
        "grants:grunntilskudd_edit": {"pk": w["g"][CaseStatus.UTKAST].pk},
        "grants:introduksjon_edit": {"pk": w["i"][CaseStatus.UTKAST].pk},
        "alis:agreement_edit": {"pk": w["draft_agreement"].pk},
        "alis:supervisor_change": {"pk": w["agreement"].pk}, "alis:session_add": {"pk": w["agreement"].pk},
        "alis:session_edit": {"pk": w["agreement"].pk, "session_pk": w["session"].pk},
        "alis:session_delete": {"pk": w["agreement"].pk, "session_pk": w["session"].pk},
        "alis:import_confirm": {"pk": w["alis_job"].pk},
        "api:doctor-detail": {"hpr_nummer": w["doctor"].hpr_nummer},
        "api:practice-detail": {"organisasjonsnummer": w["practice"].organisasjonsnummer},
        "api:list-detail": {"kommunenummer": w["knr"], "listenummer": w["list"].listenummer},
        "api:municipality-detail": {"kommunenummer": w["knr"]}, "api:payment-run-detail": {"pk": w["run"].pk},
        "api:supervision-session-detail": {"pk": w["session"].pk},
        **{f"api:payment-month-{a}": month for a in ("detail", "recompute", "attest", "authorise")},
        **{f"scenarios:{a}": {"pk": w["scenario"].pk} for a in ("detail", "edit", "copy", "delete", "run")},
    }
    if name in simple:
        action = name.rsplit(":", 1)[-1]
        return [(simple[name], action)]
    if name in ("grants:grunntilskudd_action", "grants:introduksjon_action"):
        cases = w["g"] if "grunntilskudd" in name else w["i"]
        return [({"pk": cases[status].pk, "action": action}, action) for action, status in CASE_ACTIONS.items()]
    if name == "alis:agreement_action":
        return [({"pk": w["draft_agreement"].pk, "action": a}, a) for a in ("submit", "approve", "reject")] + [
            ({"pk": w["agreement"].pk, "action": "terminate"}, "terminate")]
    for prefix, cases in (("api:grunntilskudd-", w["g"]), ("api:introduksjonsavtale-", w["i"])):
        if name.startswith(prefix):
            action = name.removeprefix(prefix)
            status = CASE_ACTIONS.get(action, CaseStatus.UTKAST)
            return [({"pk": cases[status].pk}, action)]
    if name.startswith("api:alis-agreement-") and name != "api:alis-agreement-list":
        action = name.removeprefix("api:alis-agreement-")
        agreement = w["agreement"] if action == "terminate" else w["draft_agreement"]
        return [({"pk": agreement.pk}, action)]
    return []


def form_body(a: dict, knr: str, municipality_pk: int) -> dict:
    """Every form field any write page reads, each naming one of Oslo's objects."""
    return {
        "patient_list": a["list"].pk, "practice": a["practice"].pk, "municipality": municipality_pk,
        "host_lists": [a["list"].pk], "hpr_nummer": a["doctor"].hpr_nummer, "doctor_name": "Overtatt",
        "name": "Overtatt", "organisasjonsnummer": a["practice"].organisasjonsnummer, "address": "Overtatt",
        "listenummer": a["list"].listenummer, "listetak": 1500, "avtale_fra": "2020-05-01", "saksnummer": "X",
        "start_date": "2022-02-01", "end_date": "2024-01-31", "position_percent": 100, "annual_contribution": "1",
        "doctor": a["doctor"].pk, "supervisor": a["supervisor"].pk, "agreement": a["agreement"].pk,
        "avtalenummer": "OVERTATT", "employment_form": "naeringsdrivende", "annual_payment": "1",
        "state_grant_per_year": "1", "date": "2022-06-01", "from_date": "2022-06-01", "kind": "individuell",
        "hours": "1", "note": "x", "reason": "x", "override_reason": "x", "kommune": knr, "kommunenummer": knr,
        "number_granted": 9, "letter_reference": "X", "granted_on": "2022-01-01", "period_from": "2020-06",
        "period_to": "2020-06", "municipalities": [municipality_pk], "specialist_general_practice": "on",
        "execution_date": "2099-01-02", "kontonummer": valid_kontonummer(77), "balance_account": "2190",
    }


def api_body(a: dict, knr: str) -> dict:
    """Every field any API write reads, each naming one of Oslo's objects by its natural key."""
    return {
        "kommunenummer": knr, "listenummer": a["list"].listenummer, "hpr_nummer": a["doctor"].hpr_nummer,
        "organisasjonsnummer": a["practice"].organisasjonsnummer, "host_lists": [a["list"].listenummer],
        "name": "Overtatt", "doctor_name": "Overtatt", "specialist_general_practice": True,
        "avtalenummer": "OVERTATT", "supervisor_hpr_nummer": a["supervisor"].hpr_nummer,
        "start_date": "2022-02-01", "end_date": "2024-01-31", "position_percent": 100, "annual_contribution": "1",
        "employment_form": "naeringsdrivende", "annual_payment": "1", "state_grant_per_year": "1",
        "agreement": a["agreement"].pk, "date": "2022-06-01", "kind": "individuell", "hours": "1",
        "reason": "x", "override_reason": "x", "avtale_fra": "2020-05-01", "kontonummer": valid_kontonummer(77),
    }


def list_rows(a: dict, own_knr: str) -> list[dict]:
    """Rows of the list import that name Oslo's practice, doctor, list and kommunenummer."""
    orgnr, hpr, nr = a["practice"].organisasjonsnummer, a["doctor"].hpr_nummer, a["list"].listenummer
    return [dict(zip(HEADER.split(";"), row.split(";"), strict=True)) for row in (
        f"0301;{orgnr};Overtatt;{hpr};Omdøpt;{nr};1500;999;2020-06",  # Oslo's own list
        f"{own_knr};{orgnr};Overtatt;{hpr};Omdøpt;777;1500;999;2020-06",  # Oslo's practice under my list
        f"{own_knr};974760673;Nytt kontor;{hpr};Omdøpt;778;1500;999;2020-06",  # Oslo's doctor renamed
    )]


def as_csv(rows: list[dict], header: str = HEADER) -> bytes:
    return ("\n".join([header, *(";".join(row.values()) for row in rows)]) + "\n").encode()


def attempts(client, user, name: str, a: dict, own: dict, skip_casework: bool):
    """Every request of one write path: on Oslo's objects, on one's own with Oslo in the body, as a create."""
    api = name.startswith("api:")
    own_knr = own["knr"]
    bodies = ([api_body(a, "0301"), api_body(a, own_knr)] if api
              else [form_body(a, "0301", a["municipality"].pk), form_body(a, own_knr, own["municipality"].pk)])
    if name == "api:list-counts":
        bodies = [[row] for row in list_rows(a, own_knr)]
    oslo_targets = [(kw, act) for kw, act in targets(name, a) if not (skip_casework and act in CASEWORK)]
    kwargs_list = [kw for kw, _ in oslo_targets] + [kw for kw, _ in targets(name, own)]
    if not targets(name, a):
        kwargs_list = [{}]
    for kwargs in kwargs_list:
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:  # parameters this matrix does not fill: a page that only reads (checked below)
            continue
        for body in bodies:
            if api:
                for method in ("post", "put", "patch", "delete"):
                    response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
                    yield method.upper(), url, response
            else:
                yield "POST", url, client.post(url, body)
        if name in ("practices:import_index", "alis:import_index"):
            data = as_csv(list_rows(a, own_knr)) if name == "practices:import_index" else (
                f"{SESSION_HEADER}\n0301;{a['agreement'].avtalenummer};2022-06-01;individuell;1;"
                f"{a['supervisor'].hpr_nummer};x\n{own_knr};{a['agreement'].avtalenummer};2022-06-01;individuell;1;"
                f"{a['supervisor'].hpr_nummer};x\n").encode()
            for row in data.decode().splitlines()[1:]:
                upload = io.BytesIO((data.decode().splitlines()[0] + "\n" + row + "\n").encode())
                upload.name = "overtak.csv"
                yield "POST", url, client.post(url, {"file": upload})
            for job in ImportJob.objects.filter(user=user, status=ImportJob.Status.PREVIEW):
                confirm = "practices:import_confirm" if job.kind == ImportJob.Kind.LISTS else "alis:import_confirm"
                yield "POST", reverse(confirm, args=[job.pk]), client.post(reverse(confirm, args=[job.pk]))


def write_paths() -> list[str]:
    return [name for name in url_names() if name not in ("accessibility", "api:schema", "api:docs",
                                                                 "api:docs_v1", "api:schema_v1")]


# Patterns with parameters that only read: POST to them is not a write (405 or a page), so the matrix needs no
# targets for them. A new pattern with parameters must be added to targets() or here.
READ_PAGES = {
    "practices:list_detail", "practices:practice_detail", "practices:doctor_detail", "practices:import_detail",
    "practices:import_progress", "practices:import_download", "practices:import_recompute", "grants:run_progress",
    "grants:payment_month",
    "grants:export_lines", "grants:export_payout", "grants:statement", "grants:personal_data",
    "grants:grunntilskudd_detail", "grants:grunntilskudd_letter", "grants:introduksjon_detail",
    "grants:introduksjon_letter", "alis:agreement_detail", "alis:import_detail", "scenarios:run_progress",
    "scenarios:export", "payout:yearly_statement", "payout:yearly_statement_pdf",
    "payout:payment_file_download", "payout:voucher_download", "payout:payee_detail",
    # a decision's PDF; a GET may store a letter whose rendering failed at the decision (docs/grants.md)
    "grants:grunntilskudd_letter_pdf", "grants:introduksjon_letter_pdf", "alis:agreement_letter_pdf",
    "accounts:notice_open",  # GET only: marks the user's own notice read (another user's is a 404)
}


def needs_parameters(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return True
    return False


def test_every_write_path_with_parameters_has_targets(worlds):
    oslo, _ = worlds
    unfilled = {name for name in write_paths() if needs_parameters(name) and not targets(name, oslo)}
    assert unfilled == READ_PAGES, unfilled ^ READ_PAGES


def test_the_write_matrix(client, worlds, attackers):
    oslo, trondheim = worlds
    before = fingerprint(oslo)
    tried = 0
    for label, user in attackers.items():
        client.force_login(user)
        for name in write_paths():
            skip = label == CASEWORK_HERE
            for method, url, response in attempts(client, user, name, oslo, trondheim, skip_casework=skip):
                tried += 1
                assert response.status_code < 500, (label, method, url, response.status_code)
            after = fingerprint(oslo)
            assert after == before, f"{label}: {name} changed Oslo's rows"
    assert tried > 2500, tried  # 2 772 when written
    print(f"write matrix: {len(write_paths())} paths × {len(attackers)} users, {tried} requests")


@pytest.mark.parametrize("label", ["administrator i Trondheim", "revisor i Oslo, administrator i Trondheim",
                                   CASEWORK_HERE])
def test_import_lists_cli_as_a_user(tmp_path, worlds, attackers, label):
    oslo, trondheim = worlds
    before = fingerprint(oslo)
    for row in list_rows(oslo, trondheim["knr"]):
        path = tmp_path / "overtak.csv"
        path.write_bytes(as_csv([row]))
        try:
            call_command("import_lists", str(path), "--user", attackers[label].username, stdout=io.StringIO(),
                         stderr=io.StringIO())
        except SystemExit:
            pass
        assert fingerprint(oslo) == before, row
