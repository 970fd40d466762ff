"""Reads of the workflow engine. The inbox and supervision lists read .values() rows (hot paths)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from .constants import Action, EventName, InstanceState, TaskState, WarningState
from .models import LIVE_TASK_STATES, Instance, StageDefinition, Task, WarningRecord, WorkflowEvent

_CONCLUDING = {Action.APPROVE, Action.AGREE}


def _legal(stage_actions: list[str], *, task_state: str, instance_state: str, final: bool,
           pending_materials: bool) -> list[str]:
    """The actions legal on a task right now, in the stage's order."""
    if task_state != TaskState.OPEN:
        return []
    if instance_state == InstanceState.SUSPENDED:
        return [a for a in stage_actions if a == Action.RESUME]
    if instance_state != InstanceState.RUNNING:
        return []
    out = [a for a in stage_actions if a != Action.RESUME]
    if final and pending_materials:  # 容缺受理: cannot conclude before the missing materials arrive
        out = [a for a in out if a not in _CONCLUDING]
    return out


def is_final_stage(stage: StageDefinition) -> bool:
    return not StageDefinition.objects.filter(definition_id=stage.definition_id, position__gt=stage.position).exists()


def legal_actions(task: Task) -> list[str]:
    instance = task.instance
    return _legal(task.stage.actions, task_state=task.state, instance_state=instance.state,
                  final=is_final_stage(task.stage), pending_materials=bool(instance.pending_materials))


class TaskRows(QuerySet):
    """The rows of tasks_for_department. Its count() (the paginators' total) counts the filtered tasks
    without the joins that only bring the instance's, definition's and stage's columns: inner joins on
    non-null foreign keys change no count, but PostgreSQL still performs them (95 ms for the 15,000 open
    tasks of one department among 1,000,000 cases, docs/benchmarks.md; an index-only count without).

    With count_cap set it stops counting there: count() is then at most count_cap, and count_capped
    says whether more tasks match (a paginator then offers the pages up to the cap only).

    A slice (a paginator's page) first picks the page's task ids from `keys`, the filtered tasks
    alone, in order, and joins only those 20 rows. Joined first, PostgreSQL looked up the instance of
    every row it skipped (page 500 of ?state=all: 82 → 1.3 ms among 1,000,000 cases) and, when it
    underestimated a filter, of every candidate (item and warning=red: 79 → 11 ms)."""

    # Not carried to clones: a further filter would change the count and the page.
    counted: QuerySet | None = None
    keys: QuerySet | None = None
    count_cap: int | None = None
    count_capped = False

    def __getitem__(self, k):
        if isinstance(k, slice) and self.keys is not None and self._result_cache is None:
            ids = self.keys[k]
            return (TaskRows(model=self.model, using=self._db).filter(id__in=ids)
                    .order_by(*self.query.order_by).values(*self._fields))
        return super().__getitem__(k)

    def count(self) -> int:
        if self.counted is not None and self._result_cache is None:
            if self.count_cap is None:
                return self.counted.count()
            total = self.counted[:self.count_cap + 1].count()
            self.count_capped = total > self.count_cap
            return min(total, self.count_cap)
        return super().count()


# The states whose lists are a department's work at hand: counted exactly, however many (their number
# is bounded by the work the department must do; 15,000 at most with 1,000,000 cases, 2 ms). The
# others (completed, cancelled, all) grow with every case ever handled: their count stops at the cap.
LIVE_STATES = LIVE_TASK_STATES
INBOX_COUNT_CAP = 10_000


def inbox_count_cap() -> int | None:
    """settings.WORKFLOW_INBOX_COUNT_CAP (None: count every row)."""
    return getattr(settings, "WORKFLOW_INBOX_COUNT_CAP", INBOX_COUNT_CAP)


_ROW_FIELDS = ("id", "state", "department", "due_on", "warning", "created_at", "assignee_id",
               "instance_id", "instance__subject_type", "instance__subject_id", "instance__title",
               "instance__definition_id", "instance__definition__key", "instance__state",
               "instance__pending_materials", "instance__deadline", "stage__name", "stage__position",
               "stage__actions", "stage__kind")


def tasks_for_department(code: str, *, state: str | None = TaskState.OPEN, warning: str | None = None,
                         subject_type: str | None = None, subject_id: str | None = None, item: str | None = None,
                         due_before: dt.date | None = None, assignee=None) -> QuerySet:
    """A department's inbox as .values() rows, soonest due first (index department, state, due_on).
    `assignee` adds the tasks assigned to that user in other departments. The count of a state that
    is not live (or of all states) stops at inbox_count_cap() (TaskRows)."""
    where = Q(department=code)
    if assignee is not None:
        where |= Q(assignee=assignee)
    tasks = TaskRows(model=Task).filter(where)
    if state:
        tasks = tasks.filter(state=state)
    if warning:
        tasks = tasks.filter(warning=warning)
    if subject_type:
        tasks = tasks.filter(instance__subject_type=subject_type)
    if subject_id:
        tasks = tasks.filter(instance__subject_id=subject_id)
    if item:
        tasks = tasks.filter(item_code=item)  # copied from the definition key at creation: no join
    if due_before:
        tasks = tasks.filter(due_on__lte=due_before)
    rows = tasks.order_by("due_on", "id").values(*_ROW_FIELDS)
    rows.counted = tasks.order_by()
    rows.keys = tasks.order_by("due_on", "id").values("id")
    rows.count_cap = None if state in LIVE_STATES else inbox_count_cap()
    return rows


