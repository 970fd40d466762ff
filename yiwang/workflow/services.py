"""Writes of the workflow engine: definitions, instances, tasks, clocks, suspensions, warnings.

Every transition locks the instance row first (SELECT ... FOR UPDATE; SQLite serialises write
transactions anyway), then re-reads the task and completes it with a conditional UPDATE, so two
handlers acting on one task at once get one success and one Conflict, and the last votes of a
parallel stage are counted one after the other. Each transition writes a WorkflowEvent and an audit
entry and calls the subject's hook (hooks.py), all in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.core.calendar import add_working_days, working_days_between
from yiwang.identity.selectors import staff_department_code

from . import hooks
from .constants import (
    ACCEPT_ACTIONS,
    ACTION_EVENT,
    ADVANCING,
    DECIDE_ACTIONS,
    ENDING,
    LEVEL_WARNING,
    NEEDS_COMMENT,
    NEEDS_MISSING,
    PARALLEL_ACTIONS,
    REVIEW_ACTIONS,
    WARNING_RANK,
    Action,
    EventName,
    InstanceState,
    Outcome,
    Quorum,
    StageKind,
    SuspensionKind,
    TaskState,
    WarningLevel,
    WarningState,
)
from .models import (
    Instance,
    ProcessDefinition,
    StageDefinition,
    Suspension,
    Task,
    WarningRecord,
    WorkflowEvent,
)
from .selectors import legal_actions

logger = logging.getLogger(__name__)


class Conflict(Exception):
    """A transition that is not legal in the current state (the API answers 409)."""

    def __init__(self, message: str, legal: list[str] | None = None):
        super().__init__(message)
        self.legal = legal or []


def escalation_days() -> int:
    return int(getattr(settings, "WORKFLOW_ESCALATION_DAYS", 3))


def _today() -> dt.date:
    return timezone.localdate()


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _("系统")
    return getattr(actor, "display_name", "") or actor.get_username()


# --- definitions -------------------------------------------------------------------------------------

def stage_validate(*, kind: str, departments, quorum: str = Quorum.ALL, quorum_n: int = 0, actions=()) -> None:
    """The rules an editable stage must keep (used by definition_create and the admin)."""
    from yiwang.catalog.models import Department

    errors: dict[str, list[str]] = {}
    if not isinstance(departments, list) or not departments or not all(isinstance(d, str) for d in departments):
        errors["departments"] = [_("请填写至少一个部门编码。")]
    elif kind == StageKind.SINGLE and len(departments) != 1:
        errors["departments"] = [_("单部门环节只能有一个承办部门。")]
    else:
        unknown = sorted(set(departments) - set(Department.objects.filter(code__in=departments)
                                                .values_list("code", flat=True)))
        if unknown:
            errors["departments"] = [_("部门编码不存在：%(codes)s") % {"codes": "、".join(unknown)}]
    allowed = set(PARALLEL_ACTIONS) | {Action.SUSPEND, Action.RESUME} if kind == StageKind.PARALLEL else (
        set(Action.values) - set(PARALLEL_ACTIONS))
    if not isinstance(actions, list) or not actions or not set(actions) <= {str(a) for a in allowed}:
        errors["actions"] = [_("可用操作须为以下之一：%(actions)s") % {"actions": "、".join(sorted(allowed))}]
    if quorum == Quorum.N and (kind != StageKind.PARALLEL or not 1 <= quorum_n <= len(departments or [])):
        errors["quorum_n"] = [_("需同意部门数须在 1 与部门数之间。")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def definition_create(*, key: str, name: str, stages: list[dict], source: str = "",
                      activate: bool = True) -> ProcessDefinition:
    """A new version of `key` with `stages` (dicts of StageDefinition fields, in order)."""
    if not stages:
        raise ValidationError({"stages": [_("流程至少需要一个环节。")]})
    last = ProcessDefinition.objects.filter(key=key).order_by("-version").values_list("version", flat=True).first()
    definition = ProcessDefinition.objects.create(key=key, name=name, version=(last or 0) + 1, source=source)
    for position, stage in enumerate(stages, start=1):
        stage = {**stage, "actions": [str(a) for a in stage.get("actions", [])]}
        stage_validate(kind=stage.get("kind", StageKind.SINGLE), departments=stage.get("departments"),
                       quorum=stage.get("quorum", Quorum.ALL), quorum_n=stage.get("quorum_n", 0),
                       actions=stage["actions"])
        StageDefinition.objects.create(definition=definition, position=position, **stage)
    if activate:
        definition_publish(definition=definition)
    return definition


@transaction.atomic
def definition_publish(*, definition: ProcessDefinition, actor=None) -> ProcessDefinition:
    """Make `definition` the version new instances of its key use; running instances keep theirs."""
    ProcessDefinition.objects.filter(key=definition.key, active=True).exclude(pk=definition.pk).update(active=False)
    ProcessDefinition.objects.filter(pk=definition.pk).update(active=True)
    definition.active = True
    audit_record(action="workflow.definition_publish", actor=actor, target_type="workflow.definition",
                 target_id=f"{definition.key} v{definition.version}")
    return definition


@transaction.atomic
def definition_copy(*, definition: ProcessDefinition, actor=None) -> ProcessDefinition:
    """An unpublished copy as the next version, to edit without touching running instances."""
    stages = [{f: getattr(s, f) for f in ("name", "kind", "departments", "quorum", "quorum_n", "limit_days",
                                          "actions")} for s in definition.stages.order_by("position")]
    copy = definition_create(key=definition.key, name=definition.name, stages=stages, activate=False,
                             source=_("复制自 v%(version)s") % {"version": definition.version})
    audit_record(action="workflow.definition_copy", actor=actor, target_type="workflow.definition",
                 target_id=f"{copy.key} v{copy.version}")
    return copy


_DECISION_WORDS = ("决定", "办结", "签发", "审批", "批准")
_DELIVERY_WORDS = ("送达", "领取", "告知", "寄递", "发放")


def _split_step_days(steps) -> tuple[int, int, int]:
    """(acceptance, review, decision) days from the catalogue's steps: the first step is acceptance,
    steps named like a decision are the decision, delivery steps come after the case concludes."""
    if not steps:
        return 0, 0, 0
    accept, review, decide = steps[0].days, 0, 0
    for step in steps[1:]:
        if any(w in step.name for w in _DELIVERY_WORDS):
            continue
        if any(w in step.name for w in _DECISION_WORDS):
            decide += step.days
        else:
            review += step.days
    return accept, review, decide


def process_for_item(item_code: str) -> ProcessDefinition:
    """The active definition for an item, or a default one built from the published catalogue entry:
    受理 → 审查 → [并联审查 when the item lists parallel departments] → 决定."""
    # Read without a transaction of its own: a submit asks once per case (no savepoint round trips).
    existing = ProcessDefinition.objects.filter(key=item_code, active=True).first()
    if existing is not None:
        return existing
    return _process_build(item_code)


@transaction.atomic
def _process_build(item_code: str) -> ProcessDefinition:
    from yiwang.catalog.selectors import published_version_for

    version = published_version_for(item_code)
    if version is None:
        raise ValidationError({"item": [_("事项“%(code)s”不存在或未发布。") % {"code": item_code}]})
    department = version.department.code
    steps = list(version.process_steps.all())
    accept_days, review_days, decide_days = _split_step_days(steps)
    parallel = sorted(d.code for d in version.parallel_departments.all())
    parallel_days = 0
    if parallel:
        # The parallel opinions take half of the review time; the lead department's review the rest.
        parallel_days = math.ceil(review_days / 2)
        review_days -= parallel_days
    accept_actions = [a for a in ACCEPT_ACTIONS if a != Action.ACCEPT_TOLERANT or version.tolerant_acceptance]
    stages = [
        {"name": _("受理"), "departments": [department], "limit_days": accept_days, "actions": accept_actions},
        {"name": _("审查"), "departments": [department], "limit_days": review_days, "actions": REVIEW_ACTIONS},
    ]
    if parallel:
        stages.append({"name": _("并联审查"), "kind": StageKind.PARALLEL, "departments": parallel,
                       "quorum": Quorum.ALL, "limit_days": parallel_days, "actions": PARALLEL_ACTIONS})
    stages.append({"name": _("决定"), "departments": [department], "limit_days": decide_days,
                   "actions": DECIDE_ACTIONS})
    return definition_create(key=item_code, name=version.name, stages=stages,
                             source=_("事项目录 v%(version)s 默认流程") % {"version": version.version})


# --- transitions -------------------------------------------------------------------------------------

def _record(instance: Instance, event: str, *, actor=None, task: Task | None = None, action: str | None = None,
            comment: str = "", data: dict | None = None, stage: StageDefinition | None = None,
            department: str = "") -> WorkflowEvent:
    entry = _event(instance, event, actor=actor, task=task, comment=comment, data=data, stage=stage,
                   department=department)
    entry.save()
    return _recorded(instance, entry, actor=actor, task=task, action=action)


def _event(instance: Instance, event: str, *, actor=None, task: Task | None = None, comment: str = "",
           data: dict | None = None, stage: StageDefinition | None = None, department: str = "") -> WorkflowEvent:
    """The event row, not yet written (_record writes one; _open_stage writes a transition's in one INSERT)."""
    stage = stage or (task.stage if task else None)
    return WorkflowEvent(
        instance=instance, actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor), department=department or (task.department if task else ""),
        action=event, comment=comment, stage_name=stage.name if stage else "", data=data or {})


