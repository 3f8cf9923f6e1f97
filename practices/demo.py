"""Demo data for `make run` (idempotent). Users get a known password, printed by `load_demo`."""

from practices.models import Municipality, Role
from practices.services import user_upsert

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
