"""Catalogue search that understands how citizens write.

A query is turned into *concepts* (each word the person typed, with the official words it may
stand for: synonyms from the lexicon, homophones by pinyin, pinyin and initials typed in Latin
letters, near-misses). The database's full-text index (FTS5 / tsvector) finds candidate documents
that contain any of those words; the scorer below ranks them identically on every database:
the more concepts a document covers, in the more important fields, with rarer words, the higher.
"""

import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from yiwang.core.text import chunks, has_han, initials, normalize, pinyin, segmenter

from ..constants import ITEM_KIND
from ..models import SearchDocument, SearchLog, SearchTerm
from . import lexicon, logbuffer, state

MAX_QUERY_LENGTH = 100
CANDIDATE_LIMIT = 1000
LIFE_EVENT_BOOST = 1.25
TITLE_PHRASE_BOOST = 1.4
RELOAD_CHECK_SECONDS = 2.0
RESULT_CACHE_SIZE = 4096
# Words in more than this share of documents don't narrow the candidates; they still score.
COMMON_TERM_SHARE = 0.3


@dataclass
class Hit:
    kind: str  # "item" | "life_event"
    code: str
    title: str
    score: float
    department_code: str = ""
    summary: dict | None = None  # filled in for the hits of the requested page


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)  # the requested page
    total: int = 0
    did_you_mean: str | None = None
    log_id: int | None = None


@dataclass
class Concept:
    text: str
    terms: dict[str, float]  # term → how much it stands for what was typed


class _Vocabulary:
    """Per-process snapshot of the vocabulary and lexicon, reloaded when the index version moves."""

    def __init__(self):
        self.version = -1
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.df: dict[str, int] = {}
        self.documents = 0
        self.synonyms: dict[str, tuple[str, ...]] = {}
        self.by_pinyin: dict[str, list[str]] = {}
        self.by_initials: dict[str, list[str]] = {}
        self.pinyin_keys: list[str] = []
        self.by_affix: dict[str, list[str]] = {}
        # Ranked lists and result summaries of this index version: people repeat the same queries.
        self.results: OrderedDict[tuple, list[Hit]] = OrderedDict()
        self.summaries: dict[tuple[str, str], dict | None] = {}
        # document id → (kind, ref_code, title, department_code, popularity): what scoring needs.
        self.documents_cache: dict[int, tuple] = {}
        self.life_event_ids: frozenset[int] = frozenset()

    def fresh(self) -> "_Vocabulary":
        now = time.monotonic()
        if now - self.checked_at < RELOAD_CHECK_SECONDS and self.version >= 0:
            return self
        version = state.current()
        self.checked_at = now
        if version != self.version:
            with self.lock:
                self._load(version)
        return self

    def _load(self, version: int) -> None:
        self.synonyms = lexicon.prepare_segmenter()
        self.df = dict(SearchTerm.objects.values_list("term", "df"))
        self.documents = SearchDocument.objects.count()
        by_pinyin: dict[str, list[str]] = {}
        by_initials: dict[str, list[str]] = {}
        rows = list(SearchTerm.objects.filter(term__regex=r"^.{2,}$").values_list("term", "pinyin", "initials"))
        rows += [(t, pinyin(t), initials(t)) for t in self.synonyms if t not in self.df]
        for term, py, ini in rows:
            if not has_han(term):
                continue
            by_pinyin.setdefault(py, []).append(term)
            by_initials.setdefault(ini, []).append(term)
        by_affix: dict[str, list[str]] = {}
        for term in sorted(self.df, key=lambda t: (-self.df[t], t)):
            if 2 <= len(term) <= 6 and has_han(term):
                for char in {term[0], term[-1]}:
                    if len(by_affix.setdefault(char, [])) < 8:
                        by_affix[char].append(term)
        self.by_pinyin, self.by_initials, self.by_affix = by_pinyin, by_initials, by_affix
        self.pinyin_keys = list(by_pinyin)
        self.results = OrderedDict()
        self.summaries = {}
        self.documents_cache = {}
        self.life_event_ids = frozenset(
            SearchDocument.objects.filter(kind=SearchDocument.Kind.LIFE_EVENT).values_list("pk", flat=True))
        self.version = version

    def documents_by_id(self, ids) -> dict[int, tuple]:
        cache = self.documents_cache
        missing = [pk for pk in ids if pk not in cache]
        if missing:
            for row in SearchDocument.objects.filter(pk__in=missing).values_list(
                    "pk", "kind", "ref_code", "title", "department_code", "popularity"):
                cache[row[0]] = row[1:]
        return cache

    def known(self, term: str) -> bool:
        return term in self.df or term in self.synonyms

    def idf(self, term: str) -> float:
        return math.log(1 + (self.documents + 1) / (self.df.get(term, 0) + 1))

    def best_by_df(self, terms: list[str], limit: int = 3) -> list[str]:
        return sorted(terms, key=lambda t: (-self.df.get(t, 0), t))[:limit]