def _recorded(instance: Instance, entry: WorkflowEvent, *, actor=None, task: Task | None = None,
              action: str | None = None) -> WorkflowEvent:
    """What follows a written event: its audit entry, then the subject's hook."""
    audit_record(action=f"workflow.{entry.action}", actor=actor, target_type=instance.subject_type,
                 target_id=instance.subject_id, department=entry.department,
                 data={"stage": entry.stage_name, "task": task.pk if task else None, "action": action or "",
                       **entry.data})
    hooks.handler_for(instance.subject_type).on_event(instance, entry.action, task, action, entry.data)
    return entry


def _lock(instance: Instance) -> Instance:
    return Instance.objects.select_for_update().select_related("definition").get(pk=instance.pk)


def _stage_at(instance: Instance, position: int) -> StageDefinition | None:
    return StageDefinition.objects.filter(definition_id=instance.definition_id, position=position).first()


def _new_tasks(instance: Instance, stage: StageDefinition, departments: list[str], due_on: dt.date) -> list[Task]:
    """The one place task rows are built (not yet written): one per department of the stage."""
    return [Task(instance=instance, stage=stage, department=code, due_on=due_on, item_code=instance.definition.key)
            for code in departments]


def _open_stage(instance: Instance, stage: StageDefinition, actor=None, *,
                before: tuple[WorkflowEvent, ...] = ()) -> list[Task]:
    """Open `stage`: its tasks and its stage_started event, written after the events in `before`
    (instance_start's started) in one INSERT; then each event's audit entry and hook, in order."""
    if instance.position != stage.position:  # instance_start creates the instance at its first stage
        instance.position = stage.position
        instance.save(update_fields=["position"])
    return _open_stages([(instance, stage, before, actor)])[0]


