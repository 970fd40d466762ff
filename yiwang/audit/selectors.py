"""Reading and checking the chain.

audit_verify streams raw rows (values_list + iterator, no model instances) of the sealed entries in
seq order and recomputes every hash. It detects edits, deletions and insertions anywhere except at
the tail: dropping the last entries leaves a shorter chain that is still consistent. Publish or store
audit_anchor() elsewhere (a ticket, another node, paper) and pass it back to detect that.
Entries not sealed yet (services.audit_seal) are not part of the chain: verify counts them apart.
On PostgreSQL triggers also refuse UPDATE (but sealing), DELETE and TRUNCATE (migrations 0003, 0004);
on SQLite this verification is the only guard."""

from __future__ import annotations

import datetime as dt
import re
import sys
from contextlib import closing
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Min
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from .chain import GENESIS, micros, row_hash
from .constants import PENDING_WARN_AFTER, ChainBreak
from .models import AuditEntry

# The hashed content after (seq, prev_hash), in chain.row_hash's order.
CONTENT_FIELDS = ("at", "actor_id", "actor_label", "on_behalf_of", "department", "action", "target_type",
                  "target_id", "data")
# On PostgreSQL the database turns `at` into the hashed integer itself: building an aware datetime per
# row costs more than hashing it (extract returns exact numeric since PostgreSQL 14).
_PG_AT_MICROS = 'CAST(EXTRACT(EPOCH FROM "audit_auditentry"."at") * 1000000 AS bigint)'


def content_rows(entries, leading: tuple[str, ...], *, chunk_size: int | None = None,
                 limit: int | None = None):
    """Raw tuples: the `leading` fields, then CONTENT_FIELDS with `at` as integer microseconds.
    Streamed when chunk_size is given (server-side cursor on PG), else fetched at once."""
    n = len(leading)
    if connection.vendor == "postgresql":
        at_micros = RawSQL(_PG_AT_MICROS, ())  # noqa: S611 - a constant expression, no parameters
        rows = entries.annotate(at_micros=at_micros).values_list(*leading, "at_micros", *CONTENT_FIELDS[1:])
    else:
        rows = entries.values_list(*leading, *CONTENT_FIELDS)
    if limit is not None:
        rows = rows[:limit]
    rows = rows.iterator(chunk_size) if chunk_size else rows
    if connection.vendor == "postgresql":
        yield from rows
        return
    for row in rows:
        yield (*row[:n], micros(row[n]), *row[n + 1:])


def _sealed():
    return AuditEntry.objects.filter(seq__isnull=False)


_ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int  # entries found intact before the first break (all of them when ok)
    head: tuple[int, str]  # (seq, hash) of the last intact entry; (0, GENESIS) when none
    broken_seq: int | None = None
    problem: ChainBreak | None = None
    detail: str = ""
    pending: int = 0  # entries written but not sealed yet: not part of the chain checked
    oldest_pending: dt.datetime | None = None  # when the oldest of them was written

    @property
    def pending_age(self) -> dt.timedelta | None:
        return timezone.now() - self.oldest_pending if self.oldest_pending else None

    @property
    def pending_stale(self) -> bool:
        """Entries waiting longer than the periodic sealer should ever let them: is it running?"""
        age = self.pending_age
        return age is not None and age > PENDING_WARN_AFTER

    @property
    def message(self) -> str:
        if self.ok:
            return f"OK: {self.count} entries"
        return _("第 %(seq)d 条记录：%(problem)s。%(detail)s [%(code)s]") % {
            "seq": self.broken_seq, "problem": self.problem.label, "detail": self.detail,
            "code": self.problem.value,
        }


def audit_anchor() -> tuple[int, str]:
    """(seq, hash) of the last sealed entry, to be kept outside this database; (0, GENESIS) when none."""
    head = _sealed().order_by("-seq").values_list("seq", "hash").first()
    return head or (0, GENESIS)


def audit_pending() -> tuple[int, dt.datetime | None]:
    """How many entries wait to be sealed, and when the oldest of them was written."""
    found = AuditEntry.objects.filter(seq__isnull=True).aggregate(count=Count("id"), oldest=Min("at"))
    return found["count"], found["oldest"]


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed by `verify_audit --print-anchor`; ValueError when malformed."""
    match = _ANCHOR_RE.match(text.strip().lower())
    if not match:
        raise ValueError(_("锚点格式应为“序号:64位十六进制哈希”。"))
    return int(match[1]), match[2]


def audit_verify(*, anchor: tuple[int, str] | None = None, progress: bool = False,
                 chunk_size: int = 5000) -> VerifyResult:
    """Walk the sealed chain from seq 1 and report the first broken entry, if any, and how many
    entries wait to be sealed (counted first: an entry sealed during the walk is in neither)."""
    anchor_seq, anchor_hash = anchor if anchor else (None, None)
    expected, prev, count = 1, GENESIS, 0
    pending, oldest_pending = audit_pending()

    def broken(seq, problem, detail):
        return VerifyResult(ok=False, count=count, head=(expected - 1, prev), broken_seq=seq,
                            problem=problem, detail=detail, pending=pending, oldest_pending=oldest_pending)

    if anchor_seq == 0 and anchor_hash != GENESIS:
        return broken(0, ChainBreak.ANCHOR_MISMATCH, _("空日志的锚点哈希应为全零。"))
    bar = tqdm(total=_sealed().count() if progress else None, disable=not progress,
               file=sys.stderr, unit=_("条"), desc=_("校验审计日志"), mininterval=0.5)
    rows = content_rows(_sealed().order_by("seq"), ("seq", "prev_hash", "hash"), chunk_size=chunk_size)
    with bar, closing(rows):  # closing: an early return releases the cursor
        for row in rows:
            seq, prev_hash, digest = row[0], row[1], row[2]
            if seq != expected:
                return broken(seq, ChainBreak.SEQ_GAP,
                              _("缺少第 %(first)d 至 %(last)d 条。") % {"first": expected, "last": seq - 1})
            if prev_hash != prev:
                return broken(seq, ChainBreak.PREV_HASH_MISMATCH,
                              _("记录的前序哈希与第 %(prev)d 条的哈希不一致。") % {"prev": seq - 1})
            if row_hash(prev_hash, seq, *row[3:]) != digest:
                return broken(seq, ChainBreak.HASH_MISMATCH, _("重新计算的哈希与存储的哈希不一致。"))
            if seq == anchor_seq and digest != anchor_hash:
                return broken(seq, ChainBreak.ANCHOR_MISMATCH, _("该条哈希与外部保存的锚点不一致。"))
            prev, expected, count = digest, expected + 1, count + 1
            if count % 1000 == 0:
                bar.update(1000)
        bar.update(count % 1000)
    if anchor_seq is not None and count < anchor_seq:
        return broken(count + 1, ChainBreak.TAIL_TRUNCATED,
                      _("日志只到第 %(count)d 条，锚点为第 %(anchor)d 条。") % {"count": count, "anchor": anchor_seq})
    return VerifyResult(ok=True, count=count, head=(count, prev), pending=pending,
                        oldest_pending=oldest_pending)
