"""Writing the audit trail. Every service that does something security-relevant calls audit_record
inside its own transaction, so the entry and the action commit or roll back together.

Reading and checking the chain (audit_verify, audit_anchor) lives in selectors.py and is re-exported
here for callers that think of it as an audit service."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from yiwang.core.masking import mask_text

from .chain import GENESIS, entry_hash
from .models import AuditEntry
from .selectors import VerifyResult, audit_anchor, audit_verify

__all__ = ["audit_record", "audit_verify", "audit_anchor", "VerifyResult"]

# Serialises writers on PostgreSQL; SQLite already serialises write transactions (BEGIN IMMEDIATE).
_CHAIN_LOCK_KEY = 0x59574155  # "YWAU"


def _actor_fields(actor) -> tuple[int | None, str, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "", ""
    department = getattr(actor, "department", None)
    return actor.pk, actor.get_username(), department.code if department else ""


def _masked(value):
    """Mask personal identifiers anywhere in the (already JSON-plain) data, keys included."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(k): _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        text = str(value)
        masked = mask_text(text)
        return value if masked == text else masked
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e16:
        return int(value)  # jsonb prints 1e16 as an integer: hash what the database gives back
    return value


def _plain_data(data) -> dict:
    # Through JSON once, so the hash covers exactly what is read back: string keys, lists for
    # tuples, ISO strings for dates and decimals.
    return _masked(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)))


def _fit(name: str, value: str) -> str:
    return value[: AuditEntry._meta.get_field(name).max_length]


@transaction.atomic
def audit_record(*, action: str, actor=None, target_type: str = "", target_id: str = "",
                 data: dict | None = None, on_behalf_of: str = "", department: str = "") -> AuditEntry:
    """Append one entry. `data` must not hold full personal identifiers: they are masked anyway."""
    actor_id, actor_label, actor_department = _actor_fields(actor)
    fields = {
        "actor_id": actor_id,
        "actor_label": _fit("actor_label", mask_text(actor_label)),
        "on_behalf_of": _fit("on_behalf_of", mask_text(on_behalf_of)),
        "department": _fit("department", department or actor_department),
        "action": _fit("action", action),
        "target_type": _fit("target_type", target_type),
        "target_id": _fit("target_id", mask_text(str(target_id))),
        "data": _plain_data(data),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fields.update(seq=seq, at=timezone.now())
    digest = entry_hash(prev_hash=prev_hash, **fields)
    return AuditEntry.objects.create(prev_hash=prev_hash, hash=digest, **fields)
