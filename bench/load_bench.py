"""Section `load` of `make bench` (docs/performance.md «Last», docs/operations.md «Beyond one machine»): the product
under 50 users during a national import and a recompute, and the national 24-month recompute on 1 and 2 worker
processes. Optional (about six minutes): `python bench/run.py load` alone, or `--load` after the others.

Parent side: `run(bench)`. The functions named `step_*` run in a fresh process each (bench.step).

1. A database of its own, `fastlege_bench_load` (the scratch database's name + `_load`): a copy of the scratch
   database (`CREATE DATABASE … TEMPLATE`; `migrate` when the copy is refused), with the national data set
   (common.ensure_national_data).
2. Beyond one machine: the ledger emptied, then the 24 national months queued as the nightly job queues a month
   (`ledger.recompute_all`: one run per municipality), to 1 and to 2 worker processes (`celery worker -c 1`
   each) on Redis, in the order 1, 2, 2, 1; timed from the first send until every run is done or failed. The
   last leaves the whole ledger computed for the load.
3. The load, LOAD_RUNS times (default 3; the figures are medians over the runs): gunicorn as docs/operations.md
   starts it (`--workers 3 --timeout 120`, DEBUG=0, collectstatic, a free port of 127.0.0.1) and one Celery
   worker as `make worker` starts it (prefork, one process per CPU), on the load database and Redis database 11
   (LOAD_BROKER_URL; a queue of its own). Locust (bench/locustfile.py: headless, 60 s, 50 users started 5 a
   second, think time 5–15 s) drives it: 24 administrators and 24 caseworkers in the 12 municipalities with most
   lists; an administrator of every municipality who uploads a national file (the last 12 months, every count
   changed) 5 s after the last user has logged in, and confirms it; a caseworker who presses «Beregn på nytt»
   for Oslo 10 s after the upload started. Every request is recorded with its start time. The ramp-up lasts
   until every user has logged in; the import window from the upload until the import, the recompute it queued
   and the pressed recompute are all done (read from the database after the run); the rest is the steady state.
   Per page: p50/p95/p99 in the steady state and in the import window, errors, requests per second.
   Target (docs/performance.md): 0 errors, p95 ≤ 300 ms on every page in the import window.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date
from pathlib import Path

from common import ROOT, celery_env, ensure_national_data, forget_queue, national_months, start_worker, stop
from import_bench import NATIONAL_LISTS, NATIONAL_MONTHS, SEED

SECTION = "load"
LOAD_SUFFIX = "_load"  # the load database: the scratch database's name and this (fastlege_bench_load)
BROKER = os.environ.get("LOAD_BROKER_URL") or "redis://127.0.0.1:6379/11"
RUNS = int(os.environ.get("LOAD_RUNS") or 3)
USERS = 50
SPAWN_RATE = 5  # users a second: all logged in after 10 s
RUN_SECONDS = 60
IMPORT_AT = 15.0  # the upload: not before 15 s after the start,
IMPORT_AFTER = 5.0  # and 5 s after the last user has logged in
RECOMPUTE_AFTER = 10.0  # «Beregn på nytt»: 10 s after the upload started
AREA = 12  # the administrators and caseworkers work in the 12 municipalities with most lists
CASES_PER_MUNICIPALITY = 8
GUNICORN_WORKERS = 3  # docs/operations.md
TARGET_P95_MS = 300.0
BACKGROUND_TIMEOUT = 300.0  # after Locust stops: wait this long for the import and the recomputes to finish
SCALING_ORDER = (1, 2, 2, 1)  # worker processes, each twice, A-B-B-A so that a drift in the shared load evens out
LEDGER_TABLES = ("grants_paymentline", "grants_paymentrun", "grants_paymentmonth")
PAGES = (  # (Locust name, what, judged against the target)
    ("dashboard", "dashboard /", True),
    ("lists", "lists /lister/", True),
    ("list detail", "list detail /lister/<pk>/", True),
    ("payments index", "payments index /utbetalinger/", True),
    ("payment month", "payment month /utbetalinger/<knr>/<month>/", True),
    ("cases", "grunntilskudd cases /grunntilskudd/", True),
    ("case detail", "a case /grunntilskudd/<pk>/", True),
    ("import page", "import page /import/", True),
    ("import preview", "import preview and result /import/<pk>/", True),
    ("import progress (poll)", "import progress, polled every second", True),
    ("recompute progress (poll)", "recompute progress, polled every second", True),
    ("login page", "login page /konto/logg-inn/", False),
    ("login", "login (POST: PBKDF2, django-axes)", False),
    ("import upload (check of the file)", "import upload: the whole file checked in the request", False),
    ("import confirm", "import confirm (queues the import)", False),
    ("recompute (button)", "«Beregn på nytt» (queues the run)", False),
)


# --- steps (each in its own process) ----------------------------------------------------------------------


def _wait_for_workers(names: list[str]) -> None:
    from config.celery import app

    deadline = time.monotonic() + 60
    while len(app.control.ping(destination=names, timeout=1.0)) < len(names):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers {names} did not answer within 60 s")


def step_recompute_months(months: str, workers: str) -> dict:
    """The 24 months queued as the nightly job queues one (`ledger.recompute_all`), to the workers named in
    `workers` (already started on this process's broker and queue); until every run is done or failed."""
    from django.db.models import Max, Sum

    from grants.models import PaymentRun
    from grants.services import ledger

    _wait_for_workers(workers.split(","))
    before = PaymentRun.objects.aggregate(last=Max("pk"))["last"] or 0
    finished = (PaymentRun.Status.DONE, PaymentRun.Status.FAILED)
    began = time.perf_counter()
    for month in months.split(","):
        ledger.recompute_all(month=date.fromisoformat(month), trigger="bench")
    sent = time.perf_counter() - began
    runs = PaymentRun.objects.filter(pk__gt=before)
    while runs.exclude(status__in=finished).exists():
        if time.perf_counter() - began > 600:
            raise RuntimeError("runs not done after 600 s")
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "send_seconds": sent,
        "runs": runs.count(),
        "failed": runs.filter(status=PaymentRun.Status.FAILED).count(),
        "lines": runs.aggregate(n=Sum("lines"))["n"] or 0,
    }


