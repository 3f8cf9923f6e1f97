"""A first history record for every rate row that has none (the shipped rows were loaded without history), so
that the first change of a rate in the admin keeps the old value."""

from django.db import migrations

from core.history import record_shipped_history


def record(apps, schema_editor):
    record_shipped_history(apps.get_model("grants", "RateSchedule"), apps.get_model("grants", "HistoricalRateSchedule"))


class Migration(migrations.Migration):
    dependencies = [("grants", "0004_alter_grunntilskuddapplication_avtale_fra_and_more")]
    operations = [migrations.RunPython(record, migrations.RunPython.noop)]
