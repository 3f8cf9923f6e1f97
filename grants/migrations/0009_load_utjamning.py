"""Ship the utjamningstilskudd parameter rows of docs/rates.md (2023-07-01 and 2024-07-01, both `estimat`) with a
first history record each, so the first change in the admin keeps the shipped value."""

from django.db import migrations

from core.history import record_shipped_history
from grants.reference import load_utjamning


def load(apps, schema_editor):
    model = apps.get_model("grants", "UtjamningParameter")
    load_utjamning(model)
    record_shipped_history(model, apps.get_model("grants", "HistoricalUtjamningParameter"))


class Migration(migrations.Migration):
    dependencies = [("grants", "0008_utjamning")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
