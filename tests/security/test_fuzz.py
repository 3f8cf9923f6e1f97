"""Fuzzing every input (issue 10, docs/architecture.md) with hypothesis: each browser form, each API write, the text in
URL paths and the query parameters of the pages. Values: long strings, control characters, NUL bytes, emoji,
RTL and combining text, digits that are not ASCII, formula starts, markup, random numbers, dates and months,
random files in random encodings, and JSON of any shape.

The forms and API writes are enumerated from the URL resolver (tests/matrix.py's `url_names`), so a
new view that reads a POST, or a new API write, fails `test_every_input_is_fuzzed` until it gets a strategy here.

Bodies are either free (each field missing, valid or junk) or a valid body with one field replaced by junk or
left out, so both the validation and the write paths are reached. Every example runs in a savepoint that is rolled
back, so each starts from the same seeded world. Oracles:

- never a 5xx (the test client re-raises a view's exception, which fails the example too);
- nothing in the database changes unless the response says the input was accepted (a redirect without an error
  message; a 2xx from the API). Only the upload log (ImportJob), which records refused files too, may change.

Bounded: MAX_EXAMPLES per form or endpoint, derandomized (reproducible), no example database, no shrinking (a
failure is reported at once, with its example). The examples run are printed and asserted."""

import functools
import inspect
import json
import os
import time
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm
from django.urls import get_resolver, reverse
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from alis import rules as alis_rules
from grants.models import (
    GrunntilskuddApplication,
    IntroductionAllotment,
    IntroduksjonsAvtale,
    PaymentLine,
    PaymentMonth,
)
from grants.services import cases, ledger
from tests import factories
from tests.factories_alis import (
    AgreementFactory,
    SpecialistFactory,
)
from tests.factories_payout import valid_kontonummer
from tests.matrix import kwargs_for, url_names

pytestmark = [pytest.mark.django_db, pytest.mark.postgres,  # the oracle reads PostgreSQL's write counters
              pytest.mark.usefixtures("fast_passwords")]
MAX_EXAMPLES = 25
SETTINGS = {"deadline": None, "database": None, "derandomize": True, "phases": [Phase.explicit, Phase.generate],
            "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.filter_too_much]}
FUZZ = settings(max_examples=MAX_EXAMPLES, **SETTINGS)
EXAMPLES: Counter = Counter()  # examples run, per form / endpoint / test
ACCEPTED: Counter = Counter()  # examples whose input was accepted: the fuzz reaches the write paths too


# --- strategies -------------------------------------------------------------------------------------------

NASTY = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "\x01\x02\x1b[31m\x1f\x7f", "\t", "\r\n", "\n\n", "\u2028", "\u0085",
    "\ufeff", "\u200b", "\u202eevil.exe", "\u200fשלום", "مرحبا بالعالم", "שלום עולם", "e\u0301\u0302\u0303",
    "Z\u0351\u0352\u0353\u0354" * 20, "👨‍👩‍👧‍👦", "🏥💉", "\U0001F4A9" * 100, "=1+1", "+47 22 00 00 00", "-2+3",
    "@SUM(A1:A9)", '=HYPERLINK("http://x")', "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>",
    "'; DROP TABLE practices_practice; --", "%s%s%n", "{{ 7*7 }}", "{% debug %}", "../../etc/passwd", "C:\\x",
    "null", "None", "NaN", "nan", "Infinity", "-Infinity", "1e309", "-0", "0x1F", "²", "١٢٣٤", "１２３", "٣٠١",
    "9" * 40, "-" + "9" * 40, "0" * 300, "2020-02-30", "2020-13", "0000-01", "9999-12-31", "10000-01-01",
    "31.12.2020", "2020-06", "2020-06-15", "1.5", "1,5", "1 000", "0,25", "0.25", "8.01", "-1", "0",
]
LONG = st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "æ", "😀", "ع", "e\u0301", "\x00", "=", "9"]),
                 st.integers(100, 3000))
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), LONG,
                 st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=10)))
NUMBER = st.one_of(st.integers(-10**25, 10**25).map(str), st.integers(-5, 3000).map(str),
                   st.decimals(allow_nan=True, allow_infinity=True).map(str), st.floats().map(repr))
DATE = st.one_of(st.dates().map(date.isoformat), st.dates(date(2015, 1, 1), date(2030, 12, 31)).map(date.isoformat),
                 st.dates().map(lambda d: f"{d.day:02}.{d.month:02}.{d.year}"),
                 st.builds(lambda y, m, d: f"{y:04}-{m:02}-{d:02}", st.integers(-1, 10000), st.integers(0, 13),
                           st.integers(0, 32)))
MONTH = st.one_of(st.builds(lambda y, m: f"{y:04}-{m:02}", st.integers(-1, 10001), st.integers(-1, 13)),
                  st.dates(date(2015, 1, 1), date(2030, 12, 31)).map(lambda d: d.strftime("%Y-%m")))
ANY = st.one_of(TEXT, NUMBER, DATE)


def one_of(*values, junk=ANY):
    """A valid value (sometimes) or anything."""
    return st.one_of(st.sampled_from([str(v) for v in values]), junk)


def pks(*objects):
    return one_of(*[o.pk for o in objects], junk=st.one_of(NUMBER, TEXT))


def many(strategy):
    return st.lists(strategy, max_size=4)


def variants(base: dict, fields: dict):
    """Free bodies (each field missing, valid or junk), and `base` (valid) with one field changed or left out."""
    free = st.fixed_dictionaries({}, optional=fields)
    if not base:
        return free
    keys = st.sampled_from(sorted(fields))
    changed = keys.flatmap(lambda key: fields[key].map(lambda value: {**base, key: value}))
    dropped = keys.map(lambda key: {k: v for k, v in base.items() if k != key})
    return st.one_of(free, changed, changed, dropped, st.just(base))


def form(base=None, **fields):
    return variants(base or {}, fields)


CSV_COLUMNS = ["kommunenummer", "organisasjonsnummer", "legekontor", "hpr_nummer", "lege_navn", "listenummer",
               "listetak", "antall_pasienter", "maaned", "behovsindeks", "driftsform", "avtale_fra"]
