"""API: payment lines, months, recompute runs and closing (docs/api.md) — the export's fields with amounts
as strings, filters and bad months (400), scope, recompute 202 + run, and the two-caseworker closing
(403 for who, 409 for the month's status)."""

from datetime import date

import pytest

from grants import exports
from grants.models import PaymentLine, PaymentMonth, PaymentRun
from grants.services import ledger
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
JUNE = date(2020, 6, 1)


@pytest.fixture
def ledger_june(oslo, bergen):
    """Oslo: one list of 1 500 patients (two lines) and a salaried list kept by the municipality; Bergen: one."""
    big = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="1",
                                      doctor__hpr_nummer="1111111")
    factories.ListCountFactory(patient_list=big.patient_list, month=JUNE, antall_pasienter=1500)
    salaried = factories.ListHolderFactory(patient_list__practice__municipality=oslo, patient_list__listenummer="2",
                                           doctor__hpr_nummer="2222222", doctor__name="=SUM(A1)",
                                           driftsform="fastlonnet")
    factories.ListCountFactory(patient_list=salaried.patient_list, month=JUNE, antall_pasienter=800)
    other = factories.ListHolderFactory(patient_list__practice__municipality=bergen, patient_list__listenummer="1")
    factories.ListCountFactory(patient_list=other.patient_list, month=JUNE, antall_pasienter=800)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    ledger.recompute_month(municipality_id=bergen.pk, month=JUNE)
    return big, salaried


