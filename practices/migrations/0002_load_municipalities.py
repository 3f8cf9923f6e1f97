"""Load all municipalities (2024: 357) from practices/data/kommuner.csv (source: kommuner.SOURCE.txt)."""

from django.db import migrations

from practices.reference import load_municipalities


def load(apps, schema_editor):
    load_municipalities(apps.get_model("practices", "Municipality"))


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
