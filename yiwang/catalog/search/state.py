"""The shared index version: bumped on every index or lexicon change, polled by each process."""

from django.db import transaction
from django.db.models import F

from ..models import SearchIndexState


def bump() -> None:
    def run():
        updated = SearchIndexState.objects.filter(pk=1).update(version=F("version") + 1)
        if not updated:
            SearchIndexState.objects.get_or_create(pk=1, defaults={"version": 1})

    transaction.on_commit(run)


def current() -> int:
    return SearchIndexState.objects.filter(pk=1).values_list("version", flat=True).first() or 0
