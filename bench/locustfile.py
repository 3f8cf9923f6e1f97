"""Locust users of the `load` section of `make bench` (bench/load_bench.py starts Locust with this file).

Not run on its own: load_bench writes the plan (users, passwords, pages) to the JSON file named by LOAD_PLAN and
reads what this file writes to LOAD_RECORDS when Locust quits: every request as (name, start, ms, ok, status,
error) from Locust's request event, and the times the import and the recompute were started and seen done.

The users log in through the login page (each its own username, so django-axes never locks one out) and then
wait 5–15 s between pages, as people do (`between(5, 15)`):

- administrators: dashboard, lists, a list, payments index and a payment month of their municipality;
- caseworkers: the grunntilskudd cases, a case, and the payment month;
- one administrator of every municipality uploads a national file on the import page once every user has
  logged in and `import_after` seconds more have passed (not before `import_at`), opens the preview, confirms,
  and polls the progress every second as the page's htmx does, until it is done;
- one caseworker in the largest municipality presses «Beregn på nytt» on a payment month `recompute_after`
  seconds after the upload started, and polls the run's progress every second until it is done.

Every request goes to gunicorn over loopback HTTP with `X-Forwarded-Proto: https`, as from the TLS proxy of
docs/operations.md. The session and CSRF cookies are Secure; the jar clears the flag so that they go on this leg too.
Redirects are not followed: a page that answers 302 (to the login page) is an error.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
RECORDS: list[tuple] = []
MARKS: dict[str, float] = {}
LOGGED_IN: list[str] = []  # who has logged in (or tried): the import waits for all of them
STARTED = time.time()  # set again when the test starts (below)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RUN_PROGRESS = re.compile(r"/utbetalinger/kjoring/(\d+)/")
POLL_SECONDS = 1.0  # hx-trigger="every 1s" on the progress bars
POLL_LIMIT = 600


def _loopback(cookies) -> None:
    """Send the Secure cookies over the loopback leg too (TLS ends at the proxy, which forwards plain HTTP).
    requests copies the jar into a fresh one, with the default policy, for every request: a policy of our own
    on the session's jar would not be used, so the flag is cleared on the cookies themselves."""
    for cookie in cookies:
        cookie.secure = False


@events.request.add_listener
def _record(
    request_type, name, response_time, response_length, exception=None, start_time=None, response=None, **kwargs
):
    status = getattr(response, "status_code", 0) or 0
    start = start_time if start_time is not None else time.time() - response_time / 1000
    RECORDS.append((name, start, response_time, exception is None, status, str(exception)[:200] if exception else ""))


@events.user_error.add_listener
def _user_error(user_instance, exception, tb, **kwargs):
    """An exception in a user's code (not a request): recorded as an error of its own."""
    RECORDS.append((f"user error in {type(user_instance).__name__}", time.time(), 0.0, False, 0, repr(exception)[:200]))


@events.test_start.add_listener
def _start(environment, **kwargs):
    global STARTED
    STARTED = time.time()


@events.quitting.add_listener
def _write(environment, **kwargs):
    Path(os.environ["LOAD_RECORDS"]).write_text(
        json.dumps({"started": STARTED, "stopped": time.time(), "marks": MARKS, "requests": RECORDS}),
        encoding="utf-8",
    )