_vocabulary = _Vocabulary()


def _expand(terms: dict[str, float], term: str, weight: float, vocab: _Vocabulary) -> None:
    if weight > terms.get(term, 0):
        terms[term] = weight
    for expansion in vocab.synonyms.get(term, ()):
        if weight * 0.9 > terms.get(expansion, 0):
            terms[expansion] = weight * 0.9


def _latin_concept(word: str, vocab: _Vocabulary) -> Concept | None:
    terms: dict[str, float] = {}
    if vocab.known(word):  # e.g. "ktv"
        _expand(terms, word, 1.0, vocab)
    for term in vocab.best_by_df(vocab.by_pinyin.get(word, [])):
        _expand(terms, term, 0.95, vocab)
    if len(word) >= 2:
        for term in vocab.best_by_df(vocab.by_initials.get(word, [])):
            _expand(terms, term, 0.85, vocab)
    if not terms and len(word) >= 5:
        for key, _score, _i in process.extract(word, vocab.pinyin_keys, scorer=Levenshtein.distance,
                                                score_cutoff=1, limit=3):
            for term in vocab.best_by_df(vocab.by_pinyin[key], 2):
                _expand(terms, term, 0.7, vocab)
    return Concept(word, terms) if terms else None


def _han_token_concept(token: str, vocab: _Vocabulary) -> Concept:
    terms: dict[str, float] = {}
    _expand(terms, token, 1.0, vocab)
    # Parts of a long word ("社会保障卡" → "社会保障", "保障") still say something.
    if len(token) > 2:
        for part in segmenter.cut(token):
            if part != token and len(part) >= 2:
                _expand(terms, part, 0.6, vocab)
    if len(token) == 1:
        # A lone character usually heads or starts the word meant: 税 → 契税, 查 → 查询.
        for term in vocab.by_affix.get(token, [])[:5]:
            _expand(terms, term, 0.45, vocab)
    elif not vocab.known(token):
        # A typo that sounds right (社报卡 → 社保卡) or one letter off in pinyin.
        for term in vocab.best_by_df(vocab.by_pinyin.get(pinyin(token), [])):
            _expand(terms, term, 0.85, vocab)
        if len(token) >= 3 and len(terms) <= 1:
            for key, _score, _i in process.extract(pinyin(token), vocab.pinyin_keys, scorer=Levenshtein.distance,
                                                    score_cutoff=1, limit=3):
                for term in vocab.best_by_df(vocab.by_pinyin[key], 2):
                    if len(term) == len(token):
                        _expand(terms, term, 0.6, vocab)
        if len(token) >= 2 and not any(vocab.known(t) for t in terms):
            for char in token:
                _expand(terms, char, 0.3, vocab)
    return Concept(token, terms)


def _repair_typos(chunk: str, covered: list[bool], vocab: _Vocabulary) -> list[Concept]:
    """Spans around unknown words that sound like, or are one sound away from, a known word.

    营业执找 → 营业执照 (same pinyin), 营业照 → 营业执照 (pinyin one syllable off).
    """
    stop = lexicon.stopwords()
    unknown = [False] * len(chunk)
    position = 0
    for token in segmenter.cut_words(chunk):
        if not vocab.known(token) and token not in stop:
            for i in range(position, position + len(token)):
                unknown[i] = True
        position += len(token)
    if not any(unknown):
        return []
    concepts = []
    for length in range(min(6, len(chunk)), 1, -1):
        for start in range(len(chunk) - length + 1):
            span = range(start, start + length)
            text = chunk[start:start + length]
            if any(covered[i] for i in span) or not any(unknown[i] for i in span) or vocab.known(text):
                continue
            sound = pinyin(text)
            found = [t for t in vocab.by_pinyin.get(sound, []) if len(t) == length]
            weight = 0.85
            if not found and length >= 3:
                weight = 0.7
                cutoff = 2 if len(sound) >= 10 else 1
                for key, _d, _i in process.extract(sound, vocab.pinyin_keys, scorer=Levenshtein.distance,
                                                   score_cutoff=cutoff, limit=3):
                    found += [t for t in vocab.by_pinyin[key] if abs(len(t) - length) <= 1]
            if found:
                terms: dict[str, float] = {}
                for term in vocab.best_by_df(found, 2):
                    _expand(terms, term, weight, vocab)
                concepts.append(Concept(text, terms))
                for i in span:
                    covered[i] = True
    return concepts