def with_actions(rows) -> list[dict]:
    """Add each row's legal actions (one query for the last stage position of the definitions)."""
    rows = list(rows)
    last = dict(StageDefinition.objects.filter(definition_id__in={r["instance__definition_id"] for r in rows})
                .values("definition_id").annotate(last=Max("position")).values_list("definition_id", "last"))
    for r in rows:
        r["actions"] = _legal(r["stage__actions"], task_state=r["state"], instance_state=r["instance__state"],
                              final=r["stage__position"] == last.get(r["instance__definition_id"]),
                              pending_materials=bool(r["instance__pending_materials"]))
    return rows


def task_for_department(code: str, pk: int, *, user=None) -> Task | None:
    """One task the department (or its assignee) may see; None for anyone else's (→ 404)."""
    where = Q(department=code)
    if user is not None:
        where |= Q(assignee=user)
    return Task.objects.select_related("instance__definition", "stage").filter(where, pk=pk).first()


def parallel_opinions(instance: Instance) -> list[dict]:
    """The departments' opinions of the instance's parallel stages (for the deciding department)."""
    labels = dict(Action.choices) | dict(TaskState.choices)
    rows = list(Task.objects.filter(instance=instance, stage__kind="parallel")
                .values("department", "state", "action", "comment", "completed_at", "stage__name")
                .order_by("stage__position", "department"))
    for r in rows:
        r["label"] = labels.get(r["action"] or r["state"], r["state"])
    return rows


def instance_timeline(instance: Instance) -> list[dict]:
    """{at, actor_label, department, action, action_label, comment, stage_name, data}, oldest first."""
    labels = dict(EventName.choices)
    rows = list(WorkflowEvent.objects.filter(instance=instance).order_by("at", "id")
                .values("at", "actor_label", "department", "action", "comment", "stage_name", "data"))
    for r in rows:
        r["action_label"] = labels.get(r["action"], r["action"])
    return rows


def timeline_rows(instance: Instance) -> list[dict]:
    """The timeline as the API shows it: [{at, actor, action, action_label, comment, stage, department}]."""
    return [{"at": r["at"], "actor": r["actor_label"], "action": r["action"], "action_label": r["action_label"],
             "comment": r["comment"], "stage": r["stage_name"], "department": r["department"]}
            for r in instance_timeline(instance)]


def instance_for_subject(subject_type: str, subject_id: str) -> Instance | None:
    return Instance.objects.select_related("definition").filter(subject_type=subject_type,
                                                                subject_id=subject_id).first()


def supervision_counts(*, today: dt.date | None = None) -> list[dict]:
    """Per department: open tasks, yellow and red ones, and overdue ones (past the stage limit or the
    case deadline, clock running)."""
    today = today or timezone.localdate()
    rows = (Task.objects.filter(state=TaskState.OPEN).values("department").annotate(
        open=Count("id"),
        yellow=Count("id", filter=Q(warning=WarningState.YELLOW)),
        red=Count("id", filter=Q(warning=WarningState.RED)),
        overdue=Count("id", filter=Q(instance__state=InstanceState.RUNNING)
                      & (Q(due_on__lt=today) | Q(instance__deadline__lt=today))),
    ).order_by("department"))
    return list(rows)


def supervision_instances(*, warning: str | None = None) -> QuerySet:
    """Live instances with a yellow or red warning (or just `warning`), most urgent first."""
    levels = [warning] if warning else [WarningState.YELLOW, WarningState.RED]
    return (Instance.objects.filter(warning__in=levels, state__in=[InstanceState.RUNNING, InstanceState.SUSPENDED])
            .order_by("deadline", "id")
            .values("id", "subject_type", "subject_id", "title", "definition__key", "state", "deadline", "warning",
                    "position"))


def open_departments(instance_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for instance_id, department in (Task.objects.filter(instance_id__in=list(instance_ids), state=TaskState.OPEN)
                                    .values_list("instance_id", "department").order_by("department")):
        out.setdefault(instance_id, []).append(department)
    return out


def warning_records(instance: Instance) -> QuerySet:
    return WarningRecord.objects.filter(instance=instance).order_by("created_at", "id")



def subject_departments(subject_type: str, subject_id: str) -> set[str]:
    """The departments that hold or held a task of the subject's instance (who may see its files)."""
    return set(Task.objects.filter(instance__subject_type=subject_type, instance__subject_id=subject_id)
               .values_list("department", flat=True).distinct())


def supplement_requests(instance: Instance) -> list[dict]:
    """The tasks waiting for the applicant's supplement: {id, missing, comment, completed_at (asked at)}."""
    return list(Task.objects.filter(instance=instance, state=TaskState.WAITING_SUPPLEMENT).order_by("id")
                .values("id", "missing", "comment", "completed_at"))