class Person(HttpUser):
    """A logged-in user of the pages; subclasses say who and what they open."""

    abstract = True
    wait_time = between(5, 15)
    pool: list[dict] = []

    def on_start(self):
        self.client.headers.update({"X-Forwarded-Proto": "https"})
        self.me = self.pool.pop(0)
        page = self.get("/konto/logg-inn/", "login page")
        self.post(
            "/konto/logg-inn/",
            "login",
            {"username": self.me["username"], "password": PLAN["password"]},
            page,
            expect=302,
        )
        LOGGED_IN.append(self.me["username"])
        if len(LOGGED_IN) == PLAN["users"]:
            MARKS["all_logged_in"] = time.time()

    def get(self, path: str, name: str, expect=(200,)):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code not in expect:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
        _loopback(self.client.cookies)
        return response

    def post(self, path: str, name: str, data: dict, page, *, expect=302, files=None):
        token = CSRF.search(page.text or "")
        origin = self.host.replace("http://", "https://")  # as the browser sends it through the proxy
        headers = {"Origin": origin, "Referer": origin + path}
        data = {**data, "csrfmiddlewaretoken": token[1] if token else ""}
        with self.client.post(
            path, name=name, data=data, files=files, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
        _loopback(self.client.cookies)
        return response

    def poll(self, path: str, name: str, mark: str) -> None:
        """GET `path` every second until it answers 204 (done), as htmx does on the progress bars."""
        for _ in range(POLL_LIMIT):
            response = self.get(path, name, expect=(200, 204))
            if response.status_code != 200:
                MARKS[mark] = time.time()
                return
            time.sleep(POLL_SECONDS)

    @staticmethod
    def wait_for(mark: str, seconds: float, *, limit: float = 45.0) -> None:
        """Sleep until `seconds` after MARKS[mark] (given up on after `limit` seconds of the run)."""
        while mark not in MARKS and time.time() < STARTED + limit:
            time.sleep(0.2)
        time.sleep(max(0.0, MARKS.get(mark, time.time()) + seconds - time.time()))


class Administrator(Person):
    fixed_count = len(PLAN["administrators"])
    pool = list(PLAN["administrators"])

    @task(3)
    def dashboard(self):
        self.get("/", "dashboard")

    @task(3)
    def lists(self):
        self.get("/lister/", "lists")

    @task(3)
    def list_detail(self):
        self.get(f"/lister/{random.choice(self.me['lists'])}/", "list detail")

    @task(1)
    def payments_index(self):
        self.get("/utbetalinger/", "payments index")

    @task(2)
    def payment_month(self):
        self.get(f"/utbetalinger/{self.me['kommunenummer']}/{random.choice(PLAN['months'])}/", "payment month")


class Caseworker(Person):
    fixed_count = len(PLAN["caseworkers"])
    pool = list(PLAN["caseworkers"])

    @task(2)
    def cases(self):
        self.get("/grunntilskudd/", "cases")

    @task(4)
    def case_detail(self):
        self.get(f"/grunntilskudd/{random.choice(self.me['cases'])}/", "case detail")

    @task(3)
    def payment_month(self):
        self.get(f"/utbetalinger/{self.me['kommunenummer']}/{random.choice(PLAN['months'])}/", "payment month")


class Importer(Administrator):
    """Uploads the national file once, confirms it and follows its progress; then works like the others."""

    fixed_count = 1
    pool = [PLAN["importer"]]
    imported = False

    def on_start(self):
        super().on_start()
        if Importer.imported:
            return
        Importer.imported = True
        self.wait_for("all_logged_in", PLAN["import_after"])
        time.sleep(max(0.0, STARTED + PLAN["import_at"] - time.time()))
        page = self.get("/import/", "import page")
        path = Path(PLAN["import_file"])
        MARKS["import_upload"] = time.time()
        response = self.post(
            "/import/",
            "import upload (check of the file)",
            {},
            page,
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        )
        MARKS["import_preview"] = time.time()
        found = re.search(r"/import/(\d+)/", response.headers.get("Location", ""))
        if not found:
            return
        detail = f"/import/{found[1]}/"
        preview = self.get(detail, "import preview")
        MARKS["import_confirm"] = time.time()
        self.post(detail + "bekreft/", "import confirm", {}, preview)
        self.get(detail, "import preview")
        self.poll(detail + "fremdrift/", "import progress (poll)", "import_seen_done")
        self.get(detail, "import preview")


class Recomputer(Caseworker):
    """Presses «Beregn på nytt» once on the largest municipality's month and follows the run; then works on."""

    fixed_count = 1
    pool = [PLAN["recomputer"]]
    pressed = False

    def on_start(self):
        super().on_start()
        if Recomputer.pressed:
            return
        Recomputer.pressed = True
        self.wait_for("import_upload", PLAN["recompute_after"])
        month = f"/utbetalinger/{self.me['kommunenummer']}/{PLAN['recompute_month']}/"
        page = self.get(month, "payment month")
        MARKS["recompute_pressed"] = time.time()
        self.post(month + "beregn/", "recompute (button)", {}, page)
        page = self.get(month, "payment month")
        found = RUN_PROGRESS.search(page.text or "")
        if found:
            self.poll(f"/utbetalinger/kjoring/{found[1]}/", "recompute progress (poll)", "recompute_seen_done")
        self.get(month, "payment month")
