"""Unsealed writes and the sealer. These tests run inside TestCase transactions, where on_commit
callbacks never run unless captured: entries stay unsealed until audit_seal() or a captured
callback seals them (test_concurrency.py covers real commits)."""

import contextlib
import datetime as dt
import logging

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from yiwang.audit import services
from yiwang.audit.chain import GENESIS, entry_hash
from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_anchor, audit_pending, audit_verify
from yiwang.audit.services import audit_record, audit_seal
from yiwang.audit.tasks import seal as seal_task

pytestmark = pytest.mark.django_db
ON_POSTGRES = connection.vendor == "postgresql"


def _record(n: int, prefix: str = "E") -> list[int]:
    return [audit_record(action="case.viewed", target_id=f"{prefix}{i}", data={"i": i}).pk for i in range(n)]


def _chain() -> list[tuple[int, int, str, str]]:
    return list(AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
                .values_list("id", "seq", "prev_hash", "hash"))


def test_an_entry_is_written_unsealed_with_its_content_final():
    entry = audit_record(action="case.viewed", target_id="C1", data={"k": "v"}, department="D01")
    row = AuditEntry.objects.get(pk=entry.pk)
    assert (row.seq, row.prev_hash, row.hash) == (None, None, None)
    assert (row.action, row.target_id, row.data, row.department) == ("case.viewed", "C1", {"k": "v"}, "D01")
    assert row.at == entry.at and AuditEntry.objects.filter(action="case.viewed").count() == 1
    assert str(row) == f"(id {row.pk}) case.viewed"


def test_sealing_chains_the_entries_in_id_order_and_verifies():
    pks = _record(5)
    assert audit_verify().count == 0 and audit_pending()[0] == 5
    assert audit_seal() == 5
    chain = _chain()
    assert [(pk, seq) for pk, seq, _p, _h in chain] == list(zip(pks, range(1, 6), strict=True))
    assert chain[0][2] == GENESIS
    assert all(b[2] == a[3] for a, b in zip(chain, chain[1:], strict=False))
    result = audit_verify()
    assert result.ok and result.count == 5 and result.pending == 0 and result.oldest_pending is None
    assert audit_anchor() == (5, chain[-1][3])
    assert str(AuditEntry.objects.get(seq=2)) == "#2 case.viewed"


def test_the_hash_is_the_chain_layout_over_the_stored_values():
    audit_record(action="case.viewed", target_type="case", target_id="C9", data={"b": [1, 2], "a": None})
    audit_seal()
    entry = AuditEntry.objects.get()
    fields = {f: getattr(entry, f) for f in ("seq", "at", "actor_id", "actor_label", "on_behalf_of", "department",
                                             "action", "target_type", "target_id", "data")}
    assert entry.hash == entry_hash(prev_hash=GENESIS, **fields)


def test_sealing_twice_is_a_no_op():
    _record(3)
    assert audit_seal() == 3
    before = _chain()
    assert audit_seal() == 0 and audit_seal(wait=False) == 0
    assert _chain() == before


def test_later_entries_extend_the_sealed_chain():
    _record(2)
    audit_seal()
    head = audit_anchor()
    _record(3, prefix="F")
    assert audit_anchor() == head  # unsealed entries do not move the anchor
    assert audit_seal() == 3
    chain = _chain()
    assert [seq for _pk, seq, _p, _h in chain] == [1, 2, 3, 4, 5] and chain[2][2] == head[1]
    assert audit_verify(anchor=head).ok


def test_limit_and_batches():
    _record(7)
    assert audit_seal(limit=3) == 3
    assert audit_pending()[0] == 4 and audit_verify().count == 3
    assert audit_seal(batch_size=2) == 4  # four batches of up to 2, one transaction each
    assert [seq for _pk, seq, _p, _h in _chain()] == list(range(1, 8)) and audit_verify().ok


def test_verify_reports_the_pending_entries_apart_from_the_chain():
    _record(2)
    audit_seal()
    started = timezone.now()
    _record(3, prefix="P")
    result = audit_verify()
    assert result.ok and result.count == 2 and result.message == "OK: 2 entries"
    assert result.pending == 3 and result.oldest_pending >= started
    assert dt.timedelta(0) <= result.pending_age < dt.timedelta(minutes=1) and not result.pending_stale


