from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Tilskudd og utbetalinger"

    def ready(self):
        from grants import signals
        from practices.services import list_import

        list_import.CLOSED_MONTH_CHECKS.append(signals.closed_months)
