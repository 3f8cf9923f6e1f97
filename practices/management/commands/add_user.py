from django.core.management.base import BaseCommand, CommandError

from practices.models import Municipality, Role
from practices.services import user_upsert


class Command(BaseCommand):
    help = "Opprett en bruker eller sett nytt passord, og legg til medlemskap i en kommune (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--municipality", help="kommunenummer, for eksempel 0301")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--superuser", action="store_true")

    def handle(self, username, password, municipality, role, superuser, **options):
        if bool(municipality) != bool(role):
            raise CommandError("--municipality og --role må oppgis sammen.")
        target = None
        if municipality:
            target = Municipality.objects.filter(kommunenummer=municipality.zfill(4)).first()
            if target is None:
                raise CommandError(f"Ukjent kommunenummer: {municipality}")
        user, created = user_upsert(username=username, password=password, superuser=superuser,
                                    municipality=target, role=role)
        what = "opprettet" if created else "oppdatert"
        extra = f", {role} i {target}" if target else ""
        self.stdout.write(f"Bruker {user.username} {what}{extra}")
