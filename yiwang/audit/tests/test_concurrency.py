"""Real commits: entries are inserted unsealed without any lock and sealed after commit by whichever
transaction gets the chain lock (a try-lock on PostgreSQL; one skipped is sealed by the next sealer
or the periodic job). SQLite serialises write transactions itself (BEGIN IMMEDIATE, with a busy
timeout); the test database is a shared-cache in-memory one, whose table locks are not retried, so
there the threads take turns (a lock), each still on its own connection."""

import contextlib
import threading
import time

import pytest
from django.db import connection, transaction

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_pending, audit_verify
from yiwang.audit.services import _CHAIN_LOCK_KEY, audit_record, audit_seal

THREADS, PER_THREAD = 4, 15
ON_POSTGRES = connection.vendor == "postgresql"
# Every transactional test restores the migrations' seed data after its flush (serialized_rollback);
# mixing the two kinds makes Django recreate content types under new ids and the restore collide.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("allow_audit_truncate")]


def _in_thread(target, *args):
    def run():
        try:
            target(*args)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_writers_keep_one_contiguous_chain():
    barrier = threading.Barrier(THREADS)
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(PER_THREAD):
                with turns, transaction.atomic():
                    audit_record(action="concurrent.write", target_id=f"T{n}-{i}", data={"thread": n, "i": i})
                    audit_record(action="concurrent.write", target_id=f"T{n}-{i}b", data={"thread": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    for thread in [_in_thread(writer, n) for n in range(THREADS)]:
        thread.join()

    assert errors == []
    total = THREADS * PER_THREAD * 2
    audit_seal()  # what after-commit seals skipped while another held the lock (the periodic job's part)
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    assert AuditEntry.objects.values("target_id").distinct().count() == total
    result = audit_verify()
    assert result.ok and result.count == total and result.pending == 0


def test_after_commit_the_entries_are_sealed():
    entry = audit_record(action="alone")  # its own transaction: sealed as audit_record returns
    assert AuditEntry.objects.get(pk=entry.pk).seq == 1
    with transaction.atomic():
        pks = [audit_record(action="service.step", target_id=str(i)).pk for i in range(3)]
        assert AuditEntry.objects.filter(pk__in=pks, seq__isnull=True).count() == 3  # visible, unsealed
    assert list(AuditEntry.objects.filter(pk__in=pks).order_by("id").values_list("seq", flat=True)) == [2, 3, 4]
    with contextlib.suppress(RuntimeError), transaction.atomic():
        audit_record(action="doomed")
        raise RuntimeError
    entry = audit_record(action="after a rollback")  # the rolled-back sealer does not block this one
    assert AuditEntry.objects.get(pk=entry.pk).seq == 5
    assert audit_verify().count == 5 and audit_pending() == (0, None)


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent transactions need PostgreSQL here")
def test_two_concurrent_transactions_are_sealed_into_one_chain_in_commit_order():
    a_written, b_committed = threading.Event(), threading.Event()
    ids = {}

    def first():
        with transaction.atomic():
            ids["a"] = audit_record(action="tx.a").pk  # the lower id ...
            a_written.set()
            assert b_committed.wait(10)
        # ... committed last, so sealed last

    def second():
        assert a_written.wait(10)
        with transaction.atomic():
            ids["b"] = audit_record(action="tx.b").pk
        b_committed.set()

    threads = [_in_thread(first), _in_thread(second)]
    for thread in threads:
        thread.join()
    assert ids["a"] < ids["b"]
    seqs = dict(AuditEntry.objects.values_list("id", "seq"))
    assert (seqs[ids["b"]], seqs[ids["a"]]) == (1, 2)  # the chain order is the sealing order
    assert audit_verify().ok and audit_verify().count == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="the try-lock is PostgreSQL's")
def test_a_commit_while_another_sealer_holds_the_lock_skips_and_is_sealed_later():
    locked, release = threading.Event(), threading.Event()

    def sealer_at_work():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
            locked.set()
            assert release.wait(10)

    thread = _in_thread(sealer_at_work)
    assert locked.wait(10)
    try:
        started = time.monotonic()
        entry = audit_record(action="while.locked")
        assert time.monotonic() - started < 1  # the writer does not wait for the sealer
        assert AuditEntry.objects.get(pk=entry.pk).seq is None
        assert audit_verify().pending == 1
    finally:
        release.set()
        thread.join()
    assert audit_seal() == 1  # the periodic job, or the next commit
    assert AuditEntry.objects.get(pk=entry.pk).seq == 1 and audit_verify().ok
