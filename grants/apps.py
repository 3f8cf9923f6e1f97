from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Tilskudd og utbetalinger"

    def ready(self):
        from grants import selectors, signals
        from practices import selectors as practices_selectors
        from practices.services import list_import

        list_import.CLOSED_MONTH_CHECKS.append(signals.closed_months)
        practices_selectors.DOCTOR_APPEARANCES.append(selectors.doctor_case_municipalities)
        practices_selectors.IMPORT_RECOMPUTE.append(selectors.import_recompute)
