"""Reference data of the grants app: the rate rows of docs/rates.md and the Celery beat schedules (§8).

Used by the data migrations and by the test suite after transactional tests flush the database."""

from grants.rules import SHIPPED_RATE_SOURCES, SHIPPED_RATES, SHIPPED_UTJAMNING, SHIPPED_UTJAMNING_SOURCES

# name → (task, crontab minute, hour): times in Europe/Oslo.
SCHEDULES = {
    "Nattlig omberegning av inneværende måned": ("grants.tasks.recompute_current_month", "15", "2"),
    "Daglig utløp av tilskudd og avtaler": ("grants.tasks.expire_eligibility_today", "30", "1"),
}


def load_rates(rate_model) -> None:
    """Insert the shipped rows that are missing; rows edited by superusers are left as they are."""
    existing = set(rate_model.objects.values_list("valid_from", flat=True))
    rate_model.objects.bulk_create([
        rate_model(valid_from=rate.valid_from, model=rate.model, knekkpunkt=rate.knekkpunkt,
                   rate_under=rate.rate_under, rate_over=rate.rate_over, paid_up_to=rate.paid_up_to,
                   method=rate.method, status=rate.status, source=SHIPPED_RATE_SOURCES[rate.valid_from])
        for rate in SHIPPED_RATES if rate.valid_from not in existing
    ])


def load_utjamning(parameter_model) -> None:
    """Insert the shipped utjamningstilskudd rows that are missing (docs/rates.md); edited rows are left alone."""
    existing = set(parameter_model.objects.values_list("valid_from", flat=True))
    parameter_model.objects.bulk_create([
        parameter_model(valid_from=row.valid_from, reference=row.reference, population_limit=row.population_limit,
                        annual_rate=row.annual_rate, status=row.status,
                        source=SHIPPED_UTJAMNING_SOURCES[row.valid_from])
        for row in SHIPPED_UTJAMNING if row.valid_from not in existing
    ])


def load_schedules(periodic_task_model, crontab_model) -> None:
    for name, (task, minute, hour) in SCHEDULES.items():
        crontab, _ = crontab_model.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
            timezone="Europe/Oslo")
        periodic_task_model.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})
