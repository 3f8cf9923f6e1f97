from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "practices"
    verbose_name = "Legekontor og lister"

    def ready(self):
        from core import tokens

        tokens.connect()  # API tokens end at logout, lock-out and deactivation (memberships and users live here)
