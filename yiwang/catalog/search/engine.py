"""Catalogue search. PLACEHOLDER implementation: the real engine replaces this module, same signatures."""

from dataclasses import dataclass, field


@dataclass
class Hit:
    kind: str  # "item" | "life_event"
    code: str
    title: str
    score: float
    department_code: str = ""


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)  # the requested page
    total: int = 0
    did_you_mean: str | None = None
    log_id: int | None = None


def search(query: str, *, kinds=("item", "life_event"), department=None, item_kind=None, target=None, scope=None,
           offset: int = 0, limit: int = 20, channel: str | None = "web", language: str = "") -> SearchResult:
    """Ranked search over published items and life events; logs the query unless channel is None."""
    from yiwang.catalog.models import SearchDocument, SearchLog

    qs = SearchDocument.objects.filter(title__icontains=query.strip(), kind__in=kinds)
    if department:
        qs = qs.filter(department_code=department)
    hits = [Hit(d.kind, d.ref_code, d.title, 1.0, d.department_code) for d in qs]
    log_id = None
    if channel:
        log_id = SearchLog.objects.create(query=query, normalized=query.strip(), result_count=len(hits),
                                          channel=channel, language=language).id
    return SearchResult(query=query, hits=hits[offset:offset + limit], total=len(hits), log_id=log_id)


def suggest(prefix: str, *, limit: int = 8) -> list[Hit]:
    return search(prefix, limit=limit, channel=None).hits


def record_click(*, log_id: int, kind: str, code: str, rank: int) -> None:
    from django.utils import timezone

    from yiwang.catalog.models import SearchLog

    SearchLog.objects.filter(pk=log_id, clicked_at__isnull=True).update(
        clicked_kind=kind, clicked_code=code, clicked_rank=rank, clicked_at=timezone.now())