def step_plan(path: str, password: str) -> dict:
    """The bench users (one password hash for all: hashing costs 0.3 s each), their memberships and the cases the
    caseworkers open; the plan Locust reads is written to `path`."""
    import random

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.exceptions import ValidationError
    from django.db.models import Count

    from core.workflow import ServiceError
    from grants.models import GrunntilskuddApplication
    from grants.services import cases
    from practices.models import ListCount, Membership, Municipality, PatientList, Role

    rng = random.Random(1)
    last = national_months()[-1]
    area = list(Municipality.objects.annotate(n=Count("lists")).filter(n__gt=0).order_by("-n", "kommunenummer")[:AREA])
    every = list(Municipality.objects.filter(lists__isnull=False).distinct())
    hashed = make_password(password)
    users = get_user_model().objects
    seats = (USERS - 2) // 2

    def person(username):
        return users.create(username=username, password=hashed, email=f"{username}@example.invalid")

    administrators = [(person(f"load.admin{i:02d}"), area[i % AREA]) for i in range(seats)]
    caseworkers = [(person(f"load.saksbehandler{i:02d}"), area[i % AREA]) for i in range(seats)]
    importer, recomputer = person("load.import"), person("load.beregning")
    Membership.objects.bulk_create(
        [Membership(user=u, municipality=m, role=Role.ADMINISTRATOR) for u, m in administrators]
        + [Membership(user=u, municipality=m, role=Role.CASEWORKER) for u, m in caseworkers]
        + [Membership(user=importer, municipality=m, role=Role.ADMINISTRATOR) for m in every]
        + [Membership(user=recomputer, municipality=area[0], role=Role.CASEWORKER)]
    )
    lists, case_ids = {}, {}
    for index, municipality in enumerate(area):
        pks = list(PatientList.objects.filter(municipality=municipality).order_by("pk").values_list("pk", flat=True))
        lists[municipality.pk] = rng.sample(pks, min(30, len(pks)))
        smallest = (
            ListCount.objects.filter(patient_list__municipality=municipality, month=last)
            .order_by("antall_pasienter")
            .select_related("patient_list")
        )
        admin = administrators[index][0]
        made = []
        for count in smallest[: CASES_PER_MUNICIPALITY * 2]:
            holder = cases.holder_on(count.patient_list, cases.today())
            if holder is None or holder.doctor is None:
                continue
            try:
                case = cases.create_case(
                    case=GrunntilskuddApplication(
                        municipality=municipality,
                        patient_list=count.patient_list,
                        doctor=holder.doctor,
                        avtale_fra=date(2023, 1, 1),
                        saksnummer=f"24/{count.patient_list.listenummer}",
                    ),
                    user=admin,
                )
                if len(made) % 4:  # three of four submitted, one left as a draft (live checks on its page)
                    case = cases.transition(case, action="submit", user=admin)
            except (ServiceError, ValidationError):
                continue
            made.append(case.pk)
            if len(made) == CASES_PER_MUNICIPALITY:
                break
        case_ids[municipality.pk] = made

    def seat(user, municipality):
        return {
            "username": user.username,
            "kommunenummer": municipality.kommunenummer,
            "lists": lists[municipality.pk],
            "cases": case_ids[municipality.pk],
        }

    plan = {
        "password": password,
        "administrators": [seat(u, m) for u, m in administrators],
        "caseworkers": [seat(u, m) for u, m in caseworkers],
        "importer": seat(importer, area[0]),
        "recomputer": seat(recomputer, area[0]),
        "months": [f"{m:%Y-%m}" for m in national_months()[-3:]],
        "recompute_month": f"{last:%Y-%m}",
        "users": USERS,
        "import_at": IMPORT_AT,
        "import_after": IMPORT_AFTER,
        "recompute_after": RECOMPUTE_AFTER,
    }
    Path(path).write_text(json.dumps(plan), encoding="utf-8")
    return {
        "seconds": 0.0,
        "area": [f"{m.kommunenummer} {m.name}" for m in area],
        "importer_municipalities": len(every),
        "cases": sum(len(v) for v in case_ids.values()),
    }