def _open_stages(openings: list[tuple[Instance, StageDefinition, tuple[WorkflowEvent, ...], object]]
                 ) -> list[list[Task]]:
    """_open_stage for several instances at their current position (a batch of submits): one INSERT
    for all their tasks, one for all their events; then each instance's events' audit entries and
    hooks, instance by instance and in order."""
    today, due = _today(), {}
    rows, events, tasks_of = [], [], []
    for instance, stage, before, actor in openings:
        if stage.limit_days not in due:
            due[stage.limit_days] = add_working_days(today, stage.limit_days)
        due_on = due[stage.limit_days]
        departments = stage.departments[:1] if stage.kind == StageKind.SINGLE else stage.departments
        built = _new_tasks(instance, stage, departments, due_on)
        rows.extend(built)
        tasks_of.append(built)
        opened = _event(instance, EventName.STAGE_STARTED, actor=actor, stage=stage,
                        data={"departments": list(departments), "due_on": due_on.isoformat()})
        events.append((instance, [*before, opened], actor))
    Task.objects.bulk_create(rows)
    WorkflowEvent.objects.bulk_create([entry for _instance, entries, _actor in events for entry in entries])
    for instance, entries, actor in events:
        for entry in entries:
            _recorded(instance, entry, actor=actor)
    return tasks_of


def _finish(instance: Instance, *, state: str, outcome: str | None, actor=None, task=None, comment: str = "") -> None:
    now = timezone.now()
    instance.tasks.filter(state__in=[TaskState.OPEN, TaskState.WAITING_SUPPLEMENT]).update(
        state=TaskState.CANCELLED, completed_at=now)
    instance.state, instance.outcome, instance.ended_at = state, outcome, now
    instance.save(update_fields=["state", "outcome", "ended_at"])
    event = EventName.COMPLETED if state == InstanceState.COMPLETED else EventName.TERMINATED
    _record(instance, event, actor=actor, task=task, comment=comment, data={"outcome": outcome})


