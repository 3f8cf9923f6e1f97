from django.apps import AppConfig


class PayoutConfig(AppConfig):
    name = "payout"
    verbose_name = "Utbetaling til bank og regnskap"

    def ready(self):
        from grants import demo as grants_demo
        from payout import demo, statement_views
        from practices import selectors as practices_selectors

        practices_selectors.DOCTOR_DOCUMENTS.append(statement_views.doctor_statement_links)
        grants_demo.DEMO_LOADERS.append(demo.load_payees)

        from grants import views as grants_views
        from payout import payment_views

        grants_views.PAYMENT_MONTH_SECTIONS.append(payment_views.month_section)
