"""Schemathesis (property-based fuzzing) against /api/schema/ — the SLOW API test of this suite, bounded.

Every GET operation, and the main POSTs and the doctor PATCH, get generated requests (positive data from the
schema: random strings, numbers, dates, ids; and schema-breaking data for the writes) sent to the Django app
through WSGI in the test's transaction, authenticated with a token of a user who is administrator and
caseworker in Oslo, over seeded data so that lists and details return real objects. Each response must not be
a 5xx, and its status code, content type and body must be declared in the schema. Bounded: MAX_EXAMPLES per
operation and variant, no deadline; about a minute on the CI machine. It fails on any 500 or schema violation,
and names every operation that failed.
"""

import time
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from grants.models import GrunntilskuddApplication, IntroductionAllotment, IntroduksjonsAvtale, PaymentRun
from grants.services import cases, ledger
from tests import factories
from tests.factories_alis import SessionFactory, approved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
MAX_EXAMPLES = 30
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
WRITES = {
    ("POST", "/api/v1/auth/token/"), ("POST", "/api/v1/doctors/"), ("PATCH", "/api/v1/doctors/{hpr_nummer}/"),
    ("POST", "/api/v1/list-counts/"), ("POST", "/api/v1/grunntilskudd/"), ("POST", "/api/v1/introduksjonsavtaler/"),
    ("POST", "/api/v1/alis-agreements/"), ("POST", "/api/v1/supervision-sessions/"),
    ("POST", "/api/v1/grunntilskudd/{id}/approve/"), ("POST", "/api/v1/grunntilskudd/{id}/terminate/"),
    ("POST", "/api/v1/alis-agreements/{id}/reject/"),
    ("POST", "/api/v1/payment-months/{kommunenummer}/{month}/recompute/"),
    ("POST", "/api/v1/payment-months/{kommunenummer}/{month}/attest/"),
}


@pytest.fixture
def wsgi_app():
    """The Django app as WSGI in this thread and this test's transaction; like Django's test client, without
    the request signals that would close the connection (and with it the transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(oslo, administrator, monkeypatch):
    """Something behind every list and detail: lists with counts and lines, a month, a run, cases of both kinds
    and an ALIS agreement with a session. Returns the known keys for the path parameters."""
    monkeypatch.setattr(cases, "today", lambda: date(2020, 7, 1))
    user = factories.member(oslo, "administrator", username="fuzz.oslo")
    factories.member(oslo, "caseworker", username="fuzz.oslo")
    holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="101",
                                         patient_list__listetak=1000, doctor__hpr_nummer="1234567",
                                         avtale_fra=date(2020, 6, 15))
    factories.ListCountFactory(patient_list=holder.patient_list, month=date(2020, 6, 1), antall_pasienter=300,
                               listetak=1000)
    salaried = factories.ListHolderFactory(patient_list__practice=holder.patient_list.practice,
                                           driftsform="fastlonnet")
    factories.ListCountFactory(patient_list=salaried.patient_list, month=date(2020, 6, 1), antall_pasienter=1500)
    grant = cases.create_case(case=GrunntilskuddApplication(
        municipality=oslo, patient_list=holder.patient_list, doctor=holder.doctor, avtale_fra=date(2020, 6, 15)),
        user=administrator)
    cases.transition(grant, action="submit", user=administrator)
    IntroductionAllotment.objects.create(municipality=oslo, letter_reference="22/1", number_granted=2,
                                         granted_on=date(2021, 12, 1), created_by=administrator)
    intro = cases.create_case(case=IntroduksjonsAvtale(
        municipality=oslo, practice=holder.patient_list.practice, doctor=factories.DoctorFactory(),
        start_date=date(2022, 1, 15), end_date=date(2024, 1, 14), position_percent=100,
        annual_contribution=Decimal("120000")), user=administrator, host_lists=[salaried.patient_list])
    agreement = approved(practice=holder.patient_list.practice, start_date=date(2021, 3, 15))
    session = SessionFactory(agreement=agreement, date=date(2021, 4, 6))
    ledger.recompute_month(municipality_id=oslo.pk, month=date(2020, 6, 1))
    run = PaymentRun.objects.create(municipality=oslo, month=date(2020, 6, 1), status="done", lines=3)
    return {
        "token": Token.objects.create(user=user).key,
        "known": {"kommunenummer": "0301", "listenummer": "101", "hpr_nummer": "1234567", "month": "2020-06",
                  "organisasjonsnummer": holder.patient_list.practice.organisasjonsnummer},
        "ids": {"grunntilskudd": grant.pk, "introduksjonsavtaler": intro.pk, "alis-agreements": agreement.pk,
                "supervision-sessions": session.pk, "payment-runs": run.pk},
    }


def _known_path(operation, seeded) -> dict | None:
    """Path parameters that name a seeded object, so details and actions are tested beyond their 404."""
    names = {p.name for p in operation.path_parameters}
    if not names:
        return None
    values = {name: seeded["known"][name] for name in names if name in seeded["known"]}
    if "id" in names:
        kind = operation.path.split("/")[3]
        values["id"] = seeded["ids"].get(kind, 1)
    return values


def test_api_conforms_to_its_schema_under_fuzzing(seeded, wsgi_app):
    headers = {"Authorization": f"Token {seeded['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers)  # login needed
    tally = {"operations": 0, "variants": 0, "examples": 0}
    statuses = Counter()
    failures = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" and (operation.method.upper(), operation.path) not in WRITES:
            continue
        tally["operations"] += 1
        variants = [(GenerationMode.POSITIVE, None)]
        known = _known_path(operation, seeded)
        if known:
            variants.append((GenerationMode.POSITIVE, known))
        if operation.method.upper() != "GET":  # schema-breaking bodies (or, without a body, path values)
            variants.append((GenerationMode.NEGATIVE, known if operation.body else None))
        for mode, path_parameters in variants:
            tally["variants"] += 1

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
            def run(case):
                tally["examples"] += 1
                response = case.call(headers=headers)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Exception as error:  # noqa: BLE001 - collected, so that one failure does not hide the others
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}"
                                f"{', kjente nøkler' if path_parameters else ''}): {error}")
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {tally['operations']} operasjoner, {tally['variants']} varianter, "
          f"{tally['examples']} eksempler, {elapsed:.0f} s, {len(failures)} feil; "
          f"svar {dict(sorted(statuses.items()))}")
    assert tally["operations"] >= 30 and statuses[200] and statuses[202]  # it reached real objects and wrote
    assert not failures, "\n\n".join(failures)
