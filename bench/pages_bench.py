"""Section `pages` of `make bench` (docs/architecture.md, docs/performance.md): the main pages with national data.

Parent side: `run(bench)`; the measuring runs in one fresh process (`step_pages`).

A caseworker in Oslo (0301), the next largest municipalities and one of the smallest (one list) is created in
the scratch database, with an import history of 50 jobs of their own (one of them a failed import of a
national file with an error on every row). A `django.test.Client` logged in with `force_login` opens each main
page twice, once with Oslo as the current municipality and once with the small one: the number of queries
of one request (CaptureQueriesContext) must be the same for both, and the server time (median of 5 requests,
after one warm-up) at most 300 ms. Then the user uploads the failed file three times more (four failed
national imports, each with its stored errors) and the two pages that show import jobs (dashboard, import)
are measured again with Oslo: same queries, still ≤ 300 ms.

Settings: DEBUG=False, ALLOWED_HOSTS=["testserver"], requests over HTTPS (`secure=True`, as production
redirects plain HTTP), and the plain static files storage (production's manifest storage needs
`collectstatic`, which the bench does not run; a `{% static %}` lookup costs the same).
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from common import ensure_national_data, national_months, profile_top

SECTION = "pages"
TARGET_MS = 300.0
REPEATS = 5
USERNAME = "bench.saksbehandler"
LARGEST = 5  # Oslo and the next four by number of lists
IMPORT_JOBS = 50
RETRIES = 3  # the failed file uploaded again three times: the pages that show import jobs, once more
PAGES = (  # (key, name, url template: {knr} municipality, {month} YYYY-MM, {list} a list's pk)
    ("lists", "lists page", "/lister/"),
    ("practices", "practices page", "/legekontor/"),
    ("list_detail", "list detail", "/lister/{list}/"),
    ("payment_month", "payments month page", "/utbetalinger/{knr}/{month}/"),
    ("payments_index", "payments index", "/utbetalinger/"),
    ("dashboard", "dashboard", "/"),
    ("import", "import page", "/import/"),
)


# --- the step (in its own process) ------------------------------------------------------------------------


def _ensure_ledger(months: list[date]) -> str:
    """The recompute section leaves the 24 months computed; compute them here when it did not run."""
    from grants.models import PaymentLine
    from grants.services import ledger

    missing = [m for m in months if not PaymentLine.objects.filter(month=m).exists()]
    if not missing:
        return "the 24 months computed by the recompute section"
    ids = list(ledger.municipalities_with_lists().values_list("pk", flat=True))
    for month in missing:
        ledger.recompute_months(municipality_ids=ids, month=month)
    return f"{len(missing)} of the 24 months computed by this section"


def _user_and_places(month: date):
    """The caseworker, Oslo and the small municipality (each with a list that has a count in `month`)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from practices.models import Membership, Municipality, PatientList

    counted = Municipality.objects.annotate(
        n=Count("lists", distinct=True), counted=Count("lists", filter=Q(lists__counts__month=month), distinct=True)
    ).filter(counted__gt=0)
    largest = list(counted.order_by("-n", "kommunenummer")[:LARGEST])
    oslo = Municipality.objects.get(kommunenummer="0301")
    small = counted.order_by("n", "kommunenummer").first()
    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"email": "bench@example.invalid"})
    for municipality in {oslo, small, *largest}:
        Membership.objects.get_or_create(user=user, municipality=municipality, role="caseworker")

    def a_list(municipality):  # the list with the longest holder history: the fullest detail page
        return (
            PatientList.objects.filter(municipality=municipality, counts__month=month)
            .annotate(h=Count("holders", distinct=True))
            .order_by("-h", "pk")
            .first()
        )

    return user, [(oslo, a_list(oslo)), (small, a_list(small))], largest


