from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_anchor
from yiwang.audit.services import audit_record

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, "--no-progress", stdout=out)
    return out.getvalue()


def _log(n):
    for i in range(n):
        audit_record(action="item.published", target_id=f"I{i}")


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