# --- the database, the file and the processes (parent side) ---------------------------------------------------


def _load_database(bench):
    """`bench` pointed at the load database: its sql(), manage() and step() act there."""
    load = copy.copy(bench)
    server, scratch = bench.database_url.rsplit("/", 1)
    load.scratch, load.name = scratch, scratch + LOAD_SUFFIX
    load.database_url = f"{server}/{load.name}"
    load.env = {**bench.env, "DATABASE_URL": load.database_url}
    load.connect = lambda dbname=load.name, autocommit=False: bench.connect(dbname, autocommit)
    return load


def _create_database(bench, load) -> str:
    """A copy of the scratch database (migrated, and with the national data set when the import section has left
    it); `migrate` when the copy is refused (someone is connected to the scratch database)."""
    with bench.connect("postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{load.name}" WITH (FORCE)')
        try:
            connection.execute(f'CREATE DATABASE "{load.name}" TEMPLATE "{load.scratch}"')
            return "a copy of the scratch database"
        except Exception as error:  # ObjectInUse: another session on the template
            connection.execute(f'CREATE DATABASE "{load.name}"')
            reason = str(error).splitlines()[0]
    seconds, _ = load.manage("migrate", "--noinput", "-v", "0")
    return f"created and migrated in {seconds:.1f} s (no copy: {reason})"


def _clear_ledger(load) -> None:
    historical = [
        name for (name,) in load.sql("SELECT tablename FROM pg_tables WHERE tablename LIKE 'grants_historicalpayment%'")
    ]
    load.sql(f"TRUNCATE {', '.join(LEDGER_TABLES + tuple(historical))} RESTART IDENTITY CASCADE")


def _national_files(load, workdir: Path, runs: int) -> tuple[list[Path], int]:
    """The last 12 months of the national data set as its import file, every count raised by k patients in run
    k (so each run's import changes every row again); and the number of data rows."""
    source = workdir / "national-24.csv"
    load.manage(
        "generate_data",
        "--lists",
        str(NATIONAL_LISTS),
        "--months",
        str(NATIONAL_MONTHS),
        "--seed",
        SEED,
        "--csv",
        str(source),
    )
    keep = {f"{m:%Y-%m}" for m in national_months()[-12:]}
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        rows = [row for row in reader if row[header.index("maaned")] in keep]
    patients = header.index("antall_pasienter")
    files = []
    for k in range(1, runs + 1):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        writer.writerows([*row[:patients], str(int(row[patients]) + k), *row[patients + 1 :]] for row in rows)
        path = workdir / f"lister-2023-k{k}.csv"
        path.write_bytes(out.getvalue().encode("utf-8"))
        files.append(path)
    return files, len(rows)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _workers(env: dict, queue: str, log, count: int, concurrency: int | None) -> tuple[list, list[str]]:
    """`count` worker processes on `queue` (concurrency None: Celery's default, one per CPU, as `make worker`)."""
    names = [f"w{index + 1}@{queue}" for index in range(count)]
    return [start_worker(env, queue, log, name=name, concurrency=concurrency) for name in names], names


def _scaling(load, workdir: Path) -> dict[int, list[dict]]:
    """(2): the 24 months from an empty ledger on 1 and on 2 worker processes (-c 1 each), in SCALING_ORDER."""
    months = ",".join(m.isoformat() for m in national_months())
    results: dict[int, list[dict]] = {}
    for index, count in enumerate(SCALING_ORDER):
        _clear_ledger(load)
        queue = f"bench-load-{uuid.uuid4().hex[:8]}"
        env = celery_env(load.env, BROKER, queue)
        log_path = workdir / f"celery-scaling-{index}-{count}.log"
        with open(log_path, "w") as log:
            processes, names = _workers(env, queue, log, count, 1)
            try:
                stepper = copy.copy(load)
                stepper.env = env
                result = stepper.step("load_bench:step_recompute_months", months, ",".join(names))
                results.setdefault(count, []).append(result)
            except load.Error as error:
                raise load.Error(f"{error}\ncelery log:\n{log_path.read_text()[-3000:]}") from None
            finally:
                for process in processes:
                    stop(process)
                forget_queue(BROKER, queue)
    return results


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except Exception:  # noqa: BLE001 - not up yet
        return 0


def _locust(host: str, plan: Path, file: Path, records: Path, log_path: Path) -> dict:
    """One Locust run; the records it wrote when it quit."""
    plan_data = json.loads(plan.read_text(encoding="utf-8"))
    plan_data["import_file"] = str(file)
    run_plan = plan.with_name(f"plan-{file.stem}.json")
    run_plan.write_text(json.dumps(plan_data), encoding="utf-8")
    env = {**os.environ, "LOAD_PLAN": str(run_plan), "LOAD_RECORDS": str(records)}
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        f"{RUN_SECONDS}s",
        "--host",
        host,
        "--only-summary",
        "--stop-timeout",
        "0",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
    ]
    with open(log_path, "w") as log:
        done = subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=RUN_SECONDS + 120
        )
    if done.returncode or not records.exists():
        raise RuntimeError(f"locust exited {done.returncode}:\n{log_path.read_text()[-3000:]}")
    return json.loads(records.read_text(encoding="utf-8"))