ALIS_COLUMNS = ["kommunenummer", "avtalenummer", "dato", "type", "timer", "veileder_hpr", "notat", "gruppeleder"]


def upload(columns, valid_row):
    """Random files: bytes, or a header (all or some columns) with rows of valid or junk cells, in an encoding."""
    cell = st.one_of(st.sampled_from(valid_row), TEXT, NUMBER, DATE)
    rows = st.one_of(st.lists(st.lists(cell, max_size=len(columns) + 1), max_size=5),
                     st.lists(st.builds(lambda i, value: [*valid_row[:i], value, *valid_row[i + 1:]],
                                        st.integers(0, len(columns) - 1), cell), min_size=1, max_size=3))
    table = st.builds(
        lambda header, rows, sep: "\n".join([sep.join(header)] + [sep.join(r) for r in rows]),
        st.one_of(st.just(columns), st.lists(st.sampled_from(columns + ["ukjent", ""]), max_size=12)), rows,
        st.sampled_from([";", ",", "\t", "|"]))
    encoded = st.builds(lambda text, codec: text.encode(codec, errors="replace"), table,
                        st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    content = st.one_of(encoded, st.binary(max_size=2000),
                        st.sampled_from([b"", b"\x00" * 100, b"\xff\xfe", b"PK\x03\x04" + b"\x00" * 50]))
    name = st.one_of(st.just("liste.csv"), TEXT.map(lambda n: n[:300]).filter(  # one the test client can send
        lambda n: "\x00" not in n and os.path.basename(n) not in ("", ".", "..")))
    return st.builds(lambda data, filename: {"file": SimpleUploadedFile(filename, data)}, content, name)


# --- the world the forms act on -----------------------------------------------------------------------------


@pytest.fixture
def scene(world, oslo, bergen, administrator, caseworker, caseworker2, monkeypatch):
    """The `world` of tests/matrix.py (an Oslo practice, list, doctor, cases in draft, an approved ALIS
    agreement with a session, import jobs, a computed month, a scenario) plus objects in the other states the
    forms act on: submitted cases (by caseworker2, so the caseworker may decide them), a free list, a draft
    agreement, a specialist, a Bergen practice and list (another municipality) and a superuser."""
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))
    practice = world["practice"]
    second = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer="4343",
                                         doctor__hpr_nummer="2345678", avtale_fra=date(2020, 5, 1))
    free = factories.ListHolderFactory(patient_list__practice=practice, patient_list__listenummer="4444",
                                       doctor__hpr_nummer="3456780", avtale_fra=date(2020, 6, 15))
    factories.ListCountFactory(patient_list=free.patient_list, month=date(2020, 6, 1), antall_pasienter=300)
    submitted = GrunntilskuddApplication.objects.create(
        municipality=oslo, patient_list=second.patient_list, doctor=second.doctor, avtale_fra=date(2020, 5, 1),
        created_by=caseworker2, status="innsendt", submitted_by=caseworker2)
    intro_submitted = IntroduksjonsAvtale.objects.create(
        municipality=oslo, practice=practice, doctor=factories.DoctorFactory(), start_date=date(2022, 2, 1),
        end_date=date(2024, 1, 31), position_percent=80, annual_contribution=Decimal("1000"),
        created_by=caseworker2, status="innsendt", submitted_by=caseworker2)
    intro_submitted.host_lists.set([second.patient_list])
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=2,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    draft = AgreementFactory(practice=practice, created_by=administrator, avtalenummer="UTKAST-1")
    other = factories.ListHolderFactory(patient_list__practice__municipality=bergen, doctor__hpr_nummer="3456789")
    root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 5, 1))  # a closed month, to reopen
    may = PaymentMonth.objects.get(municipality=oslo, month=date(2020, 5, 1))
    ledger.authorise_month(payment_month=ledger.attest_month(payment_month=may, user=caseworker), user=caseworker2)
    world["alis_job"].file.save("v.csv", ContentFile(b"kommunenummer;avtalenummer\n"))  # as an upload keeps it
    return {**world, "second": second, "free": free, "submitted": submitted, "intro_submitted": intro_submitted,
            "draft": draft, "bergen_list": other.patient_list, "bergen_practice": other.patient_list.practice,
            "specialist": SpecialistFactory(hpr_nummer="7777777"), "oslo": oslo, "bergen": bergen,
            "users": {"administrator": administrator, "caseworker": caseworker, "root": root}}


# --- browser forms ------------------------------------------------------------------------------------------

ACTIONS = ["submit", "approve", "reject", "terminate", "appeal", "delete", "x\x00", "ÆØÅ", "😀", ".."]


