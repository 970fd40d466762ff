"""Builds SearchDocuments from published items and life events, and keeps the vocabulary's counts.

A document's `weights` maps each token to the weight of the most important field it occurs in, so
a word in the item's name counts more than the same word in a condition.
"""

import threading
from collections import Counter

from django.db import connection, transaction

from yiwang.core.text import chunks, has_han, initials, normalize, pinyin, segmenter

from ..constants import VersionStatus
from ..models import LifeEvent, SearchDocument, SearchPosting, SearchTerm, ServiceItemVersion
from ..summaries import item_summary
from . import lexicon, state

TITLE, KEYWORD, OUTPUT, DEPARTMENT, BODY = 3.0, 2.0, 1.5, 1.0, 0.5
MAX_TERM_LENGTH = 60


def tokenize(text: str) -> list[str]:
    stop = lexicon.stopwords()
    out = []
    for chunk in chunks(normalize(text)):
        parts = segmenter.cut(chunk) if has_han(chunk) else [chunk]
        out.extend(p for p in parts if p not in stop and len(p) <= MAX_TERM_LENGTH)
    return out


def weigh(fields: list[tuple[float, str]]) -> dict[str, float]:
    weights: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for weight, text in fields:
        for token in tokenize(text):
            counts[token] += 1
            weights[token] = max(weights.get(token, 0.0), weight)
    # A little credit for repetition, capped so long texts don't win by volume.
    return {t: round(w + 0.25 * min(counts[t] - 1, 2), 2) for t, w in weights.items()}


def _item_fields(version: ServiceItemVersion) -> list[tuple[float, str]]:
    fields = [(TITLE, version.name), (DEPARTMENT, version.department.name), (BODY, version.kind.label)]
    fields += [(KEYWORD, k) for k in version.keywords]
    fields += [(KEYWORD, e.name) for e in version.item.life_events.all()]
    fields += [(OUTPUT, o.name) for o in version.outputs.all()]
    fields += [(BODY, c) for c in version.conditions]
    fields += [(BODY, m.name) for m in version.materials.all()]
    return fields


def _document_values(kind: str, code: str, title: str, fields, **extra) -> dict:
    weights = weigh(fields)
    return {
        "kind": kind, "ref_code": code, "title": title,
        "title_pinyin": pinyin(title)[:600], "title_initials": initials(title)[:200],
        "tokens": " ".join(sorted(weights)), "weights": weights, **extra,
    }


def _save(documents: list[dict], stale: list[tuple[str, str]]) -> None:
    """Upsert documents, delete stale ones, and move the vocabulary's document frequencies."""
    delta: Counter[str] = Counter()
    keys = [(d["kind"], d["ref_code"]) for d in documents] + stale
    existing = {}
    for kind in {k for k, _ in keys}:
        codes = [c for k, c in keys if k == kind]
        for doc in SearchDocument.objects.filter(kind=kind, ref_code__in=codes):
            existing[(doc.kind, doc.ref_code)] = doc
    removed, written = [], []
    for key in stale:
        doc = existing.get(key)
        if doc:
            delta.subtract(doc.weights.keys())
            removed.append(doc.pk)
            doc.delete()
    for values in documents:
        doc = existing.get((values["kind"], values["ref_code"]))
        if doc:
            delta.subtract(doc.weights.keys())
            for field, value in values.items():
                setattr(doc, field, value)
            doc.save()
        else:
            doc = SearchDocument.objects.create(**values)
        written.append((doc.pk, values["weights"]))
        delta.update(values["weights"].keys())
    _write_postings(written)
    _apply_df(delta)
    state.bump()


def _write_postings(written: list[tuple[int, dict[str, float]]]) -> None:
    """Replace the postings of the written documents (a deleted document's go with it)."""
    if not written:
        return
    SearchPosting.objects.filter(document_id__in=[pk for pk, _ in written]).delete()
    SearchPosting.objects.bulk_create(
        [SearchPosting(document_id=pk, term=term[:100], weight=weight)
         for pk, weights in written for term, weight in weights.items()],
        batch_size=2000,
    )


def _apply_df(delta: Counter) -> None:
    delta = Counter({t: n for t, n in delta.items() if n})
    if not delta:
        return
    terms = list(delta)
    rows = {}
    for start in range(0, len(terms), 500):
        rows.update({t.term: t for t in SearchTerm.objects.filter(term__in=terms[start:start + 500])})
    changed, new = [], []
    for term, n in delta.items():
        if term in rows:
            rows[term].df = max(rows[term].df + n, 0)
            changed.append(rows[term])
        elif n > 0:
            new.append(SearchTerm(term=term, df=n, pinyin=pinyin(term)[:240], initials=initials(term)[:60]))
    SearchTerm.objects.bulk_update(changed, ["df"], batch_size=500)
    SearchTerm.objects.bulk_create(new, batch_size=500)
    SearchTerm.objects.filter(df=0).delete()