def test_an_entry_pending_for_long_is_stale():
    AuditEntry.objects.create(action="old", at=timezone.now() - dt.timedelta(minutes=6))  # a lost seal
    result = audit_verify()
    assert result.ok and result.pending == 1 and result.pending_stale
    assert audit_seal() == 1 and not audit_verify().pending_stale


def test_one_after_commit_sealer_per_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        _record(3)
    assert len(callbacks) == 1
    callbacks[0]()
    assert audit_pending()[0] == 0 and audit_verify().count == 3


def test_a_rolled_back_savepoint_drops_its_sealer_and_the_next_entry_registers_again(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            audit_record(action="doomed")
            raise RuntimeError
        audit_record(action="kept")
    assert len(callbacks) == 1
    assert list(AuditEntry.objects.values_list("action", "seq")) == [("kept", 1)]


def test_the_after_commit_sealer_seals(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(action="case.viewed", target_id="C1")
    entry.refresh_from_db()
    assert entry.seq == 1 and audit_verify().ok
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # a new sealer once one ran
        audit_record(action="case.viewed", target_id="C2")
    assert len(callbacks) == 1 and audit_verify().count == 2


def test_a_failed_after_commit_seal_is_logged_and_the_entry_sealed_later(
        django_capture_on_commit_callbacks, monkeypatch, caplog):
    def broken(**kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "audit_seal", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(action="case.viewed")  # the caller sees no error: its work committed
    assert "audit_seal_after_commit" in caplog.text
    monkeypatch.undo()
    assert AuditEntry.objects.get(pk=entry.pk).seq is None and audit_pending()[0] == 1
    assert seal_task.delay().get() == 1  # the periodic task picks it up
    assert AuditEntry.objects.get(pk=entry.pk).seq == 1 and audit_verify().ok


@pytest.mark.parametrize("data", [{"x": float("nan")}, {"x": float("inf")}, {"note": "\ud800"}])
def test_values_the_sealer_could_not_hash_are_refused_when_written(data):
    with pytest.raises(ValueError):  # UnicodeEncodeError is a ValueError
        audit_record(action="bad", data=data)
    assert not AuditEntry.objects.exists()


# --- PostgreSQL triggers -------------------------------------------------------------------------


def _refused(change):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change()


@pytest.mark.skipif(not ON_POSTGRES, reason="triggers exist on PostgreSQL only")
def test_an_unsealed_entry_cannot_be_edited_or_deleted():
    pk = audit_record(action="case.viewed", target_id="C1").pk
    entries = AuditEntry.objects.filter(pk=pk)
    _refused(lambda: entries.update(target_id="C2"))
    _refused(lambda: entries.update(data={"forged": True}))
    _refused(lambda: entries.update(at=timezone.now()))
    _refused(lambda: entries.delete())
    # Sealing together with a content change, or only partly, is refused too.
    _refused(lambda: entries.update(seq=1, prev_hash=GENESIS, hash="a" * 64, action="forged"))
    _refused(lambda: entries.update(seq=1))
    _refused(lambda: entries.update(seq=1, prev_hash=GENESIS))
    assert entries.values_list("target_id", "action", "seq").get() == ("C1", "case.viewed", None)
    assert audit_seal() == 1 and audit_verify().ok


@pytest.mark.skipif(not ON_POSTGRES, reason="triggers exist on PostgreSQL only")
def test_a_sealed_entry_cannot_be_resealed_or_edited():
    _record(2)
    audit_seal()
    first = AuditEntry.objects.filter(seq=1)
    _refused(lambda: first.update(seq=9))
    _refused(lambda: first.update(hash="b" * 64))
    _refused(lambda: first.update(seq=None, prev_hash=None, hash=None))  # "unsealing" to edit later
    _refused(lambda: first.update(action="forged"))
    assert audit_verify().ok and audit_verify().count == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="triggers exist on PostgreSQL only")
def test_sealing_by_hand_with_the_right_columns_passes_the_trigger():
    """The trigger does not check the hash itself (verify does): it only keeps the content fixed."""
    pk = audit_record(action="case.viewed").pk
    AuditEntry.objects.filter(pk=pk).update(seq=1, prev_hash=GENESIS, hash="c" * 64)
    assert audit_verify().problem == "hash_mismatch"
