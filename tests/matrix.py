"""URL patterns from the resolver, for the access and write matrices (a new view cannot escape them), and the
Oslo world and kwargs that fill every pattern (tests/security/, tests/e2e/test_accessibility.py)."""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from grants.models import GrunntilskuddApplication, IntroduksjonsAvtale, PaymentRun
from grants.services import ledger
from practices.models import ImportJob, Notice
from practices.services.list_import import import_file
from scenarios.models import Scenario, ScenarioRun
from tests import factories
from tests.factories_alis import SessionFactory, approved
from tests.factories_payout import PayeeFactory

SECRET = "Hemmelig legesenter Oslo"  # must never show up for a user of another municipality


def url_names() -> list[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}".strip(":")

    return sorted({name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")})


def make_world(oslo, administrator) -> dict:
    """One Oslo object of every kind a URL pattern takes; the `world` fixture (tests/conftest.py)."""
    practice = factories.PracticeFactory(municipality=oslo, name=SECRET)
    holder = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer="4242",
                                         doctor__hpr_nummer="1234567")
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=400)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    job = import_file(user=administrator, filename="x.csv", dry_run=True, source="web",
                      data=("kommunenummer;organisasjonsnummer;legekontor;hpr_nummer;lege_navn;listenummer;listetak;"
                            f"antall_pasienter;maaned\n0301;{practice.organisasjonsnummer};{SECRET};1234567;"
                            "Lege;4242;1500;400;2020-06\n").encode())
    job.file.save("x.csv", ContentFile(b"x"))
    grunntilskudd = GrunntilskuddApplication.objects.create(
        municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 1),
        created_by=administrator)
    intro = IntroduksjonsAvtale.objects.create(
        municipality=oslo, practice=practice, doctor=factories.DoctorFactory(), start_date=date(2022, 2, 1),
        end_date=date(2024, 1, 31), position_percent=100, annual_contribution=Decimal("0"), created_by=administrator)
    agreement = approved(practice=practice)
    session = SessionFactory(agreement=agreement, supervisor=agreement.supervisor)
    alis_job = ImportJob.objects.create(kind=ImportJob.Kind.SUPERVISION, user=administrator, filename="v.csv")
    alis_job.municipalities.set([oslo])
    run = PaymentRun.objects.create(municipality=oslo, month=date(2020, 6, 1))
    notice = Notice.objects.create(user=administrator, municipality=oslo, key="matrix", text=SECRET,
                                   url="/grunntilskudd/")
    objects = {"list": holder.patient_list, "practice": practice, "doctor": holder.doctor, "job": job,
               "grunntilskudd": grunntilskudd, "intro": intro, "agreement": agreement, "session": session,
               "alis_job": alis_job, "run": run, "notice": notice, "approval": agreement.events.get(action="approve"),
               "payee": PayeeFactory(municipality=oslo, doctor=holder.doctor, name=SECRET, confirmed_at=None,
                                     entered_by=administrator)}  # pending: a caseworker may confirm it
    scenario = Scenario.objects.create(name=SECRET, period_from=date(2020, 6, 1), period_to=date(2020, 6, 1),
                                       created_by=administrator)
    scenario.municipalities.set([oslo])
    scenario_run = ScenarioRun.objects.create(scenario=scenario, period_from=date(2020, 6, 1),
                                              period_to=date(2020, 6, 1))
    scenario_run.municipalities.set([oslo])
    objects["scenario_kwargs"] = {
        **{f"scenarios:{n}": {"pk": scenario.pk} for n in ("detail", "edit", "copy", "delete", "run")},
        "scenarios:run_progress": {"pk": scenario_run.pk},
        "scenarios:export": {"pk": scenario_run.pk, "table": "maaneder", "fmt": "csv"},
    }
    return objects


MONTH = {"kommunenummer": "0301", "month": "2020-06"}


