"""The supervision requirement table shipped by the data migration (docs/alis.md, docs/alis.md).

Used by the migration and by the test suite after transactional tests flush the database."""

from datetime import date
from decimal import Decimal

from alis import rules

# (valid_from, kind, hours, per, span_years, status, source)
SHIPPED_REQUIREMENTS = (
    (date(2017, 1, 1), rules.GRUPPE, Decimal("120"), rules.PER_TOTALT, 2, rules.BEKREFTET,
     "Legeforeningen, «Deltakere i veiledningsgrupper for allmennmedisin»: to år i veiledningsgruppe, "
     "120 timer totalt (3 timer annenhver uke eller 6 timer hver fjerde uke). Fra 2017 (ALIS-Vest)."),
    (date(2017, 1, 1), rules.INDIVIDUELL, Decimal("4"), rules.PER_MAANED, None, rules.ESTIMAT,
     "Anslag: ingen kilde for individuell veiledning per måned er funnet; 4 timer per måned er antatt."),
    (date(2021, 1, 1), rules.INDIVIDUELL, Decimal("5.5"), rules.PER_MAANED, None, rules.ESTIMAT,
     "Anslag: 4 + 1,5 timer, handlingsplanens «veiledning økes med 1,5 timer i 2021» (ikke bekreftet av "
     "annen kilde)."),
)


def load_requirements(requirement_model) -> None:
    """Insert the shipped rows that are missing; rows edited by superusers are left as they are."""
    existing = set(requirement_model.objects.values_list("kind", "valid_from"))
    requirement_model.objects.bulk_create([
        requirement_model(valid_from=valid_from, kind=kind, hours=hours, per=per, span_years=span, status=status,
                          source=source)
        for valid_from, kind, hours, per, span, status, source in SHIPPED_REQUIREMENTS
        if (kind, valid_from) not in existing
    ])
