"""Ship the rate rows of docs/rates.md and the beat schedules of §8 (Europe/Oslo)."""

from django.db import migrations

from grants.reference import load_rates, load_schedules


def load(apps, schema_editor):
    load_rates(apps.get_model("grants", "RateSchedule"))
    load_schedules(apps.get_model("django_celery_beat", "PeriodicTask"),
                   apps.get_model("django_celery_beat", "CrontabSchedule"))


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