def _import_history(user, municipality) -> str:
    """50 import jobs of the user's own: 48 committed national files, a dry run, and a failed file with an
    error on every row (nothing caps the stored errors)."""
    from practices.models import ImportJob

    if ImportJob.objects.filter(user=user).exists():
        return "kept"
    rows, months = 59713, [f"2023-{m:02d}" for m in range(1, 13)]
    errors = [
        {"rad": row, "kolonne": "antall_pasienter", "melding": "Må være et heltall (fikk «1 050,0»)."}
        for row in range(2, rows + 2)
    ]
    jobs = [
        ImportJob(
            user=user,
            source="web",
            filename=f"lister-{i:02d}.csv",
            status=ImportJob.Status.DONE,
            data_rows=rows,
            created=0,
            changed=1200,
            unchanged=rows - 1200,
            progress=100,
            months=months,
        )
        for i in range(IMPORT_JOBS - 2)
    ]
    jobs.append(
        ImportJob(
            user=user,
            source="web",
            filename="proeve.csv",
            status=ImportJob.Status.DONE,
            dry_run=True,
            data_rows=rows,
            unchanged=rows,
            progress=100,
            months=months,
        )
    )
    jobs.append(
        ImportJob(
            user=user,
            source="web",
            filename="feil-desimaler.csv",
            status=ImportJob.Status.FAILED,
            data_rows=rows,
            errors=errors,
            message=f"{rows} feil",
            progress=100,
        )
    )
    created = ImportJob.objects.bulk_create(jobs)
    ImportJob.municipalities.through.objects.bulk_create(
        [ImportJob.municipalities.through(importjob_id=job.pk, municipality_id=municipality.pk) for job in created]
    )
    return "created"


def _failed_again(user, times: int) -> None:
    """The user uploads the failed file again `times` times (each attempt stores its own errors)."""
    from practices.models import ImportJob

    failed = ImportJob.objects.filter(user=user, status=ImportJob.Status.FAILED).first()
    ImportJob.objects.bulk_create(
        [
            ImportJob(
                user=user,
                source="web",
                filename=failed.filename,
                status=failed.status,
                data_rows=failed.data_rows,
                errors=failed.errors,
                message=failed.message,
                progress=100,
            )
            for _ in range(times)
        ]
    )


def _measure(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url, secure=True)  # warm-up
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.get('Location', '')}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url, secure=True)
    sql = [query["sql"][:100] for query in captured.captured_queries]  # now: the next request resets the log
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "queries": len(sql),
        "ms": statistics.median(times),
        "ms_all": [round(t, 1) for t in times],
        "bytes": len(response.content),
        "sql": sql,
    }


def step_pages(month: str) -> dict:
    import warnings

    from django.test import Client, override_settings

    from practices.middleware import SESSION_KEY

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic in the bench
    month = date.fromisoformat(month)
    ledger_source = _ensure_ledger(national_months())
    user, places, largest = _user_and_places(month)
    history = _import_history(user, places[0][0])
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    pages = {key: {} for key, _, _ in PAGES}
    profiles = {}
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], STORAGES=storages):
        client = Client()
        client.force_login(user)
        for municipality, patient_list in places:
            session = client.session
            session[SESSION_KEY] = municipality.pk
            session.save()
            for key, _, template in PAGES:
                url = template.format(knr=municipality.kommunenummer, month=f"{month:%Y-%m}", list=patient_list.pk)
                pages[key][municipality.kommunenummer] = {"url": url, **_measure(client, url)}
                if pages[key][municipality.kommunenummer]["ms"] > TARGET_MS:
                    profiles[f"{key} {municipality.kommunenummer}"] = profile_top(
                        lambda url=url: client.get(url, secure=True)
                    )
        # the same user after uploading the bad file three more times (four failed national imports)
        _failed_again(user, RETRIES)
        oslo = places[0][0]
        session = client.session
        session[SESSION_KEY] = oslo.pk
        session.save()
        retried = {}
        for key in ("dashboard", "import"):
            url = next(template for k, _, template in PAGES if k == key)
            retried[key] = {"url": url, **_measure(client, url)}
            if retried[key]["ms"] > TARGET_MS:
                profiles[f"{key} {oslo.kommunenummer}, {RETRIES + 1} failed imports"] = profile_top(
                    lambda url=url: client.get(url, secure=True)
                )
    from practices.models import PatientList

    sizes = {m.kommunenummer: PatientList.objects.filter(municipality=m).count() for m, _ in places}
    return {
        "seconds": 0.0,
        "pages": pages,
        "retried": retried,
        "profiles": profiles,
        "places": [
            {"kommunenummer": m.kommunenummer, "name": m.name, "lists": sizes[m.kommunenummer], "list_pk": pl.pk}
            for m, pl in places
        ],
        "memberships": [m.kommunenummer for m in largest],
        "ledger": ledger_source,
        "import_history": history,
    }