def forms_for(w) -> dict:
    """Every browser view that reads a POST: name → (users, URL kwargs strategy, body strategy). Views without
    fields get random fields they must ignore."""
    oslo, bergen, practice, agreement = w["oslo"], w["bergen"], w["practice"], w["agreement"]
    junk = form(**{name: TEXT for name in ("x", "reason", "submit", "next", "csrfmiddlewaretoken")})
    lists = (w["list"], w["second"].patient_list, w["free"].patient_list, w["bergen_list"])
    practices = (practice, w["bergen_practice"])
    list_fields = {"municipality": pks(oslo, bergen), "listenummer": one_of("4242", "9001", junk=TEXT),
                   "practice": pks(*practices), "listetak": one_of(0, 1500, 2500, junk=NUMBER),
                   "active_from": DATE, "active_to": DATE}
    new_list = {"municipality": oslo.pk, "listenummer": "9001", "practice": practice.pk, "listetak": "1500",
                "active_from": "2020-01-01", "active_to": ""}
    practice_fields = {"organisasjonsnummer": one_of(factories.valid_orgnr(4000), "961 793 386", junk=TEXT),
                       "name": TEXT, "municipality": pks(oslo, bergen), "address": TEXT}
    new_practice = {"organisasjonsnummer": factories.valid_orgnr(4000), "name": "Nytt legesenter",
                    "municipality": oslo.pk, "address": "Storgata 2"}
    doctor_fields = {"hpr_nummer": one_of("1234567", "2345678", "123", junk=TEXT), "name": TEXT,
                     "specialist_general_practice": one_of("on", "", junk=TEXT), "specialist_since": DATE}
    grunntilskudd = {"patient_list": pks(*lists), "avtale_fra": DATE, "saksnummer": TEXT}
    introduksjon = {"hpr_nummer": one_of("1234567", "5550001", junk=TEXT), "doctor_name": TEXT,
                    "practice": pks(*practices), "host_lists": many(pks(*lists)), "start_date": DATE,
                    "end_date": DATE, "position_percent": one_of(50, 80, 100, junk=NUMBER),
                    "annual_contribution": one_of(0, "120000.50", junk=NUMBER), "saksnummer": TEXT}
    new_intro = {"hpr_nummer": "5550001", "doctor_name": "Ny Introduksjonslege", "practice": practice.pk,
                 "host_lists": [w["free"].patient_list.pk], "start_date": "2022-02-01", "end_date": "2024-01-31",
                 "position_percent": "100", "annual_contribution": "0", "saksnummer": ""}
    hpr = one_of(w["doctor"].hpr_nummer, w["specialist"].hpr_nummer, junk=TEXT)
    agreement_fields = {
        "avtalenummer": TEXT, "saksnummer": TEXT, "practice": pks(*practices), "doctor_hpr": hpr,
        "supervisor_hpr": hpr, "start_date": DATE, "end_date": DATE, "position_percent": one_of(50, 100, junk=NUMBER),
        "employment_form": one_of(alis_rules.NAERINGSDRIVENDE, "ansatt", junk=TEXT), "annual_payment": NUMBER,
        "state_grant_per_year": NUMBER, "state_grant_period_from": DATE, "state_grant_period_to": DATE,
        "state_grant_reference": TEXT}
    new_agreement = {"avtalenummer": "2024-01", "saksnummer": "24/123", "practice": practice.pk,
                     "doctor_hpr": w["doctor"].hpr_nummer, "supervisor_hpr": w["specialist"].hpr_nummer,
                     "start_date": "2024-01-15", "end_date": "", "position_percent": "100",
                     "employment_form": alis_rules.NAERINGSDRIVENDE, "annual_payment": "150000",
                     "state_grant_per_year": "200000", "state_grant_period_from": "2024-01-01",
                     "state_grant_period_to": "2024-12-31", "state_grant_reference": "Hdir 24/5555"}
    session_fields = {"date": DATE, "kind": one_of(alis_rules.INDIVIDUELL, alis_rules.GRUPPE, junk=TEXT),
                      "hours": one_of("0.25", "2", "8", junk=NUMBER),
                      "supervisor": pks(agreement.supervisor, w["specialist"]), "group_leader": TEXT, "note": TEXT}
    new_session = {"date": "2021-05-03", "kind": alis_rules.INDIVIDUELL, "hours": "2",
                   "supervisor": agreement.supervisor.pk, "group_leader": "", "note": "Notat"}
    scenario_fields = {
        "name": TEXT, "description": TEXT, "municipalities": many(pks(oslo, bergen)),
        "all_municipalities": one_of("on", junk=TEXT), "period_from": MONTH, "period_to": MONTH,
        "model": one_of("", "knekkpunkt", "flat", junk=TEXT), "knekkpunkt": one_of("", 1200, junk=NUMBER),
        "rate_under": NUMBER, "rate_over": NUMBER, "paid_up_to": NUMBER, "no_paid_up_to": one_of("on", junk=TEXT),
        "grunntilskudd_floor": one_of(500, junk=NUMBER), "grunntilskudd_months": one_of(24, junk=NUMBER),
        "introduksjon_percent": one_of(100, junk=NUMBER), "alis_percent": one_of(100, junk=NUMBER)}
    new_scenario = {"name": "Knekkpunkt 1 200", "description": "", "municipalities": [oslo.pk],
                    "period_from": "2020-06", "period_to": "2020-06", "model": "", "knekkpunkt": "1200",
                    "rate_under": "", "rate_over": "", "paid_up_to": "", "grunntilskudd_floor": "500",
                    "grunntilskudd_months": "24", "introduksjon_percent": "100", "alis_percent": "100"}
    decision = form({"reason": "Begrunnelse", "override_reason": "", "date": "2023-01-31"},
                    reason=TEXT, override_reason=TEXT, date=DATE)

    def action_kwargs(*objects):
        return st.builds(lambda pk, action: {"pk": pk, "action": action}, st.sampled_from([o.pk for o in objects]),
                         st.sampled_from(ACTIONS))

    fixed, month, scenario = st.just, {"kommunenummer": "0301", "month": "2020-06"}, w["scenario_kwargs"]
    account = valid_kontonummer(5)
    payee_fields = {"hpr_nummer": one_of("1234567", "2345678", "3456789", junk=TEXT), "name": TEXT,
                    "organisasjonsnummer": one_of(factories.valid_orgnr(4100), "", junk=TEXT),
                    "kontonummer": one_of(account, f"{account[:4]}.{account[4:6]}.{account[6:]}", junk=TEXT),
                    "valid_from": DATE}
    new_payee = {"hpr_nummer": "2345678", "name": "Ny Mottaker AS", "organisasjonsnummer": factories.valid_orgnr(4100),
                 "kontonummer": account, "valid_from": "01.01.2021"}
    parts = {f"{kind}-{part}": one_of("370", "241", "", junk=TEXT) for kind in PaymentLine.Kind.values
             for part in ("art", "ansvar", "funksjon", "prosjekt")}
    settings_base = {"kontonummer": account, "organisasjonsnummer": "", "bic": "DNBANOKKXXX", "balance_account": "2190",
                     **{f"{kind}-{part}": value for kind in PaymentLine.Kind.values
                        for part, value in (("art", "370"), ("ansvar", ""), ("funksjon", "241"), ("prosjekt", ""))}}
    admin, decide, root = ("administrator",), ("administrator", "caseworker"), ("root",)
    return {
        "login": ((None,), fixed({}), form({"username": "admin.oslo", "password": factories.PASSWORD},
                                           username=one_of("admin.oslo", junk=TEXT), password=TEXT)),
        "switch_municipality": (decide, fixed({}), form({"municipality": oslo.pk, "next": "/lister/"},
                                                        municipality=pks(oslo, bergen), next=TEXT)),
        "set_language": (decide, fixed({}), form({"language": "en", "next": "/"},
                                                 language=one_of("nb", "en", junk=TEXT), next=TEXT)),
        "practices:list_create": (admin, fixed({}), form(new_list, **list_fields)),
        "practices:list_edit": (admin, fixed({"pk": w["list"].pk}), form({**new_list, "listenummer": "4242"},
                                                                         **list_fields)),
        "practices:practice_create": (admin, fixed({}), form(new_practice, **practice_fields)),
        "practices:practice_edit": (admin, fixed({"pk": practice.pk}), form(
            {**new_practice, "organisasjonsnummer": practice.organisasjonsnummer}, **practice_fields)),
        "practices:doctor_edit": (admin, fixed({"pk": w["doctor"].pk}), form(
            {"hpr_nummer": "1234567", "name": "Lege Legesen", "specialist_general_practice": "",
             "specialist_since": ""}, **doctor_fields)),
        "practices:import_index": (admin, fixed({}), upload(CSV_COLUMNS, [
            "0301", practice.organisasjonsnummer, "Legesenter", "1234567", "Lege", "4242", "1500", "400", "2020-06",
            "1.0", "naeringsdrivende", "2020-01-01"])),
        "practices:import_confirm": (admin, fixed({"pk": w["job"].pk}), junk),
        "grants:recompute": (decide, fixed(month), junk),
        "grants:attest": (decide, fixed(month), junk),
        "grants:authorise": (decide, fixed(month), junk),
        "grants:reopen": (root + decide, st.sampled_from([month, {**month, "month": "2020-05"}]), form(
            {"reason": "Feil i listetallene"}, reason=TEXT)),
        "grants:personal_data": (root, fixed({"pk": w["doctor"].pk}), junk),
        "practices:population": (root + admin, fixed({}), form(
            {"municipality": oslo.pk, "year": "2024", "inhabitants": "1412"}, municipality=pks(oslo, bergen),
            year=one_of(2024, 1999, junk=NUMBER), inhabitants=one_of(0, 1412, junk=NUMBER))),
        "payout:payee_create": (admin, fixed({}), form(new_payee, **payee_fields)),
        "payout:payee_edit": (admin, fixed({"pk": w["payee"].pk}), form(new_payee, **payee_fields)),
        "payout:payee_confirm": (decide, fixed({"pk": w["payee"].pk}), junk),
        "payout:settings": (admin, fixed({}), form(settings_base, kontonummer=payee_fields["kontonummer"],
                                                   organisasjonsnummer=payee_fields["organisasjonsnummer"],
                                                   bic=one_of("DNBANOKKXXX", "", junk=TEXT),
                                                   balance_account=one_of("2190", junk=TEXT), **parts)),
        "accounts:notice_settings": (decide, fixed({}), form(
            {"email_expiry": "on", "email_decision": "", "email_month": "on", "email_import": "on"},
            **{f"email_{kind}": one_of("on", "", junk=TEXT) for kind in ("expiry", "decision", "month", "import")})),
        "payout:payment_file_create": (decide, st.sampled_from([month, {**month, "month": "2020-05"}]), form(
            {"execution_date": "02.01.2099"}, execution_date=DATE)),
        "grants:allotment_create": (admin, fixed({}), form(
            {"municipality": oslo.pk, "letter_reference": "23/1", "number_granted": "1", "granted_on": "2023-01-01"},
            municipality=pks(oslo, bergen), letter_reference=TEXT, number_granted=one_of(1, 2, junk=NUMBER),
            granted_on=DATE)),
        "grants:grunntilskudd_create": (admin, fixed({}), form(
            {"patient_list": w["free"].patient_list.pk, "avtale_fra": "2020-06-15", "saksnummer": "20/1"},
            **grunntilskudd)),
        "grants:grunntilskudd_edit": (admin, fixed({"pk": w["grunntilskudd"].pk}), form(
            {"patient_list": w["list"].pk, "avtale_fra": "2020-06-01", "saksnummer": ""}, **grunntilskudd)),
        "grants:grunntilskudd_checks": (admin, fixed({}), form(
            {"patient_list": w["free"].patient_list.pk, "avtale_fra": "2020-06-15"}, **grunntilskudd)),
        "grants:grunntilskudd_action": (decide, action_kwargs(w["grunntilskudd"], w["submitted"]), decision),
        "grants:introduksjon_create": (admin, fixed({}), form(new_intro, **introduksjon)),
        "grants:introduksjon_edit": (admin, fixed({"pk": w["intro"].pk}), form(new_intro, **introduksjon)),
        "grants:introduksjon_checks": (admin, fixed({}), form(new_intro, **introduksjon)),
        "grants:introduksjon_action": (decide, action_kwargs(w["intro"], w["intro_submitted"]), decision),
        "alis:agreement_create": (admin, fixed({}), form(new_agreement, **agreement_fields)),
        "alis:agreement_edit": (admin, fixed({"pk": w["draft"].pk}), form(
            {**new_agreement, "avtalenummer": "UTKAST-1"}, **agreement_fields)),
        "alis:agreement_action": (decide, action_kwargs(w["draft"], agreement), decision),
        "alis:supervisor_change": (admin, fixed({"pk": agreement.pk}), form(
            {"bytte-supervisor": w["specialist"].pk, "bytte-from_date": "2021-06-01", "bytte-reason": "Flytter"},
            **{"bytte-supervisor": pks(w["specialist"], agreement.supervisor, w["doctor"]),
               "bytte-from_date": DATE, "bytte-reason": TEXT})),
        "alis:session_add": (admin, fixed({"pk": agreement.pk}), form(new_session, **session_fields)),
        "alis:session_edit": (admin, fixed({"pk": agreement.pk, "session_pk": w["session"].pk}),
                              form(new_session, **session_fields)),
        "alis:session_delete": (admin, fixed({"pk": agreement.pk, "session_pk": w["session"].pk}), junk),
        "alis:import_index": (admin, fixed({}), upload(ALIS_COLUMNS, [
            "0301", agreement.avtalenummer, "2021-04-06", "individuell", "2", agreement.supervisor.hpr_nummer,
            "notat", ""])),
        "alis:import_confirm": (admin, fixed({"pk": w["alis_job"].pk}), junk),
        "scenarios:create": (decide, fixed({}), form(new_scenario, **scenario_fields)),
        "scenarios:edit": (admin, fixed(scenario["scenarios:edit"]), form(new_scenario, **scenario_fields)),
        "scenarios:copy": (decide, fixed(scenario["scenarios:copy"]), junk),
        "scenarios:delete": (admin, fixed(scenario["scenarios:delete"]), junk),
        "scenarios:run": (decide, fixed(scenario["scenarios:run"]), junk),
        "scenarios:report": (decide, fixed({}), form({"kommune": "0301"}, kommune=one_of("0301", "4601", junk=TEXT))),
    }