def _advance(instance: Instance, stage: StageDefinition, actor=None, task=None) -> None:
    following = _stage_at(instance, stage.position + 1)
    if following is None:
        _finish(instance, state=InstanceState.COMPLETED, outcome=Outcome.APPROVED, actor=actor, task=task)
    else:
        _open_stage(instance, following, actor=actor)


# The first stage of each definition in use, per process. A definition's stages stop changing once an
# instance of it exists (the admin locks them), so one is kept only after such an instance commits.
# Keyed by id and creation time: ids come back after a test database is flushed.
_first_stages: dict[tuple, StageDefinition] = {}
_FIRST_STAGES_MAX = 4096


def _keep_first_stage(key: tuple, stage: StageDefinition) -> None:
    if len(_first_stages) >= _FIRST_STAGES_MAX:
        _first_stages.clear()
    _first_stages[key] = stage


def instance_start(*, definition: ProcessDefinition, subject_type: str, subject_id: str, actor=None,
                   title: str = "") -> Instance:
    return instances_start([InstanceStart(definition, subject_type, subject_id, title, actor)])[0]


@dataclass(frozen=True)
class InstanceStart:
    definition: ProcessDefinition
    subject_type: str
    subject_id: str
    title: str = ""
    actor: object = None


def instances_start(starts: list[InstanceStart]) -> list[Instance]:
    """Start one instance per subject at the first stage of its definition (a batch of submits starts
    many in a few statements). Conflict if a subject already has one; nothing is written then."""
    subjects = {(s.subject_type, s.subject_id) for s in starts}
    existing = Instance.objects.filter(subject_type__in={t for t, _i in subjects},
                                       subject_id__in={i for _t, i in subjects}).values_list("subject_type", "subject_id")
    if len(subjects) < len(starts) or subjects & set(existing):
        raise Conflict(_("该对象已有办理流程。"))
    firsts = {}
    for start in starts:
        key = (start.definition.pk, start.definition.created_at)
        if key in firsts:
            continue
        first = _first_stages.get(key)
        if first is None:
            first = start.definition.stages.order_by("position").first()
            if first is None:
                raise ValidationError({"definition": [_("流程没有环节。")]})
            transaction.on_commit(lambda key=key, first=first: _keep_first_stage(key, first))
        firsts[key] = first
    # No savepoint (a submit starts one instance per case): the checks above raise before anything is
    # written; a failure below leaves the caller's transaction to roll back, as it must anyway.
    with transaction.atomic(savepoint=False):
        escalate = escalation_days()
        instances = Instance.objects.bulk_create([
            Instance(definition=s.definition, subject_type=s.subject_type, subject_id=s.subject_id,
                     title=s.title or s.definition.name, escalate_after_days=escalate,
                     position=firsts[(s.definition.pk, s.definition.created_at)].position)
            for s in starts])
        openings = []
        for start, instance in zip(starts, instances, strict=True):
            if not start.title:
                described = hooks.handler_for(start.subject_type).describe(instance) or {}
                if described.get("item"):
                    instance.title = str(described["item"])[:200]
                    instance.save(update_fields=["title"])
            started = _event(instance, EventName.STARTED, actor=start.actor,
                             data={"definition": start.definition.key, "version": start.definition.version})
            openings.append((instance, firsts[(start.definition.pk, start.definition.created_at)], (started,),
                             start.actor))
        _open_stages(openings)
    return instances


@transaction.atomic
def clock_start(*, instance: Instance, days: int, start: dt.date | dt.datetime | None = None,
                actor=None) -> Instance:
    """Start the case clock: the deadline is the `days`-th working day after `start` (acceptance)."""
    instance = _lock(instance)
    if instance.state in (InstanceState.COMPLETED, InstanceState.TERMINATED):
        raise Conflict(_("该办件已结束。"))
    start = start or timezone.now()
    instance.clock_started_at = start if isinstance(start, dt.datetime) else timezone.make_aware(
        dt.datetime.combine(start, dt.time(9)))
    instance.deadline = add_working_days(start, days)
    instance.save(update_fields=["clock_started_at", "deadline"])
    _record(instance, EventName.CLOCK_STARTED, actor=actor,
            data={"days": days, "deadline": instance.deadline.isoformat()})
    return instance


def _check_actor(task: Task, actor) -> None:
    if actor is None:
        raise PermissionDenied(_("须由承办人员办理。"))
    if task.assignee_id is not None and task.assignee_id == actor.pk:
        return
    if staff_department_code(actor) != task.department:
        raise PermissionDenied(_("该任务不属于您所在的部门。"))


