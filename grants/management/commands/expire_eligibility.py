from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.terminal import progress_bar
from grants.services.expiry import expire_eligibility


class Command(BaseCommand):
    help = ("Merk tilskudd og ALIS-avtaler som er over som utløpt/fullført, og send varsler "
            "(trygt å kjøre flere ganger).")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="ÅÅÅÅ-MM-DD (standard: dagens dato i Europe/Oslo)")

    def handle(self, today, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError:
                raise CommandError("--today må skrives som ÅÅÅÅ-MM-DD, for eksempel 2022-06-01.")
        else:
            today = timezone.localdate()
        with progress_bar(self, {"expiry": "Går gjennom saker og avtaler"}):
            result = expire_eligibility(today=today)
        self.stdout.write(f"{today:%Y-%m-%d}: utløpt grunntilskudd {result['grunntilskudd']}, "
                          f"introduksjonsavtaler {result['introduksjonsavtaler']}, ALIS fullført {result['alis']}, "
                          f"varsler {result['varsler']}, månedsvarsler {result['maanedsvarsler']}")
