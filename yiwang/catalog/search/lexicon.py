"""The lexicon editors keep (synonyms, stop words) and the dictionary the segmenter uses."""

import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from yiwang.core.text import normalize, segmenter

from ..models import LicenseType, SearchSynonym
from . import state


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    path = Path(settings.SEARCH_LEXICON_DIR) / "stopwords.txt"
    if not path.exists():
        return frozenset()
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())


def load_synonyms() -> dict[str, tuple[str, ...]]:
    return {
        normalize(term): tuple(normalize(e) for e in expansions if normalize(e))
        for term, expansions in SearchSynonym.objects.filter(active=True).values_list("term", "expansions")
    }


def dictionary_words(synonyms: dict[str, tuple[str, ...]]) -> set[str]:
    """Words jieba must keep whole: lexicon terms, their expansions and licence names."""
    words = set(synonyms)
    for expansions in synonyms.values():
        words.update(expansions)
    words.update(normalize(n) for n in LicenseType.objects.values_list("name", flat=True))
    return {w for w in words if " " not in w}


def prepare_segmenter() -> dict[str, tuple[str, ...]]:
    synonyms = load_synonyms()
    segmenter.add_words(dictionary_words(synonyms))
    return synonyms


@transaction.atomic
def synonyms_import(path: Path | str) -> int:
    """Upsert the lexicon file (data/search/synonyms.json); returns how many entries changed."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    changed = 0
    for entry in entries:
        term, expansions = entry["term"].strip(), [e.strip() for e in entry["expansions"] if e.strip()]
        obj, created = SearchSynonym.objects.get_or_create(term=term, defaults={"expansions": expansions})
        if created:
            changed += 1
        elif obj.expansions != expansions:
            obj.expansions = expansions
            obj.save()
            changed += 1
    if changed:
        state.bump()
    return changed
