"""Writers racing for the chain head. On PostgreSQL audit_record takes an advisory transaction lock;
without it two writers would read the same head and collide on seq. SQLite serialises write
transactions itself (BEGIN IMMEDIATE, with a busy timeout); the test database is a shared-cache
in-memory one, whose table locks are not retried, so there the threads take turns (a lock), each
still on its own connection."""

import contextlib
import threading

import pytest
from django.db import connection

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_verify
from yiwang.audit.services import audit_record

THREADS, PER_THREAD = 4, 15


# Every transactional test restores the migrations' seed data after its flush (serialized_rollback);
# mixing the two kinds makes Django recreate content types under new ids and the restore collide.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_keep_one_contiguous_chain(allow_audit_truncate):
    barrier = threading.Barrier(THREADS)
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                with turns:
                    audit_record(action="concurrent.write", target_id=f"T{n}-{i}", data={"thread": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * PER_THREAD + 1))
    assert AuditEntry.objects.values("target_id").distinct().count() == THREADS * PER_THREAD
    result = audit_verify()
    assert result.ok and result.count == THREADS * PER_THREAD