def kwargs_for(name, o) -> dict | None:
    """How to fill each URL pattern with an Oslo object. None: not a GET-able page (covered elsewhere)."""
    table = {
        "practices:list_detail": {"pk": o["list"].pk}, "practices:list_edit": {"pk": o["list"].pk},
        "practices:practice_detail": {"pk": o["practice"].pk}, "practices:practice_edit": {"pk": o["practice"].pk},
        "practices:doctor_detail": {"pk": o["doctor"].pk}, "practices:doctor_edit": {"pk": o["doctor"].pk},
        "practices:import_detail": {"pk": o["job"].pk}, "practices:import_confirm": {"pk": o["job"].pk},
        "practices:import_progress": {"pk": o["job"].pk}, "practices:import_download": {"pk": o["job"].pk},
        "practices:import_recompute": {"pk": o["job"].pk},
        "grants:run_progress": {"pk": o["run"].pk}, "grants:payment_month": MONTH, "grants:recompute": MONTH,
        "grants:attest": MONTH, "grants:authorise": MONTH, "grants:reopen": MONTH,
        "grants:export_lines": {**MONTH, "fmt": "csv"}, "grants:export_payout": {**MONTH, "fmt": "xlsx"},
        "grants:statement": {**MONTH, "hpr": "1234567"}, "grants:personal_data": {"pk": o["doctor"].pk},
        "payout:payment_file_create": MONTH, "payout:payment_file_download": MONTH, "payout:voucher_download": MONTH,
        "payout:yearly_statement": {"kommunenummer": "0301", "year": 2020, "hpr": "1234567"},
        "payout:yearly_statement_pdf": {"kommunenummer": "0301", "year": 2020, "hpr": "1234567"},
        "grants:grunntilskudd_detail": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_edit": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_letter": {"pk": o["grunntilskudd"].pk},
        "grants:grunntilskudd_action": {"pk": o["grunntilskudd"].pk, "action": "submit"},
        "grants:introduksjon_detail": {"pk": o["intro"].pk}, "grants:introduksjon_edit": {"pk": o["intro"].pk},
        "grants:introduksjon_letter": {"pk": o["intro"].pk},
        "grants:introduksjon_action": {"pk": o["intro"].pk, "action": "submit"},
        # the world's grant cases are drafts without decisions (a 404 for all); the agreement's approval has one
        "grants:grunntilskudd_letter_pdf": {"pk": o["grunntilskudd"].pk, "event_pk": o["approval"].pk},
        "grants:introduksjon_letter_pdf": {"pk": o["intro"].pk, "event_pk": o["approval"].pk},
        "alis:agreement_letter_pdf": {"pk": o["agreement"].pk, "event_pk": o["approval"].pk},
        "alis:agreement_detail": {"pk": o["agreement"].pk}, "alis:agreement_edit": {"pk": o["agreement"].pk},
        "alis:agreement_action": {"pk": o["agreement"].pk, "action": "terminate"},
        "alis:supervisor_change": {"pk": o["agreement"].pk}, "alis:session_add": {"pk": o["agreement"].pk},
        "alis:session_edit": {"pk": o["agreement"].pk, "session_pk": o["session"].pk},
        "alis:session_delete": {"pk": o["agreement"].pk, "session_pk": o["session"].pk},
        "alis:import_detail": {"pk": o["alis_job"].pk}, "alis:import_confirm": {"pk": o["alis_job"].pk},
        "api:list-detail": {"kommunenummer": "0301", "listenummer": "4242"},
        "api:payment-month-detail": MONTH, "api:payment-month-recompute": MONTH, "api:payment-month-attest": MONTH,
        "api:payment-month-authorise": MONTH, "api:municipality-detail": {"kommunenummer": "0301"},
        "api:practice-detail": {"organisasjonsnummer": o["practice"].organisasjonsnummer},
        "api:doctor-detail": {"hpr_nummer": "1234567"}, "api:payment-run-detail": {"pk": o["run"].pk},
        "api:supervision-session-detail": {"pk": o["session"].pk},
        "accounts:notice_open": {"pk": o["notice"].pk},
        **{f"payout:payee_{n}": {"pk": o["payee"].pk} for n in ("detail", "edit", "confirm")},
        "api:payee-detail": {"pk": o["payee"].pk}, "api:payee-confirm": {"pk": o["payee"].pk},
    }
    for prefix, key in (("grunntilskudd", "grunntilskudd"), ("introduksjonsavtale", "intro"),
                        ("alis-agreement", "agreement")):
        for action in ("detail", "appeal", "approve", "reject", "submit", "terminate"):
            table[f"api:{prefix}-{action}"] = {"pk": o[key].pk}
    table.update(o.get("scenario_kwargs", {}))
    return table.get(name, {})