def _check_input(action: str, comment: str, missing: list) -> None:
    if action in NEEDS_COMMENT and not comment.strip():
        raise ValidationError({"comment": [_("请填写理由。")]})
    if action in NEEDS_MISSING and not missing:
        raise ValidationError({"missing": [_("请列明全部缺少或需补正的材料。")]})
    if any(not isinstance(m, str) or not m.strip() or len(m) > 200 for m in missing):
        raise ValidationError({"missing": [_("材料名称须为不超过 200 字的文字。")]})


@transaction.atomic
def task_complete(*, task: Task, actor, action: str, comment: str = "", missing: list | None = None,
                  suspension_kind: str = SuspensionKind.INSPECTION, on_behalf_of: str = "") -> Task:
    """Act on a task. Raises PermissionDenied (not the actor's task), Conflict (task no longer open
    or action not legal now, with the legal actions) or ValidationError (missing reason or list)."""
    missing = [m.strip() if isinstance(m, str) else m for m in (missing or [])]
    comment = comment or ""
    _check_actor(task, actor)
    instance = _lock(task.instance)
    task = Task.objects.select_related("stage").get(pk=task.pk)
    task.instance = instance
    legal = legal_actions(task)
    if task.state != TaskState.OPEN:
        raise Conflict(_("该任务已办理或已取消。"))
    if action not in legal:
        raise Conflict(_("当前不能执行该操作，可执行的操作：%(legal)s。") % {"legal": "、".join(legal) or _("无")},
                       legal=legal)
    _check_input(action, comment, missing)

    if action == Action.SUSPEND:
        _suspend(instance, kind=suspension_kind, reason=comment, actor=actor, task=task)
        return task
    if action == Action.RESUME:
        _resume(instance, actor=actor, task=task)
        return task

    now = timezone.now()
    new_state = TaskState.WAITING_SUPPLEMENT if action == Action.REQUEST_SUPPLEMENT else TaskState.COMPLETED
    updated = Task.objects.filter(pk=task.pk, state=TaskState.OPEN).update(
        state=new_state, action=action, comment=comment, missing=missing, completed_at=now, completed_by=actor,
        on_behalf_of=on_behalf_of)
    if updated != 1:  # belt and braces: the instance lock already serialises handlers
        raise Conflict(_("该任务已办理或已取消。"))
    task.refresh_from_db()
    task.instance = instance
    stage = task.stage
    data = {"missing": missing} if missing else {}

    if action == Action.ACCEPT_TOLERANT:
        instance.pending_materials = missing
        instance.pending_materials_due = add_working_days(_today(), int(getattr(settings, "WORKFLOW_TOLERANT_DAYS", 5)))
        instance.save(update_fields=["pending_materials", "pending_materials_due"])
        data["due_on"] = instance.pending_materials_due.isoformat()
    if action == Action.REQUEST_SUPPLEMENT:
        # 补正: the clock (if running) pauses until the applicant supplies everything listed.
        instance.state, instance.suspended_since = InstanceState.SUSPENDED, now
        instance.save(update_fields=["state", "suspended_since"])
        Suspension.objects.create(instance=instance, kind=SuspensionKind.SUPPLEMENT,
                                  reason=comment or "、".join(missing), started_at=now)
    _record(instance, ACTION_EVENT[action], actor=actor, task=task, action=action, comment=comment,
            data={**data, "vote": action} if action in PARALLEL_ACTIONS else data)

    if action in ENDING:
        _finish(instance, state=InstanceState.COMPLETED, outcome=ENDING[action], actor=actor, task=task,
                comment=comment)
    elif stage.kind == StageKind.PARALLEL:
        _count_votes(instance, stage, actor=actor, task=task)
    elif action in ADVANCING:
        _advance(instance, stage, actor=actor, task=task)
    return task


def _quorum_needed(stage: StageDefinition, total: int) -> int:
    if stage.quorum == Quorum.ANY:
        return 1
    if stage.quorum == Quorum.N:
        return max(1, min(stage.quorum_n, total))
    return total


