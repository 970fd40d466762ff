"""Submits written together (cases/submit.py): each keeps its own answer, one cannot fail another,
and a batch costs the statements of about one submit."""

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError

from yiwang.audit.models import AuditEntry
from yiwang.cases import services
from yiwang.cases import submit as submitting
from yiwang.cases.models import Application, Case, IdempotencyRecord
from yiwang.licenses.models import License, LicenseUse
from yiwang.workflow.models import Instance, Task

from .conftest import ITEM, OTHER, issue

pytestmark = pytest.mark.django_db

FILLED = {"print_range": "近一年", "apply_reason": "办理贷款"}


def _ready(user, data=FILLED):
    application = services.application_start(user=user, item_code=ITEM)
    return services.application_update(user=user, application=application, data=data)


def _request(user, application, key=""):
    return submitting.SubmitRequest(user=user, application=application, key=key,
                                    endpoint=f"POST /api/v1/applications/{application.pk}/submit")


@pytest.fixture
def other_id_card(other_citizen):
    return issue("resident_id_card", OTHER, {"姓名": OTHER[0], "性别": "女", "公民身份号码": OTHER[3],
                                             "住址": "杭州市"})


def test_a_batch_of_submits_writes_each_its_case_licence_use_workflow_and_record(
        citizen, id_card, other_citizen, other_id_card):
    drafts = [(citizen, _ready(citizen)), (other_citizen, _ready(other_citizen)), (citizen, _ready(citizen))]
    results = submitting.submit_many([_request(u, a, key=f"k{i}") for i, (u, a) in enumerate(drafts)])
    numbers = [r.body["cases"][0]["number"] for r in results]
    assert [r.status for r in results] == [201, 201, 201]
    assert len(set(numbers)) == 3 and [n[-5:] for n in sorted(numbers)] == ["00001", "00002", "00003"]
    for (user, application), number in zip(drafts, numbers, strict=True):
        case = Case.objects.get(number=number)
        assert (case.application_id, case.applicant_id, case.status) == (application.pk, user.pk, "submitted")
        assert Application.objects.get(pk=application.pk).status == "submitted"
        use = LicenseUse.objects.get(case_number=number)
        assert use.license_id == (id_card.pk if user == citizen else other_id_card.pk) and use.used_by_id == user.pk
        # Each held material names the use that backs it (one UPDATE for the whole batch).
        held = application.materials.get(status="held_by_government")
        assert held.license_use_ids == [use.pk]
        assert list(Task.objects.filter(instance__subject_id=number).values_list("department", "state")) == [
            ("RSJ", "open")]
        assert set(AuditEntry.objects.filter(target_id=number).values_list("action", flat=True)) == {
            "workflow.started", "workflow.stage_started"}
    assert IdempotencyRecord.objects.count() == 3
    assert AuditEntry.objects.filter(action="application.submit").count() == 3


def test_a_submit_with_errors_gets_them_and_the_others_go_on(citizen, id_card, other_citizen, other_id_card):
    good = _ready(citizen)
    incomplete = _ready(other_citizen, data={"print_range": "近一年"})
    results = submitting.submit_many([_request(other_citizen, incomplete), _request(citizen, good)])
    assert isinstance(results[0], ValidationError) and "apply_reason" in results[0].message_dict
    assert results[1].status == 201
    assert Application.objects.get(pk=incomplete.pk).status == "draft"
    assert Case.objects.filter(application=incomplete).count() == 0
    assert Case.objects.filter(application=good).count() == 1


def test_the_same_draft_twice_in_a_batch_is_submitted_once(citizen, id_card):
    application = _ready(citizen)
    first, again, other_key = submitting.submit_many([
        _request(citizen, application, key="same"), _request(citizen, application, key="same"),
        _request(citizen, application, key="another")])
    assert first.status == 201 and not first.replayed
    assert again.replayed and again.body == first.body
    assert isinstance(other_key, services.Conflict)
    assert Case.objects.count() == 1 and Instance.objects.count() == 1