def _background(load, since: float) -> dict:
    """What the run started in the background, read from the database: the import job, the runs the import
    queued and the run the button queued (epoch seconds); waits until all have finished."""
    deadline = time.monotonic() + BACKGROUND_TIMEOUT
    while True:
        job = load.sql(
            "SELECT j.id, j.status, extract(epoch FROM j.created_at), extract(epoch FROM j.finished_at), j.data_rows, "
            "j.changed FROM practices_importjob j JOIN auth_user u ON u.id = j.user_id "
            f"WHERE u.username = 'load.import' AND j.created_at >= to_timestamp({since}) ORDER BY j.id DESC LIMIT 1"
        )
        runs = load.sql(
            "SELECT trigger, count(*), count(*) FILTER (WHERE status NOT IN ('done', 'failed')), "
            "count(*) FILTER (WHERE status = 'failed'), extract(epoch FROM min(created_at)), "
            "extract(epoch FROM max(finished_at)), count(DISTINCT month) "
            f"FROM grants_paymentrun WHERE created_at >= to_timestamp({since}) GROUP BY trigger"
        )
        pending = sum(row[2] for row in runs) + (1 if job and job[0][1] not in ("done", "failed") else 0)
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    result = {"pending": pending, "import": None, "runs": {}}
    if job:
        pk, status, created, finished, rows, changed = job[0]
        result["import"] = {
            "id": pk,
            "status": status,
            "created": float(created),
            "finished": float(finished) if finished else None,
            "rows": rows,
            "changed": changed,
        }
    for trigger, count, unfinished, failed, first, last, months in runs:
        result["runs"][trigger] = {
            "count": count,
            "unfinished": unfinished,
            "failed": failed,
            "months": months,
            "first": float(first),
            "last": float(last) if last else None,
        }
    return result


# --- figures from the records -----------------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": _percentile(values, 50),
        "p95": _percentile(values, 95),
        "p99": _percentile(values, 99),
        "max": max(values),
    }