NO_INPUT = {"logout"}  # reads a POST but no fields (path parameters: test_path_parameters_and_query_strings)
UPLOAD_LOG = {"practices_importjob", "practices_importjob_municipalities"}  # kept for refused files too
AUDIT_TABLES = {"practices:import_index": UPLOAD_LOG, "alis:import_index": UPLOAD_LOG, "api:list-counts": UPLOAD_LOG,
                "api:token": {"authtoken_token"}}


def takes_post(callback) -> bool:
    """A browser view reads a POST: a class-based view with post(), or a function whose source, or the source
    of a function of its module that it calls (scenarios' create → _edit), mentions it."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    seen, todo = set(), [inspect.unwrap(callback)]
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        if "POST" in inspect.getsource(function):
            return True
        module = inspect.getmodule(function)
        todo += [getattr(module, name) for name in function.__code__.co_names
                 if inspect.isfunction(getattr(module, name, None))
                 and getattr(module, name).__module__ == module.__name__]
    return False


def view_of(name, scene):
    return get_resolver().resolve(reverse(name, kwargs=kwargs_for(name, scene))).func


def api_writes(scene) -> set[tuple[str, str]]:
    """Every API URL name with each write method it offers (a viewset's action map, or a view's methods)."""
    found = set()
    for name in url_names():
        if name.startswith("api:"):
            view = view_of(name, scene)
            actions = getattr(view, "actions", None)
            cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
            offered = set(actions) if actions else {method for method in dir(cls) if method in WRITE_METHODS}
            found |= {(name, method) for method in offered & WRITE_METHODS}
    return found


WRITE_METHODS = {"post", "put", "patch", "delete"}


# --- the oracle ---------------------------------------------------------------------------------------------


@functools.cache
def project_tables() -> frozenset[str]:
    """The tables a request may write: the apps', users and tokens (not sessions, not the login-attempt log)."""
    labels = {"practices", "grants", "alis", "scenarios", "payout", "accounts", "auth", "authtoken",
              "django_celery_beat"}
    return frozenset(model._meta.db_table for model in apps.get_models(include_auto_created=True)
                     if model._meta.app_label in labels and model._meta.managed)