def _count_votes(instance: Instance, stage: StageDefinition, *, actor, task: Task) -> None:
    tasks = list(instance.tasks.filter(stage=stage).exclude(state=TaskState.CANCELLED).values_list("state", "action"))
    total = len(tasks)
    agree = sum(1 for state, action in tasks if state == TaskState.COMPLETED and action == Action.AGREE)
    disagree = sum(1 for state, action in tasks if state == TaskState.COMPLETED and action == Action.DISAGREE)
    needed = _quorum_needed(stage, total)
    if agree >= needed:
        passed = True
    elif total - disagree < needed:  # the quorum can no longer be reached
        passed = False
    else:
        return
    cancelled = instance.tasks.filter(stage=stage, state=TaskState.OPEN).update(
        state=TaskState.CANCELLED, completed_at=timezone.now())
    _record(instance, EventName.PARALLEL_DECIDED, actor=actor, task=task, stage=stage,
            data={"passed": passed, "agree": agree, "disagree": disagree, "needed": needed, "cancelled": cancelled})
    if passed or _stage_at(instance, stage.position + 1) is not None:
        # A failed parallel review still goes to the deciding department, which denies with reasons.
        _advance(instance, stage, actor=actor, task=task)
    else:
        _finish(instance, state=InstanceState.COMPLETED, outcome=Outcome.DENIED, actor=actor, task=task,
                comment=_("并联审查未通过。"))


def _check_instance_actor(instance: Instance, actor) -> None:
    """Outside a task, only a department with a live task of the instance (or the system) acts."""
    if actor is None:
        return
    departments = set(instance.tasks.filter(state__in=[TaskState.OPEN, TaskState.WAITING_SUPPLEMENT])
                      .values_list("department", flat=True))
    if staff_department_code(actor) not in departments:
        raise PermissionDenied(_("您所在的部门没有该办件的待办任务。"))


def _suspend(instance: Instance, *, kind: str, reason: str, actor, task: Task | None = None,
             at: dt.datetime | None = None) -> Suspension:
    if kind not in SuspensionKind.values or kind == SuspensionKind.SUPPLEMENT:
        raise ValidationError({"suspension_kind": [_("挂起类型须为现场核查、专家评审或听证。")]})
    at = at or timezone.now()
    instance.state, instance.suspended_since = InstanceState.SUSPENDED, at
    instance.save(update_fields=["state", "suspended_since"])
    suspension = Suspension.objects.create(instance=instance, kind=kind, reason=reason, started_at=at)
    _record(instance, EventName.SUSPENDED, actor=actor, task=task, action=Action.SUSPEND if task else None,
            comment=reason, data={"kind": kind})
    return suspension


def _resume(instance: Instance, *, actor, task: Task | None = None, at: dt.datetime | None = None,
            event: str = EventName.RESUMED, extend_tasks: bool = True) -> int:
    """End the open suspension; the deadline and open tasks' limits move by the working days lost."""
    at = at or timezone.now()
    suspension = instance.suspensions.filter(ended_at__isnull=True).order_by("-started_at").first()
    since = instance.suspended_since or (suspension.started_at if suspension else at)
    days = max(0, working_days_between(since, at))
    if suspension is not None:
        suspension.ended_at, suspension.working_days = at, days
        suspension.save(update_fields=["ended_at", "working_days"])
    instance.state, instance.suspended_since = InstanceState.RUNNING, None
    instance.suspended_days += days
    fields = ["state", "suspended_since", "suspended_days"]
    if days and instance.deadline is not None:
        instance.deadline = add_working_days(instance.deadline, days)
        fields.append("deadline")
    instance.save(update_fields=fields)
    if days and extend_tasks:
        for open_task in instance.tasks.filter(state=TaskState.OPEN):
            open_task.due_on = add_working_days(open_task.due_on, days)
            open_task.save(update_fields=["due_on"])
    _record(instance, event, actor=actor, task=task, action=Action.RESUME if task else None,
            data={"working_days": days, "deadline": instance.deadline.isoformat() if instance.deadline else None})
    return days


@transaction.atomic
def instance_suspend(*, instance: Instance, kind: str, reason: str, actor=None,
                     at: dt.datetime | None = None) -> Suspension:
    """特别程序 (inspection, expert review, hearing): pause the clock with a reason."""
    instance = _lock(instance)
    _check_instance_actor(instance, actor)
    if instance.state != InstanceState.RUNNING:
        raise Conflict(_("只有办理中的办件可以挂起。"))
    if not reason.strip():
        raise ValidationError({"reason": [_("请填写挂起原因。")]})
    return _suspend(instance, kind=kind, reason=reason, actor=actor, at=at)


