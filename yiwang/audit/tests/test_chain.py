import datetime as dt
import decimal

import pytest
from django.db import DatabaseError, connection, transaction

from yiwang.audit.chain import GENESIS, canonical_json, entry_hash
from yiwang.audit.constants import ChainBreak
from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_anchor, audit_verify, parse_anchor
from yiwang.audit.services import audit_record, audit_seal
from yiwang.core.ids import make_id_number

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db
ON_POSTGRES = connection.vendor == "postgresql"
ID_NUMBER = make_id_number("330106", dt.date(1990, 1, 1), 117, "M")


def _log(n: int) -> list[AuditEntry]:
    """n entries, sealed (as after their commits), in seq order."""
    pks = [audit_record(action="case.viewed", target_type="case", target_id=f"C{i}", data={"i": i}).pk
           for i in range(1, n + 1)]
    assert audit_seal() == n
    return list(AuditEntry.objects.filter(pk__in=pks).order_by("seq"))


def _assert_refused_on_postgres(queryset_change):
    """On PostgreSQL the trigger refuses the change; on SQLite it goes through (verify is the guard)."""
    if ON_POSTGRES:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            queryset_change()


def test_empty_log_verifies_and_anchors_at_genesis():
    result = audit_verify()
    assert result.ok and result.count == 0 and result.message == "OK: 0 entries"
    assert audit_anchor() == (0, GENESIS)


def test_appended_entries_form_a_chain_that_verifies():
    entries = _log(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    result = audit_verify(chunk_size=2)  # several chunks
    assert result.ok and result.count == 5 and result.head == (5, entries[-1].hash)
    assert audit_anchor() == (5, entries[-1].hash)


def test_editing_an_entry_is_refused_on_postgres_and_named_by_verify():
    _log(5)
    _assert_refused_on_postgres(lambda: AuditEntry.objects.filter(seq=3).update(target_id="C999"))
    with triggers_disabled():
        AuditEntry.objects.filter(seq=3).update(target_id="C999")
    result = audit_verify()
    assert not result.ok
    assert (result.broken_seq, result.problem, result.count) == (3, ChainBreak.HASH_MISMATCH, 2)
    assert "[hash_mismatch]" in result.message and "第 3 条" in result.message


def test_editing_the_data_json_is_detected():
    _log(3)
    with triggers_disabled():
        AuditEntry.objects.filter(seq=2).update(data={"i": 2, "extra": True})
    result = audit_verify()
    assert (result.broken_seq, result.problem) == (2, ChainBreak.HASH_MISMATCH)


def test_deleting_an_entry_in_the_middle_is_refused_on_postgres_and_named_as_a_gap():
    _log(5)
    _assert_refused_on_postgres(lambda: AuditEntry.objects.filter(seq=3).delete())
    with triggers_disabled():
        AuditEntry.objects.filter(seq=3).delete()
    result = audit_verify()
    assert (result.ok, result.broken_seq, result.problem, result.count) == (False, 4, ChainBreak.SEQ_GAP, 2)
    assert "缺少第 3 至 3 条" in result.message


def test_deleting_the_first_entry_is_a_gap_at_the_start():
    _log(3)
    with triggers_disabled():
        AuditEntry.objects.filter(seq=1).delete()
    result = audit_verify()
    assert (result.broken_seq, result.problem, result.count) == (2, ChainBreak.SEQ_GAP, 0)


def test_deleting_and_renumbering_breaks_the_prev_hash_link():
    _log(5)
    with triggers_disabled():
        AuditEntry.objects.filter(seq=3).delete()
        for seq in (4, 5):
            AuditEntry.objects.filter(seq=seq).update(seq=seq - 1)
    result = audit_verify()
    assert (result.broken_seq, result.problem) == (3, ChainBreak.PREV_HASH_MISMATCH)


def test_truncating_the_tail_is_only_found_with_an_external_anchor():
    _log(5)
    anchor = audit_anchor()
    with triggers_disabled():
        AuditEntry.objects.filter(seq__gte=4).delete()
    assert audit_verify().ok  # a shorter chain is still consistent on its own
    result = audit_verify(anchor=anchor)
    assert (result.ok, result.broken_seq, result.problem, result.count) == (False, 4, ChainBreak.TAIL_TRUNCATED, 3)


def test_a_rewritten_chain_with_recomputed_hashes_is_found_with_the_anchor():
    _log(5)
    anchor = audit_anchor()
    rows = list(AuditEntry.objects.order_by("seq").values())
    prev = rows[1]["hash"]
    with triggers_disabled():  # someone who knows the algorithm rewrites entries 3-5 consistently
        for row in rows[2:]:
            row.update(prev_hash=prev, target_id=row["target_id"] + "-forged")
            fields = {k: row[k] for k in ("seq", "at", "actor_id", "actor_label", "on_behalf_of", "department",
                                          "action", "target_type", "target_id", "data")}
            row["hash"] = prev = entry_hash(prev_hash=row["prev_hash"], **fields)
            AuditEntry.objects.filter(seq=row["seq"]).update(prev_hash=row["prev_hash"], hash=row["hash"],
                                                             target_id=row["target_id"])
    assert audit_verify().ok
    result = audit_verify(anchor=anchor)
    assert (result.broken_seq, result.problem) == (5, ChainBreak.ANCHOR_MISMATCH)


def test_anchor_beyond_an_intact_log_and_matching_anchor():
    _log(3)
    seq, digest = audit_anchor()
    assert audit_verify(anchor=(seq, digest)).ok
    assert audit_verify(anchor=(2, AuditEntry.objects.get(seq=2).hash)).ok  # an older anchor still fits
    assert audit_verify(anchor=(2, "f" * 64)).problem == ChainBreak.ANCHOR_MISMATCH
    assert audit_verify(anchor=(0, "f" * 64)).problem == ChainBreak.ANCHOR_MISMATCH


@pytest.mark.parametrize("text", ["", "abc", "3:xyz", "3:" + "a" * 63, "-1:" + "a" * 64, "3;" + "a" * 64])
def test_parse_anchor_rejects_malformed_text(text):
    with pytest.raises(ValueError, match="锚点"):
        parse_anchor(text)


def test_timestamps_are_read_back_exactly_for_the_hash():
    """On PostgreSQL verification lets the database compute the microseconds; they must agree."""
    moments = [
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 23, 59, 59, 500000, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2025, 6, 1, 8, 0, 0, 123457, tzinfo=dt.UTC),
    ]
    prev = GENESIS
    for seq, at in enumerate(moments, start=1):
        fields = {"seq": seq, "at": at, "actor_id": None, "actor_label": "", "on_behalf_of": "", "department": "",
                  "action": "t", "target_type": "", "target_id": "", "data": {}}
        digest = entry_hash(prev_hash=prev, **fields)
        AuditEntry.objects.create(prev_hash=prev, hash=digest, **fields)
        prev = digest
    assert audit_verify().ok
    with triggers_disabled():
        AuditEntry.objects.filter(seq=3).update(at=moments[2] + dt.timedelta(microseconds=1))
    assert (audit_verify().broken_seq, audit_verify().problem) == (3, ChainBreak.HASH_MISMATCH)


