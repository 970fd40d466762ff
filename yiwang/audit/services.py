"""Writing the audit trail. Every service that does something security-relevant calls audit_record
inside its own transaction, so the entry and the action commit or roll back together.

Two steps, so that business transactions never wait for each other on the chain:
1. audit_record inserts the entry *unsealed* (seq, prev_hash, hash NULL), without any lock. Its
   content is final: on PostgreSQL the trigger refuses any change but sealing (migration 0004).
2. audit_seal chains committed unsealed entries in id order, one short transaction per batch under
   the chain lock. It runs right after the writing transaction commits (try-lock: skipped when
   another sealer is at work), from the periodic task (every 10 s) and from `manage.py seal_audit`,
   so an entry whose after-commit seal was skipped or lost (crash, error) is sealed within seconds.

The chain order is the sealing order, not the id order: an entry whose transaction commits after a
later id was sealed is sealed in a later batch. Its `at` is when it was written, so `at` need not rise
with seq. Until sealed, an entry is outside the hash chain (audit_verify counts it apart).

Reading and checking the chain (audit_verify, audit_anchor) lives in selectors.py and is re-exported
here for callers that think of it as an audit service."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from yiwang.core.masking import mask_text

from .chain import GENESIS, entry_hash, row_hash
from .models import AuditEntry
from .selectors import CONTENT_FIELDS, VerifyResult, audit_anchor, audit_pending, audit_verify, content_rows

__all__ = ["audit_record", "audit_batch", "audit_seal", "audit_seal_deferred", "audit_verify", "audit_anchor",
           "audit_pending", "VerifyResult"]

# One sealer at a time on PostgreSQL; SQLite serialises write transactions itself (BEGIN IMMEDIATE).
_CHAIN_LOCK_KEY = 0x59574155  # "YWAU"
SEAL_BATCH_SIZE = 1000  # entries per sealing transaction (one SELECT, one UPDATE)
AFTER_COMMIT_LIMIT = 1000  # a request that commits seals at most this many; the periodic job the rest


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
    # tuples, ISO strings for dates and decimals. NaN and infinities are refused (jsonb cannot
    # store them; canonical_json would refuse them when sealing).
    return _masked(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder, allow_nan=False)))


def _fit(name: str, value: str) -> str:
    return value[: AuditEntry._meta.get_field(name).max_length]


# No atomic block (no savepoint round trips): it is one INSERT in the caller's transaction, and
# outside one it commits on its own and on_commit seals right away.
def audit_record(*, action: str, actor=None, target_type: str = "", target_id: str = "",
                 data: dict | None = None, on_behalf_of: str = "", department: str = "") -> AuditEntry:
    """Append one entry, unsealed (sealed after commit). `data` must not hold full personal
    identifiers: they are masked anyway."""
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
        "at": timezone.now(),
    }
    # A trial hash: a value the sealer could not hash (a lone surrogate, say) fails here, in the
    # caller's transaction, instead of stalling the chain behind this entry.
    entry_hash(prev_hash=GENESIS, seq=0, **fields)
    buffer = getattr(connection, "_audit_buffer", None)
    if buffer is not None:
        entry = AuditEntry(**fields)
        buffer.append(entry)
        return entry
    entry = AuditEntry.objects.create(**fields)
    _seal_after_commit()
    return entry


@contextmanager
def audit_batch():
    """Entries recorded inside the block are written in one INSERT when it ends, in the order they
    were recorded (a batch of submits records dozens). Use it inside the caller's transaction; on an
    exception nothing is written (that transaction rolls back anyway). A nested block adds to the
    outer one. Entries are unsaved (no pk) until the block ends."""
    if getattr(connection, "_audit_buffer", None) is not None:
        yield
        return
    connection._audit_buffer = buffer = []
    try:
        yield
    finally:
        connection._audit_buffer = None
    if buffer:
        AuditEntry.objects.bulk_create(buffer)
        _seal_after_commit()


def _seal_after_commit() -> None:
    """Register one sealer per transaction, run when it commits.

    Deduplicated by the callback still pending on this connection: a rollback (of the transaction
    or of the savepoint that registered it) drops the callback, and the next entry registers anew.
    robust: the caller's transaction has committed; a failed seal is logged and left to the
    periodic job, never raised into the caller."""
    if getattr(connection, "_audit_seal_deferred", False):
        return
    pending = getattr(connection, "_audit_seal_callback", None)
    if pending is not None and not pending.ran and any(
            func is pending for _sids, func, _robust in connection.run_on_commit):
        return

    def audit_seal_after_commit():
        audit_seal_after_commit.ran = True
        audit_seal(limit=AFTER_COMMIT_LIMIT, wait=False)

    audit_seal_after_commit.ran = False  # TestCase's captured callbacks stay in run_on_commit
    connection._audit_seal_callback = audit_seal_after_commit
    transaction.on_commit(audit_seal_after_commit, robust=True)


@contextmanager
def audit_seal_deferred():
    """Transactions committed inside the block leave their entries unsealed for the caller to seal
    after it (`audit_seal(limit=AFTER_COMMIT_LIMIT, wait=False)`), outside a lock the caller holds
    meanwhile; the periodic job seals whatever is left."""
    previous = getattr(connection, "_audit_seal_deferred", False)
    connection._audit_seal_deferred = True
    try:
        yield
    finally:
        connection._audit_seal_deferred = previous


def audit_seal(*, limit: int | None = None, wait: bool = True, batch_size: int = SEAL_BATCH_SIZE) -> int:
    """Chain committed unsealed entries in id order; return how many were sealed (0: nothing to do).

    Each batch is its own short transaction holding the chain lock: read the last sealed (seq, hash),
    lock the unsealed rows (FOR UPDATE on PostgreSQL), hash them with chain.py's layout from the
    values read back from the database (exactly what audit_verify will read), write seq, prev_hash
    and hash back in one statement. wait=False (after commit): on PostgreSQL stop when another
    sealer holds the lock — it, or the periodic job, seals what is left. Call it outside a
    transaction: inside one it would hold the chain lock until that commits."""
    sealed = 0
    while limit is None or sealed < limit:
        size = batch_size if limit is None else min(batch_size, limit - sealed)
        done = _seal_batch(size, wait=wait)
        sealed += done or 0
        if done is None or done < size:
            break
    return sealed


def _seal_batch(size: int, *, wait: bool) -> int | None:
    """Seal up to `size` entries; None when wait=False and another sealer holds the lock."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # No bitmap scan for the queue: a plain index scan marks the index entries of the
            # versions sealing left dead, so later scans skip them (a bitmap scan would visit every
            # one of them again until VACUUM). Local to this transaction.
            lock = "pg_advisory_xact_lock(%s)" if wait else "pg_try_advisory_xact_lock(%s)"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {lock}, set_config('enable_bitmapscan', 'off', true)",
                               [_CHAIN_LOCK_KEY])
                if not (wait or cursor.fetchone()[0]):
                    return None
        (seq, prev_hash), queue = _head_and_queue(size)
        seals = []
        for pk, *content in queue:
            seq += 1
            digest = row_hash(prev_hash, seq, *content)
            seals.append((pk, seq, prev_hash, digest))
            prev_hash = digest
        if seals:
            _write_seals(seals)
        return len(seals)


