"""The hash over one entry: a fixed binary layout (length-prefixed fields), not a JSON dump of the
row, so verification is cheap and independent of dict ordering or float formatting."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct

GENESIS = "0" * 64


def _field(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">I", len(raw)) + raw


def entry_hash(*, prev_hash: str, seq: int, at: dt.datetime, actor_id: int | None, actor_label: str,
               on_behalf_of: str, department: str, action: str, target_type: str, target_id: str,
               data: dict) -> str:
    micros = int(at.timestamp() * 1_000_000)
    body = b"".join([
        bytes.fromhex(prev_hash),
        struct.pack(">qqq", seq, micros, actor_id or 0),
        _field(actor_label), _field(on_behalf_of), _field(department), _field(action),
        _field(target_type), _field(target_id),
        _field(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))),
    ])
    return hashlib.sha256(body).hexdigest()
