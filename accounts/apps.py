from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Innlogging og varsler"

    def ready(self):
        from accounts import checks, signals  # noqa: F401 - checks registers itself

        signals.connect()