def test_verify_with_a_progress_bar_writes_to_stderr(capsys):
    _log(3)
    assert audit_verify(progress=True).ok
    assert "3/3" in capsys.readouterr().err


def test_parse_anchor_accepts_upper_case_hex():
    assert parse_anchor(" 7:" + "AB" * 32 + " ") == (7, "ab" * 32)


def test_update_through_a_save_is_refused_on_postgres():
    entry = _log(1)[0]
    entry.action = "changed"
    if ON_POSTGRES:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            entry.save()
    else:
        entry.save()
        assert audit_verify().problem == ChainBreak.HASH_MISMATCH


def test_json_data_round_trips_and_verifies_with_what_the_database_returns():
    data = {
        "zeta": 1, "alpha": {"y": True, "b": [3, 1, {"键": "值", "a": False}], "x": None},
        "中文": "办件 · “引号” \\ 反斜杠 \n 换行 😀", "neg": -42, "big": 2**62, "ratio": 0.1, "tiny": 1.5e-7,
        "huge_float": 1e16, "on": date_value(), "amount": decimal.Decimal("12.50"), "tuple": (1, 2),
        "Z": {"nested": {"deeper": {"k": [[], {}]}}},
    }
    entry = audit_record(action="test.json", data=data)
    stored = AuditEntry.objects.get(pk=entry.pk).data
    assert canonical_json(stored) == canonical_json(entry.data)
    assert stored["alpha"]["b"][2] == {"键": "值", "a": False}
    assert stored["big"] == 2**62 and stored["alpha"]["y"] is True and stored["neg"] == -42
    assert stored["on"] == "2024-02-29" and stored["amount"] == "12.50" and stored["tuple"] == [1, 2]
    assert stored["huge_float"] == 10**16
    assert stored["中文"] == data["中文"]
    audit_record(action="test.after")
    assert audit_seal() == 2
    result = audit_verify()
    assert result.ok and result.count == 2  # the hash was computed from what the database returned


def date_value():
    return dt.date(2024, 2, 29)


def test_personal_identifiers_are_masked_in_the_stored_entry():
    phone = "13812345678"
    entry = audit_record(
        action="person.viewed", target_type="person", target_id=ID_NUMBER, on_behalf_of=f"委托人 {ID_NUMBER}",
        data={"id_number": ID_NUMBER, "note": f"身份证{ID_NUMBER}，手机{phone}",
              "nested": {"list": [ID_NUMBER.lower(), int(phone)], ID_NUMBER: "as key"}},
    )
    row = AuditEntry.objects.filter(pk=entry.pk).values_list("target_id", "on_behalf_of", "data").get()
    text = repr(row)
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text and phone not in text
    assert row[0] == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert row[2]["nested"]["list"][1] == "138****5678"
    audit_seal()
    assert audit_verify().count == 1


def test_long_values_are_cut_to_the_column_size_and_still_verify():
    audit_record(action="x" * 100, target_id="T" * 500, on_behalf_of="名" * 300)
    audit_seal()
    entry = AuditEntry.objects.get()
    assert len(entry.action) == 60 and len(entry.target_id) == 100 and len(entry.on_behalf_of) == 150
    assert audit_verify().count == 1


def test_actor_and_department_are_recorded_and_user_deletion_leaves_the_chain_intact(django_user_model):
    user = django_user_model.objects.create_user("auditor-1", password="x")
    audit_record(action="login", actor=user)
    audit_record(action="other", department="D001")
    user_pk = user.pk
    user.delete()  # the entry keeps actor_id and the label: deleting a user must not rewrite the log
    audit_seal()
    first, second = AuditEntry.objects.order_by("seq")
    assert (first.actor_id, first.actor_label, second.department) == (user_pk, "auditor-1", "D001")
    assert audit_verify().ok


def test_audit_record_rolls_back_with_the_surrounding_transaction():
    _log(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="doomed")
        raise RuntimeError
    assert AuditEntry.objects.count() == 1
    entry = audit_record(action="next")
    audit_seal()
    entry.refresh_from_db()
    assert entry.seq == 2 and audit_verify().count == 2
