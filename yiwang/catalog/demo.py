"""The demo catalogue: the search lexicon first (documents are segmented with its words), then the data."""

from django.conf import settings

from .importing import import_directory
from .search import lexicon
from .search.indexing import rebuild_index


def load_demo_catalog(*, progress: bool = False):
    lexicon_changed = lexicon.synonyms_import(settings.SEARCH_LEXICON_DIR / "synonyms.json")
    report = import_directory(settings.CATALOG_DEMO_DIR, progress=progress)
    if lexicon_changed:
        rebuild_index()
    return report, lexicon_changed