# --- the section ------------------------------------------------------------------------------------------


def run(bench) -> dict:
    figure = bench.figure
    source = ensure_national_data(bench)
    month = national_months()[-1]
    result = bench.step("pages_bench:step_pages", month.isoformat())
    big, small = (place["kommunenummer"] for place in result["places"])
    names = {place["kommunenummer"]: place for place in result["places"]}
    figures = []
    for key, name, template in PAGES:
        at_big, at_small = result["pages"][key][big], result["pages"][key][small]
        figures.append(
            figure(
                f"{key}_queries",
                f"{name} {template.format(knr='<knr>', month=f'{month:%Y-%m}', list='<pk>')}: queries, "
                f"{names[big]['name']} / {names[small]['name']}",
                f"{at_big['queries']} / {at_small['queries']}",
                "equal",
                at_big["queries"] == at_small["queries"],
                big=at_big["queries"],
                small=at_small["queries"],
                url_big=at_big["url"],
                url_small=at_small["url"],
                sql_big=at_big["sql"],
            )
        )
        slowest = max(at_big["ms"], at_small["ms"])
        figures.append(
            figure(
                f"{key}_time",
                "server time, median of 5",
                f"{at_big['ms']:.0f} ms / {at_small['ms']:.0f} ms",
                f"≤ {TARGET_MS:.0f} ms",
                slowest <= TARGET_MS,
                ms_big=at_big["ms"],
                ms_small=at_small["ms"],
                ms_all_big=at_big["ms_all"],
                ms_all_small=at_small["ms_all"],
                bytes_big=at_big["bytes"],
                bytes_small=at_small["bytes"],
                sub=True,
            )
        )
    for key, at_big in result["retried"].items():
        name = next(n for k, n, _ in PAGES if k == key)
        figures.append(
            figure(
                f"{key}_failed_imports_time",
                f"{name} {at_big['url']}, {names[big]['name']}, after the failed file is uploaded {RETRIES} times "
                f"more ({RETRIES + 1} failed imports): queries, time",
                f"{at_big['queries']}, {at_big['ms']:.0f} ms",
                f"{result['pages'][key][big]['queries']}, ≤ {TARGET_MS:.0f} ms",
                at_big["queries"] == result["pages"][key][big]["queries"] and at_big["ms"] <= TARGET_MS,
                queries=at_big["queries"],
                ms=at_big["ms"],
                ms_all=at_big["ms_all"],
                bytes=at_big["bytes"],
            )
        )
    notes = [
        f"data: {source}; ledger: {result['ledger']}; payments month {month:%Y-%m}",
        f"user {USERNAME}: caseworker in {', '.join(result['memberships'])} (the {LARGEST} with most lists) and "
        f"{small}; pages opened with {names[big]['name']} ({names[big]['lists']} lists) and with "
        f"{names[small]['name']} ({names[small]['lists']} list{'s' if names[small]['lists'] != 1 else ''}) as the "
        "current municipality",
        f"import history: {IMPORT_JOBS} jobs of the user's own (48 committed national files, a dry run, and a failed "
        f"file with an error on every one of its 59 713 rows, 5.8 MB of JSON); then the same file uploaded {RETRIES} "
        "times more (each attempt stores its errors), and the two pages that show import jobs measured again",
        "django.test.Client with force_login, DEBUG=False, HTTPS; queries of one request after a warm-up "
        "(session and user included); time: the whole request in the test client, median of 5",
    ]
    for label, lines in result["profiles"].items():
        notes.append(f"{label} missed its target; cProfile of one request, top entries by own time:")
        notes.extend(f"    {line}" for line in lines)
    return {"title": "Main pages with national data (docs/performance.md)", "figures": figures, "notes": notes}
