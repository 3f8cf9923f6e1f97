from django.core.management.base import BaseCommand

from core.commands import acting_user, input_file, report
from practices.services.population import import_population


class Command(BaseCommand):
    help = ("Importer innbyggertall per kommune og år (kolonner kommunenummer;aar;innbyggere, SSB tabell 07459, "
            "folkemengde 1. januar). Alt eller ingenting: én feil rad gir ingen endring (docs/import.md).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="vis hva som ville skjedd, uten å lagre")
        parser.add_argument("--user", help="importer som denne brukeren (må være superbruker); uten: som systemet")

    def handle(self, file, user, dry_run, **options):
        path, account = input_file(file), acting_user(user)
        result = import_population(user=account, data=path.read_bytes(), filename=path.name, dry_run=dry_run)
        report(self, result)
