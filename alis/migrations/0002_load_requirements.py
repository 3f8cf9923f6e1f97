"""Ship the supervision requirement table of docs/alis.md (docs/alis.md has the sources)."""

from django.db import migrations

from alis.reference import load_requirements


def load(apps, schema_editor):
    load_requirements(apps.get_model("alis", "SupervisionRequirement"))


class Migration(migrations.Migration):
    dependencies = [("alis", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