def test_a_licence_revoked_while_the_batch_writes_fails_only_its_own_submit(
        citizen, id_card, other_citizen, other_id_card, monkeypatch):
    """The batch rolls back and each submit runs again alone: the one whose licence was revoked gets
    the error, the other its case, and nothing of the first attempt stays."""
    numbering, calls = submitting.case_numbers_next, {"n": 0}

    def revoke_then_number(**kwargs):
        calls["n"] += 1
        License.objects.filter(pk=other_id_card.pk).update(status="revoked")
        return numbering(**kwargs)

    monkeypatch.setattr(submitting, "case_numbers_next", revoke_then_number)
    mine, theirs = _ready(citizen), _ready(other_citizen)
    results = submitting.submit_many([_request(citizen, mine), _request(other_citizen, theirs)])
    assert results[0].status == 201
    assert isinstance(results[1], ValidationError)
    assert Case.objects.get().application_id == mine.pk
    # The batch numbered both (00001, 00002) and rolled back; alone, mine got 00001 again.
    assert Case.objects.get().number.endswith("-00001")
    assert LicenseUse.objects.get().license_id == id_card.pk
    assert Application.objects.get(pk=theirs.pk).status == "draft"


def test_a_batch_costs_about_the_statements_of_one_submit(citizen, id_card, other_citizen, other_id_card,
                                                          django_assert_max_num_queries):
    services.application_submit(user=citizen, application=_ready(citizen))  # builds the process definition
    drafts = [(citizen, _ready(citizen)) for _ in range(4)] + [(other_citizen, _ready(other_citizen))
                                                              for _ in range(4)]
    with django_assert_max_num_queries(submitting_budget()):
        results = submitting.submit_many([_request(u, a, key=f"b{i}") for i, (u, a) in enumerate(drafts)])
    assert [r.status for r in results] == [201] * 8
    assert Case.objects.count() == 9 and LicenseUse.objects.count() == 9 and Instance.objects.count() == 9


def submitting_budget() -> int:
    from .test_submit_path import MAX_QUERIES

    return MAX_QUERIES


def test_each_submit_of_a_batch_gets_its_messages_in_its_own_language(citizen, id_card, other_citizen,
                                                                     other_id_card):
    """Another thread may run the batch: the errors are in the language of whoever submitted."""
    from django.utils import translation

    mine = _ready(citizen, data={"print_range": "近一年"})
    theirs = _ready(other_citizen, data={"print_range": "近一年"})
    with translation.override("en"):
        english = submitting.SubmitRequest(user=other_citizen, application=theirs)
        expected_en = translation.gettext("此项为必填项。")
    with translation.override("zh-hans"):
        chinese = submitting.SubmitRequest(user=citizen, application=mine)
        results = submitting.submit_many([chinese, english])
    assert expected_en != "此项为必填项。"
    assert results[0].message_dict["apply_reason"] == ["此项为必填项。"]
    assert results[1].message_dict["apply_reason"] == [expected_en]


class _PostgresError(Exception):
    def __init__(self, sqlstate):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _fail_first_numbering(monkeypatch, sqlstate):
    numbering, calls = submitting.case_numbers_next, {"n": 0}

    def fail_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("deadlock detected") from _PostgresError(sqlstate)
        return numbering(**kwargs)

    monkeypatch.setattr(submitting, "case_numbers_next", fail_once)


def test_a_deadlocked_batch_runs_each_submit_alone(citizen, id_card, other_citizen, other_id_card, monkeypatch):
    _fail_first_numbering(monkeypatch, "40P01")
    mine, theirs = _ready(citizen), _ready(other_citizen)
    results = submitting.submit_many([_request(citizen, mine), _request(other_citizen, theirs)])
    assert [r.status for r in results] == [201, 201]
    assert Case.objects.count() == 2 and LicenseUse.objects.count() == 2


def test_other_database_errors_of_a_batch_reach_its_callers(citizen, id_card, other_citizen, other_id_card,
                                                            monkeypatch):
    _fail_first_numbering(monkeypatch, "53300")  # too_many_connections: running alone would not help
    mine, theirs = _ready(citizen), _ready(other_citizen)
    with pytest.raises(OperationalError):
        submitting.submit_many([_request(citizen, mine), _request(other_citizen, theirs)])
    assert not Case.objects.exists()