def analyze(query: str, vocab: _Vocabulary | None = None) -> list[Concept]:
    """The concepts of a query, in the order typed."""
    vocab = vocab or _vocabulary.fresh()
    stop = lexicon.stopwords()
    concepts: list[Concept] = []
    for chunk in chunks(normalize(query, max_length=MAX_QUERY_LENGTH)):
        if not has_han(chunk):
            concept = _latin_concept(chunk, vocab)
            if concept:
                concepts.append(concept)
            continue
        # Lexicon phrases first (they may contain a stop word: 死了, 补办), longest first.
        covered = [False] * len(chunk)
        for term in sorted((t for t in vocab.synonyms if t in chunk), key=len, reverse=True):
            start = chunk.find(term)
            if all(covered[start:start + len(term)]):
                continue
            for i in range(start, start + len(term)):
                covered[i] = True
            terms: dict[str, float] = {}
            _expand(terms, term, 1.0, vocab)
            concepts.append(Concept(term, terms))
        concepts.extend(_repair_typos(chunk, covered, vocab))
        position = 0
        for token in segmenter.cut_words(chunk):
            span = range(position, position + len(token))
            position += len(token)
            if token in stop or all(covered[i] for i in span):
                continue
            concepts.append(_han_token_concept(token, vocab))
    if not concepts:  # nothing but stop words: search them after all
        for chunk in chunks(normalize(query, max_length=MAX_QUERY_LENGTH)):
            if has_han(chunk):
                concepts.extend(_han_token_concept(t, vocab) for t in segmenter.cut_words(chunk))
    return concepts


