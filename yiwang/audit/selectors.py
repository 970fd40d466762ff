"""Reading and checking the chain.

audit_verify streams raw rows (values_list + iterator, no model instances) in seq order and
recomputes every hash. It detects edits, deletions and insertions anywhere except at the tail:
dropping the last entries leaves a shorter chain that is still consistent. Publish or store
audit_anchor() elsewhere (a ticket, another node, paper) and pass it back to detect that.
On PostgreSQL triggers also refuse UPDATE, DELETE and TRUNCATE (migration 0002); on SQLite this
verification is the only guard."""

from __future__ import annotations

import re
import sys
from contextlib import closing
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from tqdm import tqdm

from .chain import GENESIS, micros, row_hash
from .constants import ChainBreak
from .models import AuditEntry

_ROW_FIELDS = ("seq", "prev_hash", "hash", "at", "actor_id", "actor_label", "on_behalf_of", "department",
               "action", "target_type", "target_id", "data")
# On PostgreSQL the database turns `at` into the hashed integer itself: building an aware datetime per
# row costs more than hashing it (extract returns exact numeric since PostgreSQL 14).
_PG_AT_MICROS = 'CAST(EXTRACT(EPOCH FROM "audit_auditentry"."at") * 1000000 AS bigint)'


def _rows(chunk_size: int):
    """Raw tuples in seq order, `at` as integer microseconds; streamed (server-side cursor on PG)."""
    entries = AuditEntry.objects.order_by("seq")
    if connection.vendor == "postgresql":
        fields = tuple("at_micros" if f == "at" else f for f in _ROW_FIELDS)
        at_micros = RawSQL(_PG_AT_MICROS, ())  # noqa: S611 - a constant expression, no parameters
        yield from entries.annotate(at_micros=at_micros).values_list(*fields).iterator(chunk_size)
        return
    for row in entries.values_list(*_ROW_FIELDS).iterator(chunk_size):
        yield (*row[:3], micros(row[3]), *row[4:])
_ANCHOR_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int  # entries found intact before the first break (all of them when ok)
    head: tuple[int, str]  # (seq, hash) of the last intact entry; (0, GENESIS) when none
    broken_seq: int | None = None
    problem: ChainBreak | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return f"OK: {self.count} entries"
        return _("第 %(seq)d 条记录：%(problem)s。%(detail)s [%(code)s]") % {
            "seq": self.broken_seq, "problem": self.problem.label, "detail": self.detail,
            "code": self.problem.value,
        }


def audit_anchor() -> tuple[int, str]:
    """(seq, hash) of the head entry, to be kept outside this database; (0, GENESIS) when empty."""
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return head or (0, GENESIS)


def parse_anchor(text: str) -> tuple[int, str]:
    """'SEQ:HASH' as printed by `verify_audit --print-anchor`; ValueError when malformed."""
    match = _ANCHOR_RE.match(text.strip().lower())
    if not match:
        raise ValueError(_("锚点格式应为“序号:64位十六进制哈希”。"))
    return int(match[1]), match[2]


def audit_verify(*, anchor: tuple[int, str] | None = None, progress: bool = False,
                 chunk_size: int = 5000) -> VerifyResult:
    """Walk the chain from seq 1 and report the first broken entry, if any."""
    anchor_seq, anchor_hash = anchor if anchor else (None, None)
    expected, prev, count = 1, GENESIS, 0

    def broken(seq, problem, detail):
        return VerifyResult(ok=False, count=count, head=(expected - 1, prev), broken_seq=seq,
                            problem=problem, detail=detail)

    if anchor_seq == 0 and anchor_hash != GENESIS:
        return broken(0, ChainBreak.ANCHOR_MISMATCH, _("空日志的锚点哈希应为全零。"))
    bar = tqdm(total=AuditEntry.objects.count() if progress else None, disable=not progress,
               file=sys.stderr, unit=_("条"), desc=_("校验审计日志"), mininterval=0.5)
    with bar, closing(_rows(chunk_size)) as rows:  # closing: an early return releases the cursor
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
    return VerifyResult(ok=True, count=count, head=(count, prev))
