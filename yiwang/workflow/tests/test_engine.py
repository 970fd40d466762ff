"""Serial and parallel stages, pre-review actions, permissions and the double-completion race."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from yiwang.audit.models import AuditEntry
from yiwang.workflow import services
from yiwang.workflow.constants import InstanceState, Outcome, Quorum, TaskState
from yiwang.workflow.models import Instance, Task

from .conftest import SUBJECT, open_task

pytestmark = pytest.mark.django_db


def test_serial_advance_to_approval(serial_definition, start, staff, recorder):
    scj = staff("SCJ")
    instance = start(serial_definition, "C-1")
    assert instance.title == "测试事项"  # from the hook's describe()
    for action in ("accept", "approve", "approve"):
        task = open_task(instance)
        services.task_complete(task=task, actor=scj, action=action, comment="同意")
    instance.refresh_from_db()
    assert (instance.state, instance.outcome) == (InstanceState.COMPLETED, Outcome.APPROVED)
    assert list(instance.tasks.order_by("id").values_list("stage__name", "state", "action")) == [
        ("受理", "completed", "accept"), ("审查", "completed", "approve"), ("决定", "completed", "approve")]
    assert recorder.names("C-1") == ["started", "stage_started", "accepted", "stage_started", "approved",
                                     "stage_started", "approved", "completed"]
    timeline = [e.action for e in instance.events.order_by("at", "id")]
    assert timeline == recorder.names("C-1")
    assert AuditEntry.objects.filter(target_id="C-1", action="workflow.accepted", actor_label=scj.username).exists()


def test_refuse_ends_with_reasons_and_reason_is_required(serial_definition, start, staff):
    scj = staff("SCJ")
    instance = start(serial_definition)
    task = open_task(instance)
    with pytest.raises(ValidationError) as exc:
        services.task_complete(task=task, actor=scj, action="refuse", comment="  ")
    assert "comment" in exc.value.message_dict
    services.task_complete(task=task, actor=scj, action="refuse", comment="不属于本部门职权范围")
    instance.refresh_from_db()
    assert (instance.state, instance.outcome) == (InstanceState.COMPLETED, Outcome.REFUSED)
    assert not instance.tasks.filter(state="open").exists()


def test_supplement_waits_then_reopens(serial_definition, start, staff, recorder):
    scj = staff("SCJ")
    instance = start(serial_definition)
    task = open_task(instance)
    with pytest.raises(ValidationError):
        services.task_complete(task=task, actor=scj, action="request_supplement", missing=[])
    services.task_complete(task=task, actor=scj, action="request_supplement",
                           missing=["营业执照复印件", "场所平面图"])
    task.refresh_from_db()
    instance.refresh_from_db()
    assert task.state == TaskState.WAITING_SUPPLEMENT and task.missing == ["营业执照复印件", "场所平面图"]
    assert instance.state == InstanceState.SUSPENDED
    with pytest.raises(services.Conflict):  # waiting: no action until the applicant supplies
        services.task_complete(task=task, actor=scj, action="accept")
    with pytest.raises(services.Conflict):  # a supplement is not a special procedure
        services.instance_resume(instance=instance, actor=scj)
    services.supplement_receive(instance=instance)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    services.task_complete(task=task, actor=scj, action="accept")
    assert open_task(instance).stage.name == "审查"
    assert "supplement_requested" in recorder.names() and "supplement_received" in recorder.names()
    with pytest.raises(services.Conflict):
        services.supplement_receive(instance=instance)


def test_tolerant_acceptance_blocks_conclusion_until_materials_arrive(serial_definition, start, staff):
    scj = staff("SCJ")
    instance = start(serial_definition)
    services.task_complete(task=open_task(instance), actor=scj, action="accept_tolerant", missing=["消防验收意见书"])
    instance.refresh_from_db()
    assert instance.pending_materials == ["消防验收意见书"] and instance.pending_materials_due is not None
    services.task_complete(task=open_task(instance), actor=scj, action="approve")  # review may go on
    final = open_task(instance)
    with pytest.raises(services.Conflict) as exc:
        services.task_complete(task=final, actor=scj, action="approve")
    assert exc.value.legal == ["deny"]
    services.materials_receive(instance=instance, actor=scj)
    services.task_complete(task=final, actor=scj, action="approve")
    instance.refresh_from_db()
    assert instance.outcome == Outcome.APPROVED and instance.pending_materials == []


@pytest.fixture
def actors(staff):
    return {code: staff(code) for code in ("SCJ", "GAJ", "WJW", "ZJJ")}


def _vote(instance, votes, actors):
    for code, action in votes:
        services.task_complete(task=open_task(instance, code), actor=actors[code], action=action,
                               comment=f"{code}意见")


@pytest.fixture
def parallel_start(parallel_definition, start, actors):
    def make(quorum, n=0, final=True):
        instance = start(parallel_definition(quorum, n, final))
        services.task_complete(task=open_task(instance), actor=actors["SCJ"], action="accept")
        assert sorted(instance.tasks.filter(state="open").values_list("department", flat=True)) == ["GAJ", "WJW", "ZJJ"]
        return instance
    return make


def _stage_states(instance):
    return dict(instance.tasks.filter(stage__kind="parallel").values_list("department", "state"))


def test_parallel_all_waits_for_every_department(parallel_start, actors):
    instance = parallel_start(Quorum.ALL)
    _vote(instance, [("GAJ", "agree"), ("WJW", "agree")], actors)
    assert open_task(instance).department == "ZJJ"
    _vote(instance, [("ZJJ", "agree")], actors)
    assert open_task(instance).stage.name == "决定"
    decided = instance.events.get(action="parallel_decided")
    assert decided.data == {"passed": True, "agree": 3, "disagree": 0, "needed": 3, "cancelled": 0}


def test_parallel_all_one_disagree_decides_and_goes_to_decision(parallel_start, actors):
    instance = parallel_start(Quorum.ALL)
    _vote(instance, [("GAJ", "disagree")], actors)
    assert _stage_states(instance) == {"GAJ": "completed", "WJW": "cancelled", "ZJJ": "cancelled"}
    assert instance.events.get(action="parallel_decided").data["passed"] is False
    final = open_task(instance)
    assert final.stage.name == "决定"
    services.task_complete(task=final, actor=actors["SCJ"], action="deny", comment="公安部门不同意")
    instance.refresh_from_db()
    assert instance.outcome == Outcome.DENIED


def test_parallel_disagree_as_last_stage_denies(parallel_start, actors):
    instance = parallel_start(Quorum.ALL, final=False)
    _vote(instance, [("WJW", "disagree")], actors)
    instance.refresh_from_db()
    assert (instance.state, instance.outcome) == (InstanceState.COMPLETED, Outcome.DENIED)


def test_parallel_any_first_agree_cancels_the_rest(parallel_start, actors):
    instance = parallel_start(Quorum.ANY)
    _vote(instance, [("GAJ", "disagree"), ("WJW", "agree")], actors)
    assert _stage_states(instance) == {"GAJ": "completed", "WJW": "completed", "ZJJ": "cancelled"}
    assert open_task(instance).stage.name == "决定"


def test_parallel_two_of_three(parallel_start, actors):
    instance = parallel_start(Quorum.N, 2)
    _vote(instance, [("GAJ", "agree"), ("WJW", "disagree")], actors)
    assert open_task(instance, "ZJJ")  # 1 agree, 1 disagree: still undecided
    _vote(instance, [("ZJJ", "agree")], actors)
    assert instance.events.get(action="parallel_decided").data["passed"] is True
    failing = parallel_start(Quorum.N, 2)
    _vote(failing, [("GAJ", "disagree"), ("ZJJ", "disagree")], actors)  # 2 of 3 can no longer agree
    assert failing.events.get(action="parallel_decided").data["passed"] is False
    assert _stage_states(failing)["WJW"] == "cancelled"


def test_illegal_action_conflict_lists_legal_ones(serial_definition, start, staff):
    instance = start(serial_definition)
    with pytest.raises(services.Conflict) as exc:
        services.task_complete(task=open_task(instance), actor=staff("SCJ"), action="approve")
    assert exc.value.legal == ["accept", "refuse", "request_supplement", "accept_tolerant"]
    assert "accept" in str(exc.value)
    with pytest.raises(services.Conflict):
        services.task_complete(task=open_task(instance), actor=staff("SCJ"), action="no_such_action")


def test_wrong_department_denied_assignee_allowed(serial_definition, start, staff):
    instance = start(serial_definition)
    task = open_task(instance)
    gaj = staff("GAJ")
    with pytest.raises(PermissionDenied):
        services.task_complete(task=task, actor=gaj, action="accept")
    with pytest.raises(PermissionDenied):
        services.task_complete(task=task, actor=None, action="accept")
    with pytest.raises(ValidationError):  # only own staff can be assigned
        services.task_assign(task=task, assignee=gaj, actor=staff("SCJ"))
    Task.objects.filter(pk=task.pk).update(assignee=gaj)  # e.g. a seconded handler
    task.refresh_from_db()
    services.task_complete(task=task, actor=gaj, action="accept")
    assert Task.objects.get(pk=task.pk).completed_by == gaj


def test_hook_failure_rolls_the_transition_back(serial_definition, start, staff, recorder):
    instance = start(serial_definition)
    recorder.fail_on = "accepted"
    with pytest.raises(RuntimeError):
        services.task_complete(task=open_task(instance), actor=staff("SCJ"), action="accept")
    assert open_task(instance).stage.name == "受理"
    assert not instance.events.filter(action="accepted").exists()


def test_suspend_and_resume_as_task_actions(serial_definition, start, staff):
    scj = staff("SCJ")
    instance = start(serial_definition)
    services.task_complete(task=open_task(instance), actor=scj, action="accept")
    review = open_task(instance)
    with pytest.raises(ValidationError):
        services.task_complete(task=review, actor=scj, action="suspend")  # no reason
    services.task_complete(task=review, actor=scj, action="suspend", comment="需现场核查", suspension_kind="inspection")
    instance.refresh_from_db()
    assert instance.state == InstanceState.SUSPENDED
    assert instance.suspensions.get().kind == "inspection"
    with pytest.raises(services.Conflict) as exc:
        services.task_complete(task=review, actor=scj, action="approve")
    assert exc.value.legal == ["resume"]
    services.task_complete(task=review, actor=scj, action="resume")
    services.task_complete(task=review, actor=scj, action="approve")
    assert open_task(instance).stage.name == "决定"


def test_instance_start_twice_and_terminate(serial_definition, start):
    instance = start(serial_definition, "C-DUP")
    with pytest.raises(services.Conflict):
        start(serial_definition, "C-DUP")
    services.instance_terminate(instance=instance, reason="申请人撤回")
    instance.refresh_from_db()
    assert instance.state == InstanceState.TERMINATED and not instance.tasks.filter(state="open").exists()
    with pytest.raises(services.Conflict):
        services.instance_terminate(instance=instance, reason="again")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_double_completion_exactly_one_wins(serial_definition, start, staff, recorder):
    """Two handlers complete one task at once: one succeeds, the other gets Conflict. On PostgreSQL
    two threads really race (the hook sleeps inside the winner's transaction); SQLite serialises
    writers, so there the second completion runs after the first."""
    scj, scj2 = staff("SCJ"), staff("SCJ", "handler")
    instance = start(serial_definition, "C-RACE")
    task = open_task(instance)
    results = []
    if connection.vendor == "postgresql":
        recorder.sleep = 0.3
        barrier = threading.Barrier(2)

        def act(actor):
            try:
                barrier.wait()
                services.task_complete(task=Task.objects.get(pk=task.pk), actor=actor, action="accept")
                results.append("ok")
            except services.Conflict:
                results.append("conflict")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=act, args=(a,)) for a in (scj, scj2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    else:
        stale = Task.objects.get(pk=task.pk)
        services.task_complete(task=task, actor=scj, action="accept")
        results.append("ok")
        with pytest.raises(services.Conflict):
            services.task_complete(task=stale, actor=scj2, action="accept")
        results.append("conflict")
    assert sorted(results) == ["conflict", "ok"]
    instance = Instance.objects.get(subject_type=SUBJECT, subject_id="C-RACE")
    assert instance.tasks.filter(stage__name="受理", state="completed").count() == 1
    assert instance.tasks.filter(stage__name="审查").count() == 1
    assert instance.events.filter(action="accepted").count() == 1


def test_assign_to_a_colleague(serial_definition, start, staff, recorder):
    scj, colleague = staff("SCJ"), staff("SCJ", "handler")
    instance = start(serial_definition)
    task = services.task_assign(task=open_task(instance), assignee=colleague, actor=scj)
    assert Task.objects.get(pk=task.pk).assignee == colleague
    assert instance.events.filter(action="assigned", data__assignee=colleague.username).exists()
    services.task_complete(task=task, actor=scj, action="accept")
    with pytest.raises(services.Conflict):
        services.task_assign(task=task, assignee=colleague, actor=scj)
    services.instance_terminate(instance=instance, reason="作废")
    with pytest.raises(services.Conflict):
        services.clock_start(instance=instance, days=5)