@transaction.atomic
def index_items(codes) -> None:
    codes = list(codes)
    if not codes:
        return
    lexicon.prepare_segmenter()
    versions = {
        v.item.code: v
        for v in ServiceItemVersion.objects.filter(item__code__in=codes, status=VersionStatus.PUBLISHED)
        .select_related("item", "department", "kind", "scope", "case_kind")
        .prefetch_related("targets", "outputs", "materials", "item__life_events")
    }
    documents = [
        _document_values(
            SearchDocument.Kind.ITEM, code, v.name, _item_fields(v),
            department_code=v.department.code, item_kind=v.kind.value,
            targets="|".join(t.label for t in v.targets.all()), scope=v.scope.label,
            popularity=v.item.popularity, summary=item_summary(v),
        )
        for code, v in versions.items()
    ]
    stale = [(SearchDocument.Kind.ITEM, c) for c in codes if c not in versions]
    _save(documents, stale)


@transaction.atomic
def index_life_events(codes) -> None:
    codes = list(codes)
    if not codes:
        return
    lexicon.prepare_segmenter()
    events = {
        e.code: e
        for e in LifeEvent.objects.filter(code__in=codes, published=True).prefetch_related(
            "targets", "entries__item__current_version__department")
    }
    documents = []
    for code, event in events.items():
        versions = [entry.item.current_version for entry in event.entries.all() if entry.item.current_version]
        fields = [(TITLE, event.name), (OUTPUT, event.description)]
        fields += [(DEPARTMENT, v.name) for v in versions]
        lead = versions[0].department.code if versions else ""
        targets = [t.label for t in event.targets.all()]
        documents.append(_document_values(
            SearchDocument.Kind.LIFE_EVENT, code, event.name, fields, department_code=lead,
            targets="|".join(targets), popularity=event.popularity,
            summary={"code": code, "name": event.name, "description": event.description, "targets": targets,
                     "item_count": len(versions)},
        ))
    stale = [(SearchDocument.Kind.LIFE_EVENT, c) for c in codes if c not in events]
    _save(documents, stale)


def rebuild_index(*, batch_size: int = 500, progress=None) -> int:
    """Reindex everything (after a lexicon change). Returns the number of documents."""
    from ..models import ServiceItem

    item_codes = list(ServiceItem.objects.order_by("code").values_list("code", flat=True))
    event_codes = list(LifeEvent.objects.order_by("code").values_list("code", flat=True))
    gone = list(SearchDocument.objects.exclude(kind=SearchDocument.Kind.ITEM, ref_code__in=item_codes)
                .exclude(kind=SearchDocument.Kind.LIFE_EVENT, ref_code__in=event_codes)
                .values_list("kind", "ref_code"))
    with transaction.atomic():
        _save([], gone)
    for start in range(0, len(item_codes), batch_size):
        index_items(item_codes[start:start + batch_size])
        if progress:
            progress(min(start + batch_size, len(item_codes)))
    index_life_events(event_codes)
    _refresh_statistics()
    return SearchDocument.objects.count()


def _refresh_statistics() -> None:
    """After a bulk rewrite of the postings, give PostgreSQL's planner fresh statistics and (outside a
    transaction) a fresh visibility map, so candidates are read by index-only scans."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_searchposting" if not connection.in_atomic_block
                       else "ANALYZE catalog_searchposting")


_local = threading.local()


def schedule(*, item_codes=(), life_event_codes=()) -> None:
    """Reindex after the current transaction commits, once per transaction however many calls.

    An import of thousands of items then indexes them in one pass instead of one by one.
    """
    pending = getattr(_local, "pending", None)
    if pending is not None and not any(func is _flush for _sids, func, _robust in connection.run_on_commit):
        pending = None  # the transaction that registered it was rolled back
    if pending is None:
        pending = _local.pending = (set(), set())
        pending[0].update(item_codes)
        pending[1].update(life_event_codes)
        transaction.on_commit(_flush)
        return
    pending[0].update(item_codes)
    pending[1].update(life_event_codes)


def _flush() -> None:
    items, events = getattr(_local, "pending", None) or ((), ())
    _local.pending = None
    for start in range(0, len(items), 500):
        index_items(sorted(items)[start:start + 500])
    index_life_events(sorted(events))