def _candidates(terms: list[str], scored: list[str], *, kinds, department, item_kind, target, scope) -> list[tuple]:
    """Documents containing one of `terms` (the best CANDIDATE_LIMIT by summed weight), with their
    weights for the `scored` terms only: narrow (document, term, weight) rows from the postings."""
    where, params, own = [], [], []
    if kinds and set(kinds) != set(SearchDocument.Kind.values):
        # Life events are a few dozen documents: name them rather than join the documents' table.
        events = sorted(_vocabulary.life_event_ids)
        if list(kinds) == [SearchDocument.Kind.LIFE_EVENT]:
            if not events:
                return []
            own.append(f"p.document_id IN ({', '.join(['%s'] * len(events))})")
            params.extend(events)
        elif list(kinds) == [SearchDocument.Kind.ITEM]:
            if events:
                own.append(f"p.document_id NOT IN ({', '.join(['%s'] * len(events))})")
                params.extend(events)
        else:
            where.append(f"d.kind IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
    for column, value in (("department_code", department), ("item_kind", item_kind), ("scope", scope)):
        if value:
            where.append(f"d.{column} = %s")
            params.append(value)
    if target:
        where.append("('|' || d.targets || '|') LIKE %s")
        params.append(f"%|{target}|%")
    # Only the other filters need the documents' table.
    join = " JOIN catalog_searchdocument d ON d.id = p.document_id" if where else ""
    filters = "".join(f" AND {w}" for w in own + where)
    term_marks = ", ".join(["%s"] * len(terms))
    scored_marks = ", ".join(["%s"] * len(scored))
    sql = (
        f"WITH c AS (SELECT p.document_id AS doc FROM catalog_searchposting p{join} "  # noqa: S608 - placeholders only
        f"WHERE p.term IN ({term_marks}){filters} GROUP BY p.document_id "
        f"ORDER BY SUM(p.weight) DESC, p.document_id LIMIT {CANDIDATE_LIMIT}) "
        f"SELECT p.document_id, p.term, p.weight FROM catalog_searchposting p JOIN c ON c.doc = p.document_id "
        f"WHERE p.term IN ({scored_marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*terms, *params, *scored])
        postings = cursor.fetchall()
    weights: dict[int, dict[str, float]] = {}
    for doc, term, weight in postings:
        weights.setdefault(doc, {})[term] = weight
    documents = _vocabulary.documents_by_id(weights.keys())
    return [(*documents[doc][:4], doc_weights, documents[doc][4])
            for doc, doc_weights in weights.items() if doc in documents]


def _score(concepts: list[Concept], rows: list[tuple], phrase: str, vocab: _Vocabulary) -> list[Hit]:
    idf = {t: vocab.idf(t) for c in concepts for t in c.terms}
    # A concept weighs as much as its rarest known word: 无违法记录证明 counts more than 有 or 开.
    # A lone character is ambiguous in Chinese, so it weighs half.
    importance = [max((idf[t] for t in c.terms if vocab.df.get(t)), default=1.0) * (0.5 if len(c.text) == 1 else 1)
                  for c in concepts]
    total_importance = sum(importance)
    hits = []
    for kind, code, title, department_code, weights, popularity in rows:
        if isinstance(weights, str):
            weights = json.loads(weights)
        elif weights is None:
            weights = {}
        total, matched = 0.0, 0.0
        for concept, weight in zip(concepts, importance, strict=True):
            best, quality = 0.0, 0.0
            for t, w in concept.terms.items():
                if t in weights:
                    best = max(best, w * weights[t] * idf[t])
                    quality = max(quality, w)
            total += best
            matched += quality * weight
        if not matched:
            continue
        score = total * (matched / total_importance) ** 1.5
        if phrase and phrase in title.lower():
            score *= TITLE_PHRASE_BOOST
        if kind == SearchDocument.Kind.LIFE_EVENT:
            score *= LIFE_EVENT_BOOST
        score *= 1 + 0.05 * math.log1p(popularity)
        hits.append(Hit(kind, code, title, round(score, 4), department_code))
    hits.sort(key=lambda h: (-h.score, h.kind != SearchDocument.Kind.LIFE_EVENT, h.code))
    if hits:
        # Drop the long tail of documents that share only a minor word with the query.
        floor = hits[0].score * 0.15
        hits = [h for h in hits if h.score >= floor]
    return hits


def _resolve_item_kind(item_kind: str | None) -> str | None:
    if not item_kind or item_kind.isdigit():
        return item_kind
    from ..selectors import code_lookup

    code = code_lookup(ITEM_KIND).get(item_kind)
    return code.value if code else item_kind


def rank(query: str, *, kinds=("item", "life_event"), department=None, item_kind=None, target=None,
         scope=None) -> tuple[Hit, ...]:
    """The ranked hits, shared with the per-process cache: callers copy the hits they change."""
    vocab = _vocabulary.fresh()
    key = (normalize(query, max_length=MAX_QUERY_LENGTH), tuple(kinds), department, item_kind, target, scope)
    cached = vocab.results.get(key)
    if cached is not None:
        vocab.results.move_to_end(key)
        return cached
    concepts = analyze(query, vocab)
    terms = retrieval_terms(concepts, vocab)
    hits = []
    if terms:
        scored = sorted({t for c in concepts for t in c.terms})
        rows = _candidates(terms, scored, kinds=list(kinds), department=department,
                           item_kind=_resolve_item_kind(item_kind), target=target, scope=scope)
        hits = score(concepts, rows, vocab)
    hits = tuple(hits)
    vocab.results[key] = hits
    if len(vocab.results) > RESULT_CACHE_SIZE:
        vocab.results.popitem(last=False)
    return hits


def retrieval_terms(concepts: list[Concept], vocab: _Vocabulary) -> list[str]:
    """The words the full-text index is asked for: a document must contain one of them."""
    all_terms = {t for c in concepts for t in c.terms}
    threshold = max(vocab.documents * COMMON_TERM_SHARE, 20)
    narrowing = [t for t in all_terms if vocab.df.get(t, 0) and vocab.df[t] <= threshold]
    return sorted(narrowing or [t for t in all_terms if vocab.df.get(t, 0)])


def score(concepts: list[Concept], rows: list[tuple], vocab: _Vocabulary) -> list[Hit]:
    stop = lexicon.stopwords()
    phrase = "".join(c.text for c in concepts if c.text not in stop)
    return _score(concepts, rows, phrase if len(phrase) >= 2 else "", vocab)


def did_you_mean(query: str) -> str | None:
    """A nearby query that finds something, for a query that found nothing."""
    vocab = _vocabulary.fresh()
    norm = normalize(query, max_length=MAX_QUERY_LENGTH)
    corrected = norm
    for chunk in chunks(norm):
        if not has_han(chunk):
            # Latin letters: the closest pinyin of a known word (shebaokaaa → 社保卡).
            match = process.extractOne(chunk, vocab.pinyin_keys, scorer=fuzz.ratio, score_cutoff=75)
            if match:
                corrected = corrected.replace(chunk, vocab.best_by_df(vocab.by_pinyin[match[0]], 1)[0], 1)
            continue
        for token in segmenter.cut_words(chunk):
            if vocab.known(token) or len(token) < 2 or token in lexicon.stopwords():
                continue
            choices = [t for t in vocab.df if abs(len(t) - len(token)) <= 1 and has_han(t)]
            match = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=60)
            if match:
                corrected = corrected.replace(token, match[0], 1)
    if corrected != norm and rank(corrected):
        return corrected
    return None


def search(query: str, *, kinds=("item", "life_event"), department=None, item_kind=None, target=None, scope=None,
           offset: int = 0, limit: int = 20, channel: str | None = "web", language: str = "",
           want_log_id: bool = True) -> SearchResult:
    """Ranked search over published items and life events; logs the query unless channel is None.

    Without `want_log_id` (no click tracking, e.g. the API) the log row is written in a batch."""
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    hits = rank(query, kinds=kinds, department=department, item_kind=item_kind, target=target, scope=scope)
    suggestion = did_you_mean(query) if not hits and query else None
    page = [replace(h) for h in hits[offset:offset + limit]]
    attach_summaries(page)
    log_id = None
    if channel and query:
        log_id = _log(query, len(hits), channel, language, buffered=not want_log_id)
    return SearchResult(query=query, hits=page, total=len(hits), did_you_mean=suggestion, log_id=log_id)


def attach_summaries(hits: list[Hit]) -> None:
    if not hits:
        return
    cache = _vocabulary.fresh().summaries
    # (A set minus dict keys would copy every cached key: thousands at 10,000 items.)
    missing = {(h.kind, h.code) for h in hits if (h.kind, h.code) not in cache}
    if missing:
        rows = SearchDocument.objects.filter(ref_code__in={code for _kind, code in missing}).values_list(
            "kind", "ref_code", "summary")
        found = {(kind, code): summary for kind, code, summary in rows}
        for key in missing:
            cache[key] = found.get(key)
    for hit in hits:
        hit.summary = cache[(hit.kind, hit.code)]


def _log(query: str, result_count: int, channel: str, language: str, *, buffered: bool = False) -> int | None:
    row = SearchLog(query=query, normalized=normalize(query, max_length=200), result_count=result_count,
                    channel=channel, language=language[:10])
    if buffered:
        logbuffer.buffer.add(row)
        return None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A search log is worth less than the wait for its WAL flush; a crash may lose the last few.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        row.save()
        return row.id


def suggest(prefix: str, *, limit: int = 8) -> list[Hit]:
    """Suggestions while typing: titles that start with or contain the input, then ranked search."""
    text = normalize(prefix, max_length=50)
    if not text:
        return []
    compact = text.replace(" ", "")
    qs = SearchDocument.objects.all()
    if has_han(compact):
        qs = qs.filter(title__contains=compact)
    else:
        qs = qs.filter(Q(title_pinyin__startswith=compact) | Q(title_initials__startswith=compact))
    rows = list(qs.order_by("-popularity", "kind", "title")
                .values_list("kind", "ref_code", "title", "department_code")[:limit])
    hits = [Hit(k, c, t, 1.0, d) for k, c, t, d in rows]
    if len(hits) < limit:
        seen = {(h.kind, h.code) for h in hits}
        hits += [replace(h) for h in rank(text) if (h.kind, h.code) not in seen][: limit - len(hits)]
    return hits


def record_click(*, log_id: int, kind: str, code: str, rank: int) -> bool:
    """Record the first click of a logged search; returns False for an unknown log."""
    updated = SearchLog.objects.filter(pk=log_id, clicked_at__isnull=True).update(
        clicked_kind=kind[:12], clicked_code=code[:60], clicked_rank=max(0, min(rank, 1000)),
        clicked_at=timezone.now(),
    )
    return bool(updated) or SearchLog.objects.filter(pk=log_id).exists()


def warm_up() -> None:
    """Load what the first searches of a new process would otherwise wait for (called by gunicorn)."""
    vocab = _vocabulary.fresh()
    segmenter.cut_words("一网通办")
    vocab.documents_by_id(SearchDocument.objects.values_list("pk", flat=True))
