from django.apps import AppConfig


class AlisConfig(AppConfig):
    name = "alis"
    verbose_name = "ALIS"

    def ready(self):
        from alis import selectors
        from practices import selectors as practices_selectors

        practices_selectors.DOCTOR_APPEARANCES.append(selectors.doctor_agreement_municipalities)