def writes() -> Counter:
    """Rows inserted, updated and deleted so far in this transaction, per table (PostgreSQL counts them, open
    savepoints included): one cheap query, and it sees a write even when it leaves the same values."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
        return Counter({table: count for table, count in cursor.fetchall() if table in project_tables()})


def changed(before, after, allowed=()) -> list[str]:
    return sorted(t for t in after if after[t] != before[t] and t not in allowed)


def accepted(response, htmx=False) -> bool:
    """A form was accepted: a redirect without an error message (the views redirect to what they saved), or
    an htmx POST answered with its section (200) and no bound form with errors in it (the supervision log)."""
    if any(m.level >= message_levels.ERROR for m in get_messages(response.wsgi_request)):
        return False
    if response.status_code == 302:
        return True
    contexts = response.context if isinstance(response.context, list) else [response.context or {}]
    values = [value for context in contexts for value in (context.flatten() if hasattr(context, "flatten")
                                                          else context).values()]
    return htmx and response.status_code == 200 and not any(
        isinstance(value, BaseForm) and value.is_bound and value.errors for value in values)


def rolled_back(request, *, watch=True):
    """Send `request()` in a savepoint that is always rolled back; return the response and the write counts
    before and after it (before: after the login, which writes last_login)."""
    with transaction.atomic():
        try:
            before = writes() if watch else None
            response = request()
            if response.streaming:
                b"".join(response.streaming_content)
            return response, before, writes() if watch else None
        finally:
            transaction.set_rollback(True)


class Login:
    """Log the test client in as one of the scene's users, only when the user changes."""

    def __init__(self, client, scene):
        self.client, self.users, self.current = client, scene["users"], "?"

    def __call__(self, who):
        if who != self.current:
            if who is None:
                self.client.logout()
            else:
                self.client.force_login(self.users[who])
            self.current = who


def run_all(targets: dict, fuzz_one) -> list[str]:
    """Fuzz every target; collect the failures, so that one failing target does not hide the others."""
    failures = []
    for name, spec in targets.items():
        try:
            fuzz_one(name, *spec)
        except Exception as error:  # noqa: BLE001 - reported together below
            notes = "\n".join(getattr(error, "__notes__", []))  # hypothesis: the falsifying example
            failures.append(f"{name}: {type(error).__name__}: {error}\n{notes}")
    return failures


def report(what, started, names):
    print(f"\nfuzz {what}: {len(names)} targets, {sum(EXAMPLES[n] for n in names)} examples "
          f"({sum(ACCEPTED[n] for n in names)} accepted), {time.monotonic() - started:.1f} s; "
          f"{sum(EXAMPLES.values())} examples in this module so far")


