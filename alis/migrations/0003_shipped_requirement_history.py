"""A first history record for every supervision requirement row that has none (the shipped rows were loaded
without history), so that the first change of a row in the admin keeps the old value."""

from django.db import migrations

from core.history import record_shipped_history


def record(apps, schema_editor):
    record_shipped_history(apps.get_model("alis", "SupervisionRequirement"),
                           apps.get_model("alis", "HistoricalSupervisionRequirement"))


class Migration(migrations.Migration):
    dependencies = [("alis", "0002_load_requirements")]
    operations = [migrations.RunPython(record, migrations.RunPython.noop)]
