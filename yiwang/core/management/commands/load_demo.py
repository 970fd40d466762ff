"""Load the demo platform: the catalogue, the search lexicon and the demo accounts. Idempotent."""

from django.core.management.base import BaseCommand

from yiwang.catalog.demo import load_demo_catalog
from yiwang.identity.demo import create_demo_accounts


class Command(BaseCommand):
    help = "Load demo data: catalogue, search lexicon and demo accounts (a second run keeps what is there)."

    def handle(self, *args, **options):
        report, lexicon_changed = load_demo_catalog()
        created = create_demo_accounts()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {report.summary()}; lexicon entries changed: {lexicon_changed}; "
            f"accounts created: {len(created)}"
        ))