def test_every_input_is_fuzzed(scene):
    """A new form or API write fails here until it gets a strategy (or is listed as taking no input)."""
    forms = set(forms_for(scene))
    reads_post = {name for name in url_names() if not name.startswith("api:") and takes_post(view_of(name, scene))}
    assert reads_post - forms - NO_INPUT == set(), "views that read a POST without a fuzz strategy"
    assert forms - reads_post == set(), "strategies for views that do not exist or read no POST"
    api, bodies = api_writes(scene), set(api_bodies(scene))
    assert api - bodies == set(), "API writes without a fuzz strategy"
    assert bodies - api == set(), "strategies for API writes that do not exist"
    assert len(forms) >= 39 and len(api) >= 25


def test_the_oracle_sees_writes_and_refusals(client, scene):
    """The oracle can fail: a saved practice is a write and an accepted form; a refused one is neither."""
    client.force_login(scene["users"]["administrator"])
    good = {"organisasjonsnummer": factories.valid_orgnr(4000), "name": "Nytt", "municipality": scene["oslo"].pk}
    url = reverse("practices:practice_create")
    response, before, after = rolled_back(lambda: client.post(url, good))
    assert accepted(response) and changed(before, after) == ["practices_historicalpractice", "practices_practice"]
    response, before, after = rolled_back(lambda: client.post(url, {**good, "name": "\x00"}))
    assert response.status_code == 200 and not accepted(response) and changed(before, after) == []


def test_browser_forms_never_fail_and_refused_input_writes_nothing(client, scene):
    login, started = Login(client, scene), time.monotonic()

    def fuzz_one(name, users, url_kwargs, body):
        @FUZZ
        @given(who=st.sampled_from(users), kwargs=url_kwargs, data=body, htmx=st.booleans())
        def run(who, kwargs, data, htmx):
            EXAMPLES[name] += 1
            login(who)
            url, headers = reverse(name, kwargs=kwargs), {"HTTP_HX_REQUEST": "true"} if htmx else {}
            note(f"{who} POST {url} htmx={htmx} {data!r:.1000}")
            response, before, after = rolled_back(lambda: client.post(url, data, **headers))
            assert response.status_code < 500, response.status_code
            if accepted(response, htmx):
                ACCEPTED[name] += 1
            else:
                assert not changed(before, after, AUDIT_TABLES.get(name, ())), (
                    f"refused ({response.status_code}) but wrote {changed(before, after)}")

        run()

    forms = forms_for(scene)
    failures = run_all(forms, fuzz_one)
    report("browser forms", started, list(forms))
    assert not failures, "\n\n".join(failures)
    assert sum(EXAMPLES[name] for name in forms) == MAX_EXAMPLES * len(forms) >= 975
    assert sum(ACCEPTED[name] for name in forms) >= 100  # the valid variants reach the writes


def test_what_the_fuzzing_found_stays_fixed(client, scene):
    """One plain example of each 500 the fuzzing found, as regression checks."""
    client.force_login(scene["users"]["administrator"])
    switch = {"municipality": scene["oslo"].pk}
    for target, expected in (("abc", "/"), ("practices:list_edit", "/"), ("//evil.test/", "/"),
                             ("/lister/?q=1", "/lister/?q=1")):  # `next` was tried as a view name: NoReverseMatch
        response = client.post(reverse("switch_municipality"), {**switch, "next": target})
        assert (response.status_code, response["Location"]) == (302, expected), target
    assert client.get(reverse("grants:payment_month", args=["0\x00301", "2020-06"])).status_code == 404  # NUL
    assert client.get(reverse("practices:practice_index"), {"q": "\x00"}).status_code == 400
    assert client.get(reverse("alis:agreement_index"), {"q": "a\x00"}).status_code == 400
    # a period longer than the 240 months the report shows read lines of months it does not show (KeyError)
    assert client.get(reverse("grants:report"), {"fra": "0923-01", "til": "2020-06"}).status_code == 200
    client.force_login(scene["users"]["root"])
    for reason, message in (("x" * 200, "Begrunnelsen er for lang"), ("a\x00b", "ugyldig tegn")):
        response = client.post(reverse("grants:reopen", args=["0301", "2020-05"]), {"reason": reason})
        assert response.status_code == 403 and message in response.content.decode()  # the history column, NUL
    assert PaymentMonth.objects.get(municipality=scene["oslo"], month=date(2020, 5, 1)).status == "closed"
    client.logout()  # a username longer than django-axes' column (Django's login form does not limit it)
    response = client.post(reverse("login"), {"username": "x" * 300, "password": "feil"})
    assert response.status_code == 200 and AccessAttempt.objects.get().username == "x" * 255


# --- API ----------------------------------------------------------------------------------------------------

JSON_JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
RAW_BODIES = [
    b"", b"{", b"[]", b"null", b"NaN", b'{"a": NaN}', b'{"reason": "\\u0000"}', b'{"reason": "\\ud800"}',
    b'{"name": "\\udfff\\ud800"}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"position_percent": 1e999999}', b'{"hours": 1e-999999}', b"\xff\xfe\x00", b'"\x00"', b"\x00",
    '{"name": "Æ"}'.encode("cp1252"), b'{"hpr_nummer": "\\u0661\\u0662\\u0663"}',
]


def api_body(base=None, **fields):
    """JSON: an object from `variants` (any JSON value may replace a field), any JSON value, or raw bytes."""
    objects = variants(base or {}, {name: st.one_of(strategy, JSON_JUNK) for name, strategy in fields.items()})
    return st.one_of(objects.map(lambda d: json.dumps(d).encode()), objects.map(lambda d: json.dumps(d).encode()),
                     JSON_JUNK.map(lambda v: json.dumps(v).encode()), st.sampled_from(RAW_BODIES))


def jtext(*values):
    return st.one_of(st.sampled_from(list(values)), TEXT)


