"""Writing the audit trail. Every service that does something security-relevant calls audit_record
inside its own transaction, so the entry and the action commit or roll back together."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from yiwang.core.masking import mask_text

from .chain import GENESIS, entry_hash
from .models import AuditEntry

# Serialises writers on PostgreSQL; SQLite already serialises write transactions.
_CHAIN_LOCK_KEY = 0x59574155  # "YWAU"


def _actor_fields(actor) -> tuple[int | None, str, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, "", ""
    department = getattr(actor, "department", None)
    return actor.pk, actor.get_username(), department.code if department else ""


@transaction.atomic
def audit_record(*, action: str, actor=None, target_type: str = "", target_id: str = "",
                 data: dict | None = None, on_behalf_of: str = "", department: str = "") -> AuditEntry:
    """Append one entry. `data` must not hold full personal identifiers: they are masked anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    actor_id, actor_label, actor_department = _actor_fields(actor)
    clean = {k: mask_text(v) if isinstance(v, str) else v for k, v in (data or {}).items()}
    fields = {
        "seq": seq, "at": timezone.now(), "actor_id": actor_id, "actor_label": actor_label,
        "on_behalf_of": on_behalf_of, "department": department or actor_department, "action": action,
        "target_type": target_type, "target_id": mask_text(str(target_id)), "data": clean,
    }
    digest = entry_hash(prev_hash=prev_hash, **fields)
    return AuditEntry.objects.create(prev_hash=prev_hash, hash=digest, **fields)