def _analyse(records: dict, background: dict) -> dict:
    """Split the requests into the ramp-up (until every user has logged in), the steady state outside the import
    window, and the import window; compute what the table shows."""
    marks, started, stopped = records["marks"], records["started"], records["stopped"]
    ends = [background["import"] and background["import"]["finished"]]
    ends += [run["last"] for run in background["runs"].values()]
    finished = [end for end in ends if end]
    window_start = marks.get("import_upload", stopped)
    unfinished = background["pending"] > 0 or not finished
    window_end = max(finished) if finished and not unfinished else stopped
    ramp_end = min(marks.get("all_logged_in", stopped), window_start)
    pages: dict[str, dict] = {}
    counts = {"ramp": 0, "steady": 0, "inside": 0}
    errors = []
    for name, start, ms, ok, status, error in records["requests"]:
        period = "inside" if window_start <= start <= window_end else "ramp" if start < ramp_end else "steady"
        entry = pages.setdefault(name, {"ramp": [], "steady": [], "inside": [], "errors": 0})
        entry[period].append(ms)
        counts[period] += 1
        if not ok:
            entry["errors"] += 1
            errors.append(f"{name} +{start - started:.1f} s: HTTP {status} {error}".strip())
    job = background["import"] or {}
    if job.get("status") != "done":  # the background work counts too: an import or a run that failed is an error
        errors.append(f"the import: {job.get('status') or 'not started'}")
    errors += [f"{run['failed']} {trigger} runs failed" for trigger, run in background["runs"].items() if run["failed"]]
    if background["pending"]:
        errors.append(f"{background['pending']} jobs or runs not finished {BACKGROUND_TIMEOUT:.0f} s after the run")
    duration = stopped - started
    inside_seconds = max(0.0, min(window_end, stopped) - window_start)
    steady_seconds = max(1e-9, duration - inside_seconds - (ramp_end - started))
    imported = background["runs"].get("import", {})
    pressed = background["runs"].get("manual", {})
    return {
        "duration": duration,
        "requests": sum(counts.values()),
        "counts": counts,
        "rps": sum(counts.values()) / duration,
        "rps_steady": counts["steady"] / steady_seconds,
        "rps_inside": counts["inside"] / inside_seconds if inside_seconds else 0.0,
        "ramp_seconds": ramp_end - started,
        "ramp": _summary([ms for e in pages.values() for ms in e["ramp"]]),
        "errors": len(errors),
        "error_samples": errors[:10],
        "window": {
            "start": window_start - started,
            "end": window_end - started,
            "finished_in_run": not unfinished and window_end <= stopped,
            "upload_seconds": marks.get("import_preview", window_start) - window_start,
            "import_seconds": (job["finished"] - marks["import_confirm"])
            if job.get("finished") and "import_confirm" in marks
            else None,
            "import_rows": job.get("rows"),
            "import_changed": job.get("changed"),
            "import_status": job.get("status"),
            "import_runs": imported.get("count", 0),
            "import_runs_failed": imported.get("failed", 0),
            "import_months": imported.get("months", 0),
            "import_recompute_seconds": imported["last"] - imported["first"] if imported.get("last") else None,
            "pressed_at": marks["recompute_pressed"] - started if "recompute_pressed" in marks else None,
            "pressed_seconds": pressed["last"] - marks["recompute_pressed"]
            if pressed.get("last") and "recompute_pressed" in marks
            else None,
            "pending_after_run": background["pending"],
        },
        "pages": {
            name: {period: _summary(e[period]) for period in ("ramp", "steady", "inside")}
            | {"all": _summary(e["ramp"] + e["steady"] + e["inside"]), "errors": e["errors"]}
            for name, e in pages.items()
        },
    }


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def _triple(summaries: list[dict]) -> tuple[str, dict]:
    """'p50 / p95 / p99' of the medians over the runs, and the medians themselves."""
    medians = {p: _median([s.get(p) for s in summaries]) for p in ("p50", "p95", "p99")}
    medians["n"] = sum(s["n"] for s in summaries)
    if not medians["n"]:
        return "—", medians
    return f"{_ms(medians['p50'])} / {_ms(medians['p95'])} / {_ms(medians['p99'])}", medians


