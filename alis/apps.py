from django.apps import AppConfig


class AlisConfig(AppConfig):
    name = "alis"
    verbose_name = "ALIS"