@transaction.atomic
def instance_resume(*, instance: Instance, actor=None, at: dt.datetime | None = None) -> Instance:
    instance = _lock(instance)
    _check_instance_actor(instance, actor)
    open_kind = instance.suspensions.filter(ended_at__isnull=True).values_list("kind", flat=True).first()
    if instance.state != InstanceState.SUSPENDED or open_kind == SuspensionKind.SUPPLEMENT:
        raise Conflict(_("该办件未处于特别程序挂起状态。"))
    _resume(instance, actor=actor, at=at)
    return instance


@transaction.atomic
def supplement_receive(*, instance: Instance, actor=None, at: dt.datetime | None = None) -> list[Task]:
    """The applicant supplied what the one-time notice listed: the waiting task(s) reopen."""
    instance = _lock(instance)
    waiting = list(instance.tasks.select_related("stage").filter(state=TaskState.WAITING_SUPPLEMENT))
    if instance.state != InstanceState.SUSPENDED or not waiting:
        raise Conflict(_("该办件没有等待补正的任务。"))
    today = _today()
    for task in waiting:  # the stage limit starts again from the day the supplement arrived
        Task.objects.filter(pk=task.pk).update(
            state=TaskState.OPEN, action="", completed_at=None, completed_by=None,
            due_on=add_working_days(today, task.stage.limit_days))
    _resume(instance, actor=actor, at=at, event=EventName.SUPPLEMENT_RECEIVED, extend_tasks=False)
    return list(instance.tasks.filter(pk__in=[t.pk for t in waiting]))


@transaction.atomic
def materials_receive(*, instance: Instance, names: list[str] | None = None, actor=None) -> Instance:
    """容缺材料 arrived (all, or the named ones); once none are pending the case may conclude."""
    instance = _lock(instance)
    if not instance.pending_materials:
        raise Conflict(_("该办件没有待补齐的容缺材料。"))
    received = list(instance.pending_materials) if names is None else [n for n in names
                                                                         if n in instance.pending_materials]
    instance.pending_materials = [m for m in instance.pending_materials if m not in received]
    if not instance.pending_materials:
        instance.pending_materials_due = None
    instance.save(update_fields=["pending_materials", "pending_materials_due"])
    _record(instance, EventName.MATERIALS_RECEIVED, actor=actor,
            data={"received": received, "pending": instance.pending_materials})
    return instance


@transaction.atomic
def materials_require(*, instance: Instance, names: list[str], reason: str, actor=None) -> Instance:
    """Materials a live case now lacks through no act of its own (a document another case of the same
    application was to issue and did not): pending as at tolerant acceptance, due in
    WORKFLOW_TOLERANT_DAYS working days; the case cannot conclude before they arrive."""
    instance = _lock(instance)
    if instance.state in (InstanceState.COMPLETED, InstanceState.TERMINATED):
        raise Conflict(_("该办件已结束。"))
    added = [n for n in names if n not in instance.pending_materials]
    if not added:
        return instance
    instance.pending_materials = [*instance.pending_materials, *added]
    instance.pending_materials_due = add_working_days(_today(), int(getattr(settings, "WORKFLOW_TOLERANT_DAYS", 5)))
    instance.save(update_fields=["pending_materials", "pending_materials_due"])
    _record(instance, EventName.MATERIALS_REQUIRED, actor=actor, comment=reason,
            data={"missing": added, "due_on": instance.pending_materials_due.isoformat()})
    return instance


@transaction.atomic
def instance_terminate(*, instance: Instance, reason: str, actor=None) -> Instance:
    """撤回 or 作废: end a live instance without a decision."""
    instance = _lock(instance)
    if instance.state in (InstanceState.COMPLETED, InstanceState.TERMINATED):
        raise Conflict(_("该办件已结束。"))
    _finish(instance, state=InstanceState.TERMINATED, outcome=None, actor=actor, comment=reason)
    return instance


@transaction.atomic
def task_assign(*, task: Task, assignee, actor) -> Task:
    """Give a department's task to one of its staff (the department keeps seeing it)."""
    _check_actor(task, actor)
    if staff_department_code(assignee) != task.department:
        raise ValidationError({"assignee": [_("只能指派给本部门工作人员。")]})
    instance = _lock(task.instance)
    if not Task.objects.filter(pk=task.pk, state=TaskState.OPEN).update(assignee=assignee):
        raise Conflict(_("该任务已办理或已取消。"))
    task.assignee = assignee
    _record(instance, EventName.ASSIGNED, actor=actor, task=task, data={"assignee": assignee.get_username()})
    return task


