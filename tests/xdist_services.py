"""Loaded with `-p tests.xdist_services` (pyproject.toml) before Django reads its settings: under pytest-xdist each
worker process (gw0, gw1, …) gets a Redis database of its own, so its Celery worker, its queue and the cache
(progress bars are keyed by object ids) never meet the other's: worker gwN uses the broker's database + N + 1, so
with -n 2 the broker URL's database must be 13 or lower (Redis has 16). The databases are PostgreSQL's
test_<name>_gwN."""

import os
import re

worker = os.environ.get("PYTEST_XDIST_WORKER", "")
broker = os.environ.get("CELERY_BROKER_URL", "")
if worker.startswith("gw") and broker:
    number = int(worker[2:]) + 1
    os.environ["CELERY_BROKER_URL"] = (re.sub(r"/(\d+)$", lambda m: f"/{int(m[1]) + number}", broker)
                                       if re.search(r"/\d+$", broker) else f"{broker.rstrip('/')}/{number}")
