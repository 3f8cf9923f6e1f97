"""Demo data for `make run` (idempotent). Users get a known password, printed by `load_demo`."""

from datetime import date
from pathlib import Path

from core.months import add_months, format_month
from practices.models import Municipality, Role
from practices.services import user_upsert
from practices.services.list_import import import_file

DEMO_PASSWORD = "demo-fastlege-2020"
DEMO_MUNICIPALITIES = ("0301", "4601", "5001", "1804")

# (username, full name, [(kommunenummer, role)], superuser)
DEMO_USERS = (
    ("admin", "Systemadministrator", [], True),
    ("kari.admin", "Kari Nordmann", [("0301", Role.ADMINISTRATOR), ("4601", Role.ADMINISTRATOR)], False),
    ("ola.saksbehandler", "Ola Hansen", [("0301", Role.CASEWORKER), ("4601", Role.CASEWORKER)], False),
    ("siri.saksbehandler", "Siri Berg", [("0301", Role.CASEWORKER), ("4601", Role.CASEWORKER)], False),
    ("rita.revisor", "Rita Revisor", [("0301", Role.AUDITOR), ("4601", Role.AUDITOR)], False),
    ("trond.admin", "Trond Lie", [("5001", Role.ADMINISTRATOR), ("1804", Role.ADMINISTRATOR)], False),
    ("tone.saksbehandler", "Tone Dahl", [("5001", Role.CASEWORKER), ("1804", Role.CASEWORKER)], False),
)


def load_users():
    municipalities = {m.kommunenummer: m for m in Municipality.objects.filter(kommunenummer__in=DEMO_MUNICIPALITIES)}
    users = []
    for username, full_name, memberships, superuser in DEMO_USERS:
        user, _ = user_upsert(username=username, password=DEMO_PASSWORD, superuser=superuser)
        first, _, last = full_name.partition(" ")
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
        for kommunenummer, role in memberships:
            user_upsert(username=username, password=DEMO_PASSWORD, municipality=municipalities[kommunenummer],
                        role=role, superuser=superuser)
        roles = ", ".join(f"{role} {knr}" for knr, role in memberships) or "superbruker"
        users.append((username, roles))
    return users


DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_lister.csv"


def demo_list_csv(first=date(2020, 1, 1), months=30) -> bytes:
    """The 16 sample lists (practices/data/demo_lister.csv, the project's sample file) over `months` months from
    `first`: each list drifts deterministically from its first sample count, so charts have a shape."""
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line.split(";") for line in lines[1:]]
    first_row = {}
    for row in rows:
        first_row.setdefault((row[0], row[5]), row)
    out = [header]
    for (_knr, listenummer), row in sorted(first_row.items()):
        base = int(row[7])
        step = (int(listenummer) % 7) - 3  # -3..+3 patients a month
        for index in range(months):
            month = add_months(first, index)
            patients = max(0, base + step * index * 4 + (index % 3) * 5)
            out.append(";".join([*row[:7], str(patients), format_month(month)]))
    return ("\n".join(out) + "\n").encode()


def load_lists():
    """Import the demo lists through the product's own import (idempotent: a re-run changes nothing)."""
    return import_file(user=None, data=demo_list_csv(), filename="demo_lister.csv", dry_run=False,
                       source="cli")