def test_payment_lines_have_the_exports_fields_and_amounts_as_strings(api, auditor, ledger_june):
    response = api(auditor).get("/api/v1/payment-lines/", {"kommunenummer": "0301", "month": "2020-06"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and set(body) == {"count", "next", "previous", "results"}
    assert [list(line) for line in body["results"]] == [exports.LINE_COLUMNS] * 3
    assert body["results"][0] == {
        "kommunenummer": "0301", "listenummer": "1", "hpr_nummer": "1111111", "maaned": "2020-06",
        "type": "basis_over", "antall": 500, "sats": "499.00", "belop": "20791.67",
        "forklaring": body["results"][0]["forklaring"], "mottaker": "lege"}
    assert [(r["listenummer"], r["type"], r["belop"], r["mottaker"]) for r in body["results"]] == [
        ("1", "basis_over", "20791.67", "lege"), ("1", "basis_under", "48083.33", "lege"),
        ("2", "basis_under", "38466.67", "kommune")]
    assert "beholdes av kommunen" in body["results"][2]["forklaring"]
    # The same values as the CSV export, without its formula guard.
    lines = exports.line_rows(PaymentLine.objects.filter(municipality__kommunenummer="0301").order_by(
        "patient_list__listenummer", "kind"))
    for api_row, csv_row in zip(body["results"], lines, strict=True):
        assert [str(v) if v is not None else "" for v in api_row.values()] == [str(v) for v in csv_row]


def test_payment_lines_never_carry_the_csv_formula_prefix(api, auditor, ledger_june):
    PaymentLine.objects.filter(patient_list__listenummer="2").update(explanation="-korrigert")
    lines = api(auditor).get("/api/v1/payment-lines/", {"kommunenummer": "0301"}).json()["results"]
    assert lines[-1]["forklaring"] == "-korrigert"


@pytest.mark.parametrize("month", ["2020-13", "2020-00", "20-06", "juni", "0000-01", "2100-01", "2020-6"])
def test_unknown_months_are_400(api, auditor, ledger_june, month):
    for url in ("/api/v1/payment-lines/", "/api/v1/payment-months/", "/api/v1/payment-runs/"):
        response = api(auditor).get(url, {"month": month})
        assert response.status_code == 400, (url, month)
        assert response.json() == {"month": ["Måned må skrives som ÅÅÅÅ-MM, for eksempel 2020-05 (år 2000–2099)."]}
    assert api(auditor).get(f"/api/v1/payment-months/0301/{month}/").status_code == 400


def test_payment_lines_filters_and_scope(api, users, ledger_june):
    assert api(users["auditor"]).get("/api/v1/payment-lines/").json()["count"] == 3
    assert api(users["auditor"]).get("/api/v1/payment-lines/", {"month": "2020-07"}).json()["count"] == 0
    assert api(users["auditor"]).get("/api/v1/payment-lines/", {"type": "basis_over"}).json()["count"] == 1
    assert api(users["auditor"]).get("/api/v1/payment-lines/", {"kommunenummer": "4601"}).json()["count"] == 0
    outsider = api(users["outsider"]).get("/api/v1/payment-lines/").json()["results"]
    assert {line["kommunenummer"] for line in outsider} == {"4601"}
    assert api().get("/api/v1/payment-lines/").status_code == 401


@pytest.mark.parametrize("role", ["administrator", "caseworker", "auditor"])
def test_payment_months_are_read_by_every_role(api, users, role, ledger_june):
    body = api(users[role]).get("/api/v1/payment-months/", {"kommunenummer": "0301"}).json()
    assert body["count"] == 1
    month = body["results"][0]
    assert month == {
        "kommunenummer": "0301", "maaned": "2020-06", "status": "open", "computed_at": month["computed_at"],
        "uses_estimate": False, "missing_counts": [], "attested_by": None, "attested_at": None,
        "authorised_by": None, "authorised_at": None, "lines": 3, "total": "107341.67", "paid_out": "68875.00",
        "kept": "38466.67", "utjamning": {"status": "for_tidlig", "melding": "utjamning er ikke beregnet før juli 2023",
                                          "innbyggere": None, "snitt": None, "kontrollberegning": False}}
    assert api(users[role]).get("/api/v1/payment-months/0301/2020-06/").json() == month
    assert api(users[role]).get("/api/v1/payment-months/0301/2020-07/").status_code == 404
    assert api(users[role]).get("/api/v1/payment-months/4601/2020-06/").status_code == 404


def test_recompute_returns_202_and_the_run(api, users, oslo, ledger_june, django_capture_on_commit_callbacks):
    PaymentLine.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(users["caseworker"]).post("/api/v1/payment-months/0301/2020-06/recompute/")
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert list(response.json()) == ["run_id"]
    run = api(users["auditor"]).get(f"/api/v1/payment-runs/{run_id}/").json()
    assert (run["run_id"], run["status"], run["progress"], run["lines"], run["total"]) == (
        run_id, "done", 100, 3, "107341.67")
    assert (run["kommunenummer"], run["maaned"], run["trigger"]) == ("0301", "2020-06", "api")
    assert PaymentLine.objects.filter(municipality=oslo).count() == 3
    assert api(users["auditor"]).get("/api/v1/payment-runs/", {"kommunenummer": "0301"}).json()["count"] == 1
    assert api(users["outsider"]).get(f"/api/v1/payment-runs/{run_id}/").status_code == 404


@pytest.mark.parametrize("role", ["administrator", "auditor"])
def test_recompute_and_closing_are_for_caseworkers(api, users, role, ledger_june):
    for action in ("recompute", "attest", "authorise"):
        response = api(users[role]).post(f"/api/v1/payment-months/0301/2020-06/{action}/")
        assert response.status_code == 403, action
        assert response.json()["detail"] == "Bare saksbehandlere i 0301 Oslo - Oslove kan gjøre dette."
    assert not PaymentRun.objects.filter(trigger="api").exists()


def test_recompute_of_another_municipality_is_404_and_a_bad_month_400(api, users, ledger_june):
    assert api(users["caseworker"]).post("/api/v1/payment-months/4601/2020-06/recompute/").status_code == 404
    assert api(users["caseworker"]).post("/api/v1/payment-months/0301/2020-13/recompute/").status_code == 400
    assert api(users["caseworker"]).post("/api/v1/payment-months/0301/2020-13/attest/").status_code == 400


def test_attest_and_authorise_by_two_caseworkers(api, users, ledger_june):
    first, second = users["caseworker"], users["caseworker2"]
    response = api(first).post("/api/v1/payment-months/0301/2020-06/attest/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["attested_by"]) == ("attested", "saksbehandler.oslo")
    again = api(first).post("/api/v1/payment-months/0301/2020-06/attest/")
    assert again.status_code == 409 and again.json()["status"] == "attested"
    same = api(first).post("/api/v1/payment-months/0301/2020-06/authorise/")
    assert same.status_code == 403 and "to personer" in same.json()["detail"]
    done = api(second).post("/api/v1/payment-months/0301/2020-06/authorise/")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["authorised_by"]) == ("closed", "saksbehandler2.oslo")
    closed = api(second).post("/api/v1/payment-months/0301/2020-06/authorise/")
    assert closed.status_code == 409 and closed.json() == {"detail": "Måneden må attesteres før den kan anvises.",
                                                           "status": "closed"}
    assert PaymentMonth.objects.get(municipality__kommunenummer="0301").status == "closed"


def test_closing_a_month_that_was_never_computed_is_409(api, users, ledger_june):
    attest = api(users["caseworker"]).post("/api/v1/payment-months/0301/2020-09/attest/")
    assert attest.status_code == 409 and "ikke beregnet" in attest.json()["detail"]
    authorise = api(users["caseworker"]).post("/api/v1/payment-months/0301/2020-09/authorise/")
    assert authorise.status_code == 409


def test_payment_lines_query_count_is_constant(api, auditor, oslo, django_assert_max_num_queries):
    for n in range(20):
        holder = factories.ListHolderFactory(patient_list__practice__municipality=oslo)
        factories.ListCountFactory(patient_list=holder.patient_list, month=JUNE, antall_pasienter=900 + n)
    ledger.recompute_month(municipality_id=oslo.pk, month=JUNE)
    with django_assert_max_num_queries(5):
        response = api(auditor).get("/api/v1/payment-lines/")
    assert response.status_code == 200
    assert response.json()["count"] == 20
    with django_assert_max_num_queries(5):
        assert api(auditor).get("/api/v1/payment-months/").status_code == 200
