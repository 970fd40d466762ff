"""Load the demo platform: the catalogue, the search lexicon and the demo accounts. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from yiwang.catalog.importing import import_directory
from yiwang.catalog.search import lexicon
from yiwang.catalog.search.indexing import rebuild_index
from yiwang.identity.demo import create_demo_accounts


class Command(BaseCommand):
    help = "Load demo data: catalogue, search lexicon and demo accounts (a second run keeps what is there)."

    def handle(self, *args, **options):
        lexicon_changed = lexicon.synonyms_import(settings.SEARCH_LEXICON_DIR / "synonyms.json")
        report = import_directory(settings.CATALOG_DEMO_DIR, progress=False)
        if lexicon_changed:
            # Documents must be segmented with the lexicon's words.
            rebuild_index()
        created = create_demo_accounts()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {report.summary()}; lexicon entries changed: {lexicon_changed}; "
            f"accounts created: {len(created)}"
        ))
