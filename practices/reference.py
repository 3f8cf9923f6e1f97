"""Reference data shipped with the product (municipalities). Used by the data migration and by the test
suite, which reloads it after transactional tests have flushed the database."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_municipalities() -> list[dict]:
    with (DATA_DIR / "kommuner.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def load_municipalities(municipality_model) -> None:
    """Insert missing municipalities and update names (idempotent; takes the model so migrations can pass theirs)."""
    rows = [
        municipality_model(kommunenummer=row["kommunenummer"], name=row["navn"], county=row["fylke"])
        for row in read_municipalities()
    ]
    municipality_model.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["kommunenummer"], update_fields=["name", "county"]
    )
