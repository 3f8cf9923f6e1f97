from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Tilskudd og utbetalinger"

    def ready(self):
        from grants import signals  # noqa: F401 - connects the receivers