def api_bodies(w) -> dict:
    """(URL name, method) → (users, URL kwargs strategy, body strategy)."""
    jdate = st.one_of(DATE, st.dates(date(2000, 1, 1), date(2099, 12, 31)).map(date.isoformat))
    jnum = st.one_of(st.integers(-10**20, 10**20), st.decimals(allow_nan=False, allow_infinity=False).map(str),
                     NUMBER)
    orgnr, hpr = w["practice"].organisasjonsnummer, jtext("1234567", "2345678", "5550001", "7777777")
    decide = api_body({"reason": "Begrunnelse", "date": "2023-01-31"}, reason=TEXT, override_reason=TEXT, date=jdate)
    doctor = {"hpr_nummer": hpr, "name": TEXT, "specialist_general_practice": st.booleans(), "specialist_since": jdate}
    good_row = {"kommunenummer": "0301", "organisasjonsnummer": orgnr, "legekontor": "Legesenter",
                "hpr_nummer": "1234567", "lege_navn": "Lege", "listenummer": "4242", "listetak": 1500,
                "antall_pasienter": 400, "maaned": "2020-07"}
    row = variants(good_row, {
        "kommunenummer": jtext("0301", "4601"), "organisasjonsnummer": jtext(orgnr), "legekontor": TEXT,
        "hpr_nummer": hpr, "lege_navn": TEXT, "listenummer": jtext("4242", "1"), "listetak": jnum,
        "antall_pasienter": jnum, "maaned": st.one_of(MONTH, TEXT), "behovsindeks": jnum,
        "driftsform": jtext("naeringsdrivende", "fastlonnet", "ubesatt"), "avtale_fra": jdate,
        "ukjent": TEXT})
    rows = st.one_of(st.lists(st.one_of(row, row, JSON_JUNK), max_size=4).map(lambda r: json.dumps(r).encode()),
                     st.sampled_from(RAW_BODIES))
    admin, both = ("administrator",), ("administrator", "caseworker")
    account = valid_kontonummer(5)
    fixed, month = st.just, {"kommunenummer": "0301", "month": "2020-06"}
    bodies = {
        ("api:token", "post"): ((None,), fixed({}), api_body(
            {"username": "admin.oslo", "password": factories.PASSWORD}, username=jtext("admin.oslo"), password=TEXT)),
        ("api:doctor-list", "post"): (admin, fixed({}), api_body(
            {"hpr_nummer": "5550002", "name": "Ny Lege", "specialist_general_practice": False}, **doctor)),
        ("api:doctor-detail", "patch"): (admin, st.sampled_from([{"hpr_nummer": "1234567"}, {"hpr_nummer": "2345678"}]),
                                         api_body({"name": "Nytt Navn"}, **doctor)),
        ("api:list-counts", "post"): (admin, fixed({}), rows),
        ("api:grunntilskudd-list", "post"): (admin, fixed({}), api_body(
            {"kommunenummer": "0301", "listenummer": "4444", "hpr_nummer": "3456780"},
            kommunenummer=jtext("0301", "4601", "9999"), listenummer=jtext("4242", "4343", "4444"), hpr_nummer=hpr,
            avtale_fra=jdate, saksnummer=TEXT)),
        ("api:introduksjonsavtale-list", "post"): (admin, fixed({}), api_body(
            {"kommunenummer": "0301", "organisasjonsnummer": orgnr, "hpr_nummer": "5550001", "doctor_name": "Ny Lege",
             "host_lists": ["4444"], "start_date": "2022-02-01", "end_date": "2024-01-31", "position_percent": 100},
            kommunenummer=jtext("0301", "4601"), organisasjonsnummer=jtext(orgnr), hpr_nummer=hpr, doctor_name=TEXT,
            host_lists=st.lists(jtext("4242", "4343", "4444"), max_size=3), start_date=jdate, end_date=jdate,
            position_percent=jnum, annual_contribution=jnum, saksnummer=TEXT)),
        ("api:alis-agreement-list", "post"): (admin, fixed({}), api_body(
            {"kommunenummer": "0301", "avtalenummer": "API-1", "organisasjonsnummer": orgnr,
             "hpr_nummer": "1234567", "supervisor_hpr_nummer": "7777777", "start_date": "2024-01-15"},
            kommunenummer=jtext("0301", "4601"), avtalenummer=TEXT, organisasjonsnummer=jtext(orgnr), hpr_nummer=hpr,
            supervisor_hpr_nummer=hpr, start_date=jdate, end_date=jdate, position_percent=jnum,
            employment_form=jtext(alis_rules.NAERINGSDRIVENDE, "ansatt"), annual_payment=jnum,
            state_grant_per_year=jnum, state_grant_period_from=jdate, state_grant_period_to=jdate,
            state_grant_reference=TEXT, saksnummer=TEXT)),
        ("api:supervision-session-list", "post"): (admin, fixed({}), api_body(
            {"agreement": w["agreement"].pk, "date": "2021-05-03", "kind": alis_rules.INDIVIDUELL, "hours": "2",
             "supervisor_hpr_nummer": w["agreement"].supervisor.hpr_nummer},
            agreement=st.one_of(st.sampled_from([w["agreement"].pk, w["draft"].pk]), jnum), date=jdate,
            kind=jtext(alis_rules.INDIVIDUELL, alis_rules.GRUPPE), hours=jnum, supervisor_hpr_nummer=hpr,
            group_leader=TEXT, note=TEXT)),
        ("api:payment-month-recompute", "post"): (both, fixed(month), api_body()),
        ("api:payee-list", "post"): (admin, fixed({}), api_body(
            {"kommunenummer": "0301", "hpr_nummer": "2345678", "name": "Ny Mottaker", "kontonummer": account},
            kommunenummer=jtext("0301", "4601"), hpr_nummer=hpr, name=TEXT, organisasjonsnummer=jtext(orgnr, ""),
            kontonummer=jtext(account, "1234.56.78903"), valid_from=jdate)),
        ("api:payee-detail", "patch"): (admin, fixed({"pk": w["payee"].pk}), api_body(
            {"name": "Nytt Navn"}, name=TEXT, organisasjonsnummer=jtext(orgnr, ""),
            kontonummer=jtext(account, "1234.56.78903"), valid_from=jdate)),
        ("api:payee-confirm", "post"): (both, fixed({"pk": w["payee"].pk}), api_body()),
        ("api:payment-month-attest", "post"): (both, fixed(month), api_body()),
        ("api:payment-month-authorise", "post"): (both, fixed(month), api_body()),
    }
    for prefix, objects, actions in (
            ("grunntilskudd", (w["grunntilskudd"], w["submitted"]), cases.ACTION_LABELS),
            ("introduksjonsavtale", (w["intro"], w["intro_submitted"]), cases.ACTION_LABELS),
            ("alis-agreement", (w["draft"], w["agreement"]), ("submit", "approve", "reject", "terminate"))):
        for action in actions:
            if f"api:{prefix}-{action}" in url_names():
                bodies[(f"api:{prefix}-{action}", "post")] = (both, st.sampled_from([{"pk": o.pk} for o in objects]),
                                                             decide)
    return bodies


