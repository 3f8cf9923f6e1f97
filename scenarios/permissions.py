"""Who may see and make scenarios (docs/architecture.md "scenarios (Hva om): ✔ ✔ ✔ (read)"), as (allowed, reason).

- See a scenario or a run: every municipality of its scope is one of the user's (any role); a national
  scenario only a superuser. Otherwise the object is a 404 (selectors.scenarios_for).
- Create one, and start a computation of it: administrator or caseworker in every municipality of the scope
  (a superuser anywhere, and for the whole country). Auditors read and export only.
- Change or delete one: its creator (or a superuser), while still allowed to create for its scope; others copy.
"""

from django.utils.translation import gettext as _

from practices.models import Role
from practices.selectors import has_role, municipalities_for

CREATE_ROLES = (Role.ADMINISTRATOR, Role.CASEWORKER)
Result = tuple[bool, str]


def can_create_any(user) -> Result:
    if user.is_superuser or municipalities_for(user, roles=CREATE_ROLES).exists():
        return True, ""
    return False, _("Bare kommuneadministratorer og saksbehandlere kan lage scenarioer. Som revisor kan du se og "
                    "eksportere dem.")


def can_create(user, municipalities, *, all_municipalities: bool = False) -> Result:
    """For this scope: a role that may plan in every municipality of it."""
    if user.is_superuser:
        return True, ""
    if all_municipalities:
        return False, _("Bare superbrukere kan lage scenarioer for hele landet.")
    for municipality in municipalities:
        if not any(has_role(user, municipality, role) for role in CREATE_ROLES):
            return False, _("Bare kommuneadministratorer og saksbehandlere i %(kommune)s kan lage og beregne "
                            "scenarioer for kommunen.") % {"kommune": municipality}
    return True, ""


def can_run(user, scenario) -> Result:
    return can_create(user, scenario.municipalities.all(), all_municipalities=scenario.all_municipalities)


def can_change(user, scenario) -> Result:
    if not user.is_superuser and scenario.created_by_id != user.pk:
        return False, _("Bare den som laget scenarioet, kan endre eller slette det. Kopier det for å lage ditt "
                        "eget.")
    return can_run(user, scenario)
