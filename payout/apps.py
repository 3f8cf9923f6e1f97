from django.apps import AppConfig


class PayoutConfig(AppConfig):
    name = "payout"
    verbose_name = "Utbetaling til bank og regnskap"
