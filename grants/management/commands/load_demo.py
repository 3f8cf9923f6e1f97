from django.core.management.base import BaseCommand

from alis import demo as alis_demo
from grants import demo as grants_demo
from practices import demo


class Command(BaseCommand):
    help = "Last inn demodata (idempotent) og skriv ut demobrukerne."

    def handle(self, **options):
        users = demo.load_users()
        job = demo.load_lists()
        self.stdout.write(f"Listetall: opprettet {job.created}, endret {job.changed}, uendret {job.unchanged}")
        alis_demo.load_agreements()
        grants_demo.load_payments()
        grants_demo.load_cases()
        for load in grants_demo.DEMO_LOADERS:
            message = load()
            if message:
                self.stdout.write(message)
        self.stdout.write(f"Demobrukere (passord for alle: {demo.DEMO_PASSWORD}):")
        for username, roles in users:
            self.stdout.write(f"  {username:<20} {roles}")