def _figures(bench, analyses: list[dict], scaling: dict[int, dict]) -> list[dict]:
    figure = bench.figure
    runs = len(analyses)
    windows = [a["window"] for a in analyses]
    ramp_text, ramp = _triple([a["ramp"] for a in analyses])
    figures = [
        figure(
            "rps",
            f"requests per second: whole run / steady / import window (median of {runs} runs)",
            " / ".join(f"{_median([a[k] for a in analyses]):.1f}" for k in ("rps", "rps_steady", "rps_inside")),
            "—",
            None,
            per_run=[round(a["rps"], 2) for a in analyses],
            requests=[a["requests"] for a in analyses],
            counts=[a["counts"] for a in analyses],
        ),
        figure(
            "errors",
            f"errors (all {runs} runs): failed requests, and a failed or unfinished import or run",
            f"{sum(a['errors'] for a in analyses)} of {sum(a['requests'] for a in analyses)} requests",
            "0",
            sum(a["errors"] for a in analyses) == 0,
            samples=[e for a in analyses for e in a["error_samples"]][:20],
        ),
        figure(
            "ramp",
            f"ramp-up: {USERS} users log in, {SPAWN_RATE} a second, until "
            f"+{_median([a['ramp_seconds'] for a in analyses]):.0f} s (median): every request, p50 / p95 / p99 ms",
            f"{ramp_text} ({ramp['n']})",
            "—",
            None,
            **ramp,
            seconds=[a["ramp_seconds"] for a in analyses],
        ),
        figure(
            "window",
            "import window: upload at +{:.0f} s until all done at +{:.0f} s (median)".format(
                _median([w["start"] for w in windows]), _median([w["end"] for w in windows])
            ),
            f"all done within the {RUN_SECONDS} s in {sum(w['finished_in_run'] for w in windows)} of {runs} runs",
            "—",
            None,
            runs=windows,
        ),
    ]
    parts = (
        ("upload_seconds", "the upload (the whole file checked in the request)"),
        ("import_seconds", "confirm → import done in the worker"),
        ("import_recompute_seconds", "the recompute the import queued: first run queued → last done"),
        ("pressed_seconds", "«Beregn på nytt» for Oslo → its run done"),
    )
    for key, name in parts:
        value = _median([w[key] for w in windows])
        extra = ""
        if key == "import_recompute_seconds":
            extra = f" ({windows[0]['import_runs']} runs, {windows[0]['import_months']} months)"
        if key == "import_seconds":
            extra = f" ({windows[0]['import_rows']} rows, {windows[0]['import_changed']} changed)"
        figures.append(
            figure(
                f"window_{key}",
                name + extra,
                "—" if value is None else f"{value:.1f} s",
                "—",
                None,
                sub=True,
                per_run=[w[key] for w in windows],
            )
        )
    names = {name for a in analyses for name in a["pages"]}
    for name, label, judged in PAGES:
        if name not in names:
            continue
        found = [a["pages"][name] for a in analyses if name in a["pages"]]
        errors = sum(page["errors"] for page in found)
        key = "page_" + name.split(" (")[0].replace(" ", "_")
        if not judged:  # actions and logins: every request, whenever it ran
            text, every = _triple([page["all"] for page in found])
            figures.append(
                figure(key, f"{label}: p50 / p95 / p99 ms", f"{text} ({every['n']})", "—", None, **every, errors=errors)
            )
            continue
        text_steady, steady = _triple([page["steady"] for page in found])
        text_inside, inside = _triple([page["inside"] for page in found])
        figures.append(
            figure(
                key,
                f"{label}: p50 / p95 / p99 ms, steady | import window (requests)",
                f"{text_steady} | {text_inside} ({steady['n']} | {inside['n']})"
                + (f", {errors} errors" if errors else ""),
                f"p95 ≤ {TARGET_P95_MS:.0f} ms in the window, 0 errors",
                errors == 0 and (inside["p95"] is None or inside["p95"] <= TARGET_P95_MS),
                steady=steady,
                inside=inside,
                ramp=_triple([page["ramp"] for page in found])[1],
                errors=errors,
                per_run_p95_inside=[page["inside"].get("p95") for page in found],
                per_run_p95_steady=[page["steady"].get("p95") for page in found],
            )
        )
    one = _median([result["seconds"] for result in scaling[1]])
    for count, results in sorted(scaling.items()):
        seconds = _median([result["seconds"] for result in results])
        each = ", ".join(f"{result['seconds']:.1f}" for result in results)
        figures.append(
            figure(
                f"recompute_24_months_{count}_workers",
                f"24 national months through Celery from an empty ledger (ledger.recompute_all per month, "
                f"{results[0]['runs']} runs): {count} worker process{'es' if count > 1 else ''} (-c 1), "
                f"median of {len(results)}",
                f"{seconds:.1f} s ({each})" + (f" = {one / seconds:.2f}× one" if count > 1 else ""),
                f"{results[0]['runs']} done, 0 failed",
                all(result["failed"] == 0 and result["runs"] == results[0]["runs"] for result in results),
                seconds=seconds,
                runs=results,
            )
        )
    return figures


