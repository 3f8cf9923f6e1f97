"""The one write path for municipalities' populations (docs/import.md, «Innbyggertall»): the superuser page, the admin
form's service and `import_population` all come here. Only superusers (or the system, a command without --user)
write; every change is kept in the history, and the payments app recomputes the year's months once it commits."""


from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.workflow import Forbidden, ServiceError
from practices import population as parsing
from practices.importing import FileImport, FileRejected
from practices.models import POPULATION_SOURCE, Municipality, Population
from practices.services.list_import import import_context
from practices.signals import population_changed

REASON_CREATED, REASON_CHANGED = "Registrert", "Endret"


def _require_superuser(user) -> None:
    if user is not None and not user.is_superuser:
        raise Forbidden(_("Bare superbrukere kan registrere innbyggertall."))


def _announce(changes: set[tuple[int, int]]) -> None:
    if changes:
        transaction.on_commit(lambda: population_changed.send(sender=Population, changes=sorted(changes)))


@transaction.atomic
def save_population(*, user, municipality: Municipality, year: int, inhabitants: int) -> Population:
    """Enter or correct one municipality's inhabitants on 1 January of `year` (superusers); unchanged → no write."""
    _require_superuser(user)
    errors = {}
    if not parsing.YEARS[0] <= year <= parsing.YEARS[1]:
        errors["year"] = _("År må være fra %(first)s til %(last)s.") % {"first": parsing.YEARS[0],
                                                                          "last": parsing.YEARS[1]}
    if not 0 <= inhabitants <= parsing.MAX_INHABITANTS:
        errors["inhabitants"] = _("Innbyggere må være fra 0 til %(max)s.") % {"max": parsing.MAX_INHABITANTS}
    if errors:
        raise ServiceError(errors=errors)
    stored = Population.objects.select_for_update().filter(municipality=municipality, year=year).first()
    if stored is not None and stored.inhabitants == inhabitants:
        return stored
    target = stored or Population(municipality=municipality, year=year, source=POPULATION_SOURCE)
    target.inhabitants = inhabitants
    target._change_reason = REASON_CHANGED if stored else REASON_CREATED
    target._history_user = user
    target.full_clean()
    target.save()
    _announce({(municipality.pk, year)})
    return target


PopulationImport = FileImport


def import_population(*, user, data: bytes, filename: str = "", dry_run: bool = False) -> PopulationImport:
    """Import a population file (`kommunenummer;aar;innbyggere`, SSB table 07459) under the file rules of
    docs/import.md: all or nothing, every row error reported at once. Without a user as the system; a user must be a
    superuser."""
    result = PopulationImport()
    try:
        _require_superuser(user)
    except Forbidden as error:
        result.message = str(error)
        return result
    try:
        parsed = parsing.parse_population_file(data, import_context(None))
    except FileRejected as error:
        result.message = str(error)
        return result
    result.warnings = parsed.warnings
    if parsed.errors:
        result.errors = sorted(parsed.errors, key=lambda error: (
            error.row, parsing.COLUMNS.index(error.column) if error.column in parsing.COLUMNS else -1))
        return result
    with transaction.atomic():
        _apply(result, parsed.rows, user)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _apply(result: PopulationImport, rows: list[parsing.PopulationRow], user) -> None:
    """Diff against the stored figures (one query) and write in bulk, with history."""
    municipalities = dict(Municipality.objects.filter(kommunenummer__in={row.kommunenummer for row in rows})
                          .values_list("kommunenummer", "pk"))
    stored = {(p.municipality_id, p.year): p for p in Population.objects.select_for_update().filter(
        municipality__in=municipalities.values(), year__in={row.year for row in rows})}
    new, changed = [], []
    for row in rows:
        key = (municipalities[row.kommunenummer], row.year)
        current = stored.get(key)
        if current is None:
            new.append(Population(municipality_id=key[0], year=row.year, inhabitants=row.inhabitants,
                                  source=POPULATION_SOURCE))
        elif current.inhabitants != row.inhabitants:
            current.inhabitants = row.inhabitants
            changed.append(current)
        else:
            result.unchanged += 1
    result.created, result.changed = len(new), len(changed)
    if new:
        bulk_create_with_history(new, Population, default_user=user, default_change_reason="Importert")
    if changed:
        bulk_update_with_history(changed, Population, ["inhabitants"], default_user=user,
                                 default_change_reason="Endret ved import")
    _announce({(p.municipality_id, p.year) for p in new + changed})