def test_api_writes_never_fail_and_refused_input_writes_nothing(client, scene):
    started = time.monotonic()
    tokens = {who: Token.objects.create(user=user).key for who, user in scene["users"].items()}

    def fuzz_one(label, users, url_kwargs, body):
        name, method = label

        @FUZZ
        @given(who=st.sampled_from(users), kwargs=url_kwargs, data=body,
               content_type=st.sampled_from(["application/json"] * 6 + ["text/plain", "multipart/form-data"]))
        def run(who, kwargs, data, content_type):
            EXAMPLES[label] += 1
            headers = {"HTTP_AUTHORIZATION": f"Token {tokens[who]}"} if who else {}
            url = reverse(name, kwargs=kwargs)
            note(f"{who} {method.upper()} {url} {content_type} {data!r:.1000}")
            response, before, after = rolled_back(
                lambda: getattr(client, method)(url, data, content_type=content_type, **headers))
            assert response.status_code < 500, (response.status_code, response.content[:300])
            assert response["Content-Type"] == "application/json", response["Content-Type"]
            if 200 <= response.status_code < 300:
                ACCEPTED[label] += 1
            else:
                assert not changed(before, after, AUDIT_TABLES.get(name, ())), (
                    f"refused ({response.status_code}) but wrote {changed(before, after)}")

        run()

    bodies = api_bodies(scene)
    failures = run_all(bodies, fuzz_one)
    report("API writes", started, list(bodies))
    assert not failures, "\n\n".join(failures)
    assert sum(EXAMPLES[label] for label in bodies) == MAX_EXAMPLES * len(bodies) >= 625
    assert sum(ACCEPTED[label] for label in bodies) >= 50


# --- text in URL paths and query strings --------------------------------------------------------------------

QUERY_TEXT = st.one_of(st.sampled_from(NASTY), st.sampled_from([v for v in NASTY if "\x00" in v]), TEXT, NUMBER,
                       MONTH)
PATH_TEXT = QUERY_TEXT.filter(lambda v: v and "/" not in v)
QUERY_NAMES = ["q", "side", "sorter", "kommune", "status", "etter", "ubesatt", "maaned", "fra", "til", "format",
               "type", "liste", "lege", "page", "page_size", "kommunenummer", "month", "agreement", "next"]
PER_URL = 4


def test_path_parameters_and_query_strings_never_fail(client, scene):
    """Every URL, with random text in its text parameters (kommunenummer, month, hpr, action, fmt …) and random
    query parameters, as GET or POST, for an administrator, a caseworker and a superuser."""
    names = [n for n in url_names() if n not in NO_INPUT]
    login, started, failures = Login(client, scene), time.monotonic(), {}
    tokens = {who: Token.objects.create(user=user).key for who, user in scene["users"].items()}
    def fuzz_url(name):
        kwargs = kwargs_for(name, scene)
        texts = {key: PATH_TEXT for key, value in kwargs.items() if isinstance(value, str)}

        @settings(max_examples=PER_URL, **SETTINGS)
        @given(who=st.sampled_from(["administrator", "caseworker", "root"]),
               replace=st.fixed_dictionaries({}, optional=texts),
               query=st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_TEXT, max_size=4),
               method=st.sampled_from(["get", "get", "post"]))
        def run(who, replace, query, method):
            EXAMPLES["paths"] += 1
            login(who)
            url = reverse(name, kwargs={**kwargs, **replace})
            headers = {"HTTP_AUTHORIZATION": f"Token {tokens[who]}"} if name.startswith("api:") else {}
            try:
                response, _, _ = rolled_back(lambda: getattr(client, method)(url, query, **headers), watch=False)
                status = response.status_code
            except Exception as error:  # noqa: BLE001 - the first failure of each URL is reported below
                status = repr(error)[:200]
            if not isinstance(status, int) or status >= 500:
                failures.setdefault(name, f"{method.upper()} {url!r} {query!r}: {status}")

        run()

    for name in names:
        fuzz_url(name)
    report("paths and query strings", started, ["paths"])
    assert not failures, "\n".join(f"{name}: {failure}" for name, failure in failures.items())
    assert EXAMPLES["paths"] == PER_URL * len(names) >= 360


NUL_QUERY = {name: "a\x00b" for name in [*QUERY_NAMES, "reason", "municipality", "language", "username"]}


def test_nul_in_every_text_parameter_and_query_parameter(client, scene):
    """Deterministic companion of the fuzz: a NUL in each text path parameter of every URL, and in every query
    parameter (and form field) the pages read, as GET and POST. PostgreSQL refuses NUL in text, so it must be
    stopped before a query: 400/404, never a 500."""
    user = scene["users"]["administrator"]
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    client.force_login(user)
    failures, started = {}, time.monotonic()
    for name in [n for n in url_names() if n not in NO_INPUT]:
        kwargs = kwargs_for(name, scene)
        for url_kwargs in [kwargs] + [{**kwargs, key: "a\x00b"} for key, value in kwargs.items()
                                      if isinstance(value, str)]:
            url = reverse(name, kwargs=url_kwargs)
            for method in ("get", "post"):
                send = functools.partial(getattr(client, method), url, NUL_QUERY,
                                         **(headers if name.startswith("api:") else {}))
                try:
                    status = rolled_back(send, watch=False)[0].status_code
                except Exception as error:  # noqa: BLE001 - all reported below
                    status = repr(error)[:120]
                EXAMPLES["nul"] += 1
                if not isinstance(status, int) or status >= 500:
                    failures.setdefault(f"{name} {method.upper()} {url!r}", status)
    report("NUL in addresses", started, ["nul"])
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert EXAMPLES["nul"] >= 2 * len(url_names())