def _pg_queue_sql() -> str:
    """Head and queue in one statement (it runs after the lock, so its snapshot sees the last seal)."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(
        "CAST(EXTRACT(EPOCH FROM e.at) * 1000000 AS bigint)" if name == "at"
        else "e." + connection.ops.quote_name(AuditEntry._meta.get_field(name).column)
        for name in CONTENT_FIELDS)
    return (f"SELECT h.seq, h.hash, e.id, {columns} FROM {table} AS e "  # noqa: S608 - no values in it
            f"LEFT JOIN (SELECT seq, hash FROM {table} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1) AS h "
            f"ON true WHERE e.seq IS NULL ORDER BY e.id LIMIT %s FOR UPDATE OF e")


def _head_and_queue(size: int) -> tuple[tuple[int, str], list[tuple]]:
    """The last sealed (seq, hash) and up to `size` unsealed rows (id, then the hashed content, as
    selectors.content_rows gives them), locked."""
    if connection.vendor != "postgresql":  # SQLite: the write transaction is the lock
        queue = AuditEntry.objects.filter(seq__isnull=True).order_by("id")
        return audit_anchor(), list(content_rows(queue, ("id",), limit=size))
    with connection.cursor() as cursor:
        cursor.execute(_pg_queue_sql(), [size])
        rows = cursor.fetchall()
    if not rows:
        return (0, GENESIS), []
    seq, digest = rows[0][:2]
    # jsonb arrives as text (Django's psycopg setup); parsed as JSONField.from_db_value does.
    return (seq or 0, digest or GENESIS), [(*row[2:-1], json.loads(row[-1])) for row in rows]


def _write_seals(seals: list[tuple[int, int, str, str]]) -> None:
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(seals))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "  # noqa: S608 - placeholders only
                f"FROM (VALUES {values}) AS v (id, seq, prev_hash, hash) WHERE e.id = v.id AND e.seq IS NULL",
                [value for seal in seals for value in seal])
            updated = cursor.rowcount
    else:
        updated = AuditEntry.objects.bulk_update(
            [AuditEntry(pk=pk, seq=seq, prev_hash=prev, hash=digest) for pk, seq, prev, digest in seals],
            ["seq", "prev_hash", "hash"])
    if updated != len(seals):  # the rows were locked and unsealed: never expected
        raise RuntimeError(f"audit seal: {updated} of {len(seals)} entries updated")
