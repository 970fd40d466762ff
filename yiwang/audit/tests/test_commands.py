import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_anchor
from yiwang.audit.services import audit_record, audit_seal

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, "--no-progress", stdout=out)
    return out.getvalue()


def _log(n):
    for i in range(n):
        audit_record(action="item.published", target_id=f"I{i}")
    audit_seal()


def test_verify_audit_reports_ok_and_prints_the_anchor():
    _log(4)
    out = _run("--print-anchor")
    seq, digest = audit_anchor()
    assert out.splitlines() == ["OK: 4 entries", f"{seq}:{digest}"]


def test_verify_audit_names_the_first_edited_entry():
    _log(4)
    with triggers_disabled():
        AuditEntry.objects.filter(seq__in=[2, 3]).update(action="item.withdrawn")
    with pytest.raises(CommandError, match=r"第 2 条记录.*\[hash_mismatch\]"):
        _run()


def test_verify_audit_names_a_gap():
    _log(4)
    with triggers_disabled():
        AuditEntry.objects.filter(seq=2).delete()
    with pytest.raises(CommandError, match=r"第 3 条记录.*\[seq_gap\]"):
        _run()


def test_verify_audit_with_anchor_detects_tail_truncation():
    _log(4)
    seq, digest = audit_anchor()
    assert _run("--anchor", f"{seq}:{digest}").startswith("OK: 4 entries")
    with triggers_disabled():
        AuditEntry.objects.filter(seq=4).delete()
    assert _run().startswith("OK: 3 entries")
    with pytest.raises(CommandError, match=r"\[tail_truncated\]"):
        _run("--anchor", f"{seq}:{digest}")


def test_verify_audit_rejects_a_malformed_anchor():
    with pytest.raises(CommandError, match="锚点格式"):
        _run("--anchor", "4-abc")


def _seal(*args) -> str:
    out = StringIO()
    call_command("seal_audit", *args, stdout=out)
    return out.getvalue()


def test_verify_audit_reports_pending_entries_on_their_own_line():
    _log(2)
    audit_record(action="item.published", target_id="late")  # written, not sealed yet
    lines = _run("--print-anchor").splitlines()
    seq, digest = audit_anchor()
    assert lines[0] == "OK: 2 entries" and lines[-1] == f"{seq}:{digest}" == lines[2]
    assert lines[1].startswith("待封存：1 条")


def test_verify_audit_warns_about_an_entry_pending_for_long():
    AuditEntry.objects.create(action="lost", at=timezone.now() - dt.timedelta(minutes=30))
    out, err = StringIO(), StringIO()
    call_command("verify_audit", "--no-progress", stdout=out, stderr=err)  # a warning, not a failure
    assert out.getvalue().startswith("OK: 0 entries") and "待封存：1 条" in out.getvalue()
    assert "超过 5 分钟" in err.getvalue() and "seal_audit" in err.getvalue()
    assert _seal() == "已封存 1 条，仍待封存 0 条。\n"
    err = StringIO()
    call_command("verify_audit", "--no-progress", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""


def test_seal_audit_seals_pending_entries_and_is_repeatable():
    for i in range(3):
        audit_record(action="item.published", target_id=f"I{i}")
    assert _seal("--limit", "2") == "已封存 2 条，仍待封存 1 条。\n"
    assert _seal() == "已封存 1 条，仍待封存 0 条。\n"
    assert _seal() == "已封存 0 条，仍待封存 0 条。\n"
    assert _run().startswith("OK: 3 entries")


def test_seal_audit_rejects_a_bad_limit():
    with pytest.raises(CommandError, match="正整数"):
        _seal("--limit", "0")