def task_view(*, task: Task, actor) -> dict:
    """A staff member opens a task page: audited, and the subject's app is told (it logs the read of
    the applicant's personal data). Returns describe(instance) for the page."""
    _check_actor(task, actor)
    instance = task.instance
    audit_record(action="workflow.task_view", actor=actor, target_type=instance.subject_type,
                 target_id=instance.subject_id, data={"task": task.pk})
    hooks.handler_for(instance.subject_type).on_event(instance, EventName.VIEWED, task, None, {})
    return hooks.describe(instance)


def task_detail_view(*, task: Task, actor) -> dict:
    """The API's view of a task: audited like the page, plus what the subject's app shows of it (for a
    case the application data, whose read it logs in the applicant's access log)."""
    _check_actor(task, actor)
    instance = task.instance
    audit_record(action="workflow.task_view", actor=actor, target_type=instance.subject_type,
                 target_id=instance.subject_id, data={"task": task.pk, "channel": "api"})
    return {"subject": {k: str(v) for k, v in hooks.describe(instance).items()},
            **hooks.detail(instance, task, actor)}


# --- e-supervision sweep -----------------------------------------------------------------------------

def _level_for(due_on: dt.date, today: dt.date, escalate: int, *, remind: bool) -> str | None:
    if today > add_working_days(due_on, escalate):
        return WarningLevel.RED
    if today > due_on:
        return WarningLevel.YELLOW
    if remind and working_days_between(today, due_on) <= 1:
        return WarningLevel.REMINDER
    return None


def _warn(instance: Instance, *, level: str, department: str, due_on: dt.date, task: Task | None) -> bool:
    _, created = WarningRecord.objects.get_or_create(instance=instance, task=task, level=level, department=department,
                                                     due_on=due_on)
    if created:
        _record(instance, EventName.WARNING, task=task, department=department,
                data={"level": level, "due_on": due_on.isoformat(), "scope": "task" if task else "case"})
    return created


def _max_warning(*values: str) -> str:
    return max(values, key=lambda v: WARNING_RANK[v])


def _sweep_instance(instance_id: int, today: dt.date) -> int:
    created = 0
    with transaction.atomic():
        instance = Instance.objects.select_for_update().filter(pk=instance_id, state=InstanceState.RUNNING).first()
        if instance is None:  # suspended or ended since the candidates were read
            return 0
        open_tasks = list(instance.tasks.filter(state=TaskState.OPEN).select_related("stage"))
        case_level = None
        if instance.deadline is not None:
            case_level = _level_for(instance.deadline, today, instance.escalate_after_days, remind=True)
            if case_level:
                for department in sorted({t.department for t in open_tasks}) or [""]:
                    created += _warn(instance, level=case_level, department=department, due_on=instance.deadline,
                                     task=None)
        case_warning = LEVEL_WARNING[case_level] if case_level else WarningState.NONE
        if instance.warning != case_warning:
            instance.warning = case_warning
            instance.save(update_fields=["warning"])
        for task in open_tasks:
            task_level = _level_for(task.due_on, today, instance.escalate_after_days, remind=False)
            if task_level:
                created += _warn(instance, level=task_level, department=task.department, due_on=task.due_on, task=task)
            warning = _max_warning(case_warning, LEVEL_WARNING[task_level] if task_level else WarningState.NONE)
            if task.warning != warning:
                Task.objects.filter(pk=task.pk).update(warning=warning)
    return created


def clocks_sweep(*, today: dt.date | None = None) -> int:
    """E-supervision: reminder a working day before the case deadline, yellow when the case or a
    stage is overdue, red after the escalation period; each recorded once. Suspended and ended
    instances do not warn. Idempotent; returns the number of new warning records."""
    today = today or _today()
    horizon = add_working_days(today, 1)
    candidates = set(Instance.objects.filter(state=InstanceState.RUNNING, deadline__lte=horizon)
                     .values_list("pk", flat=True))
    candidates |= set(Task.objects.filter(state=TaskState.OPEN, due_on__lt=today,
                                          instance__state=InstanceState.RUNNING).values_list("instance_id", flat=True))
    # Deadlines moved by a resumption: the warning shown goes back to what the new date warrants.
    candidates |= set(Instance.objects.filter(state=InstanceState.RUNNING).exclude(warning=WarningState.NONE)
                      .values_list("pk", flat=True))
    candidates |= set(Task.objects.filter(state=TaskState.OPEN, instance__state=InstanceState.RUNNING)
                      .exclude(warning=WarningState.NONE).values_list("instance_id", flat=True))
    return sum(_sweep_instance(pk, today) for pk in sorted(candidates))