# --- the section ------------------------------------------------------------------------------------------------


def run(bench) -> dict:
    workdir = bench.workdir
    load_average = os.getloadavg()
    unreachable = ""
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - say why in the message
        unreachable = f"{error.__class__.__name__}: {error}"
    if unreachable:
        raise bench.Error(f"the load section needs Redis at {BROKER} (LOAD_BROKER_URL): {unreachable}")
    load = _load_database(bench)
    database = _create_database(bench, load)
    source = ensure_national_data(load)

    scaling = _scaling(load, workdir)
    plan = workdir / "load-plan.json"
    setup = load.step("load_bench:step_plan", str(plan), secrets.token_urlsafe(16))
    files, rows = _national_files(load, workdir, RUNS)

    queue = f"bench-load-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    env = {
        **celery_env(load.env, BROKER, queue),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(workdir / "static"),
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if collect.returncode:
        raise bench.Error(f"collectstatic failed:\n{collect.stdout}{collect.stderr}")
    analyses = []
    gunicorn_log, worker_log = workdir / "gunicorn.log", workdir / "celery-load.log"
    with open(gunicorn_log, "w") as web_log, open(worker_log, "w") as log:
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(GUNICORN_WORKERS),
                "--timeout",
                "120",
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        workers, _ = _workers(env, queue, log, 1, None)
        try:
            deadline = time.monotonic() + 60
            while _get(host + "/konto/logg-inn/") != 200:
                if web.poll() is not None or time.monotonic() > deadline:
                    raise bench.Error(f"gunicorn did not answer on {host}:\n{gunicorn_log.read_text()[-3000:]}")
                time.sleep(0.5)
            for index, file in enumerate(files):
                since = time.time()
                records = _locust(host, plan, file, workdir / f"records-{index}.json", workdir / f"locust-{index}.log")
                analyses.append(_analyse(records, _background(load, since)))
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            raise bench.Error(f"load run failed: {error}\ngunicorn log:\n{gunicorn_log.read_text()[-2000:]}") from None
        finally:
            stop(web)
            for process in workers:
                stop(process)
            forget_queue(BROKER, queue)

    figures = _figures(bench, analyses, scaling)
    notes = [
        f"machine: {os.cpu_count()} CPUs shared with PostgreSQL, Redis, Locust and whatever else runs (load average "
        f"at the start {load_average[0]:.2f}); the figures are noisy, medians of {len(analyses)} runs",
        f"database {load.name}: {database}; {source}; ledger: the 24 months of the last worker run",
        f"users: {USERS} started {SPAWN_RATE} a second, think time 5–15 s; administrators and caseworkers in "
        f"{', '.join(setup['area'])}; {setup['cases']} grunntilskudd cases; the importer is administrator in "
        f"{setup['importer_municipalities']} municipalities",
        f"import: the national file's last 12 months ({rows} rows), every count raised by k patients in run k; "
        f"uploaded {IMPORT_AFTER:.0f} s after the last user logged in (not before +{IMPORT_AT:.0f} s); "
        f"«Beregn på nytt» for the largest municipality {RECOMPUTE_AFTER:.0f} s after the upload started",
        f"gunicorn --workers {GUNICORN_WORKERS} --timeout 120 (DEBUG=0, collectstatic) on {host}; one Celery worker "
        f"(prefork, {os.cpu_count()} processes) on {BROKER}, queue {queue}",
        "times are Locust's (client side, loopback); percentiles by nearest rank over each run's requests, then the "
        "median over the runs; a request belongs to the import window when it started inside it; a page has 3–50 "
        "requests in a period of one run, so its p99 is about its slowest request",
    ]
    errors = [e for a in analyses for e in a["error_samples"]]
    if errors:
        notes.append("errors (first ones): " + "; ".join(errors[:5]))
    return {
        "title": "Load: 50 users during an import and a recompute (docs/performance.md «Last»)",
        "figures": figures,
        "notes": notes,
        "runs": analyses,
    }
