"""The hash over one entry: a fixed binary layout (length-prefixed fields), not a JSON dump of the
row, so verification is cheap and independent of dict ordering or float formatting.

Layout: prev_hash (32 bytes) | seq, `at` in integer microseconds since 1970 UTC, actor_id (3 × int64
big-endian) | actor_label, on_behalf_of, department, action, target_type, target_id, data, each as a
uint32 byte length + UTF-8. Only `data` goes through JSON, canonically (sorted keys, no spaces):
PostgreSQL's jsonb reorders keys, so the hash must not depend on the order the database returns."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct

GENESIS = "0" * 64
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_HEAD = struct.Struct(">qqq")
_LENGTH = struct.Struct(">I")
# NaN and infinities are refused: jsonb cannot store them, so they could never verify on PostgreSQL.
canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                  allow_nan=False).encode


def micros(at: dt.datetime) -> int:
    """Exact integer microseconds since the epoch (a float timestamp can be off by one); naive raises."""
    return (at - _EPOCH) // _MICROSECOND


def row_hash(prev_hash: str, seq: int, at_micros: int, actor_id: int | None, actor_label: str,
             on_behalf_of: str, department: str, action: str, target_type: str, target_id: str,
             data) -> str:
    """The hash from positional raw values, as verification reads them from the database."""
    parts = [bytes.fromhex(prev_hash), _HEAD.pack(seq, at_micros, actor_id or 0)]
    for text in (actor_label, on_behalf_of, department, action, target_type, target_id, canonical_json(data)):
        raw = text.encode()
        parts.append(_LENGTH.pack(len(raw)))
        parts.append(raw)
    return hashlib.sha256(b"".join(parts)).hexdigest()


def entry_hash(*, prev_hash: str, seq: int, at: dt.datetime, actor_id: int | None, actor_label: str,
               on_behalf_of: str, department: str, action: str, target_type: str, target_id: str,
               data: dict) -> str:
    return row_hash(prev_hash, seq, micros(at), actor_id, actor_label, on_behalf_of, department, action,
                    target_type, target_id, data)
