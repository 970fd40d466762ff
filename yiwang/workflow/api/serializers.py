from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..constants import Action, SuspensionKind, TaskState, WarningState

STATES = [*TaskState.values, "all"]


class TaskListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=STATES, default=TaskState.OPEN)
    warning = serializers.ChoiceField(choices=WarningState.values, required=False, allow_blank=True)
    item = serializers.CharField(required=False, allow_blank=True, max_length=60)
    case = serializers.CharField(required=False, allow_blank=True, max_length=60)
    due_before = serializers.DateField(required=False)


class TaskCompleteSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Action.values)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    missing = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list,
                                    max_length=50)
    suspension_kind = serializers.ChoiceField(
        choices=[k for k in SuspensionKind.values if k != SuspensionKind.SUPPLEMENT],
        default=SuspensionKind.INSPECTION, help_text=_("挂起时的特别程序类型"))


class TaskSerializer(serializers.Serializer):
    """The shape of a task in lists and after an action (documentation only: rows are built plainly)."""

    id = serializers.IntegerField()
    case = serializers.CharField()
    subject_type = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    stage = serializers.CharField()
    department = serializers.CharField()
    state = serializers.CharField()
    due_at = serializers.DateField()
    deadline = serializers.DateField(allow_null=True)
    warning = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())


class TaskListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("任务数；count_capped 为真时为上限，实际更多"))
    count_capped = serializers.BooleanField(
        help_text=_("已办、已取消及全部状态的计数到上限（默认 10000）为止；为真时只能翻到上限以内的页，请加筛选条件"))
    results = TaskSerializer(many=True)


class SupervisionQuerySerializer(serializers.Serializer):
    warning = serializers.ChoiceField(choices=[WarningState.YELLOW, WarningState.RED], required=False,
                                      allow_blank=True)


class DepartmentCountSerializer(serializers.Serializer):
    department = serializers.CharField()
    open = serializers.IntegerField()
    yellow = serializers.IntegerField()
    red = serializers.IntegerField()
    overdue = serializers.IntegerField()


class SupervisedCaseSerializer(serializers.Serializer):
    case = serializers.CharField()
    subject_type = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    state = serializers.CharField()
    deadline = serializers.DateField(allow_null=True)
    warning = serializers.CharField()
    departments = serializers.ListField(child=serializers.CharField())


class SupervisionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = SupervisedCaseSerializer(many=True)
    departments = DepartmentCountSerializer(many=True)


def task_row(r: dict) -> dict:
    return {"id": r["id"], "case": r["instance__subject_id"], "subject_type": r["instance__subject_type"],
            "item": r["instance__definition__key"], "item_name": r["instance__title"], "stage": r["stage__name"],
            "department": r["department"], "state": r["state"], "due_at": r["due_on"].isoformat(),
            "deadline": r["instance__deadline"].isoformat() if r["instance__deadline"] else None,
            "warning": r["warning"], "actions": r["actions"]}


def supervised_row(r: dict, departments: list[str]) -> dict:
    return {"case": r["subject_id"], "subject_type": r["subject_type"], "item": r["definition__key"],
            "item_name": r["title"], "state": r["state"],
            "deadline": r["deadline"].isoformat() if r["deadline"] else None, "warning": r["warning"],
            "departments": departments}


class TimelineRowSerializer(serializers.Serializer):
    """One row of selectors.timeline_rows (also a case's timeline, which adds its submission)."""

    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    comment = serializers.CharField()
    stage = serializers.CharField()
    department = serializers.CharField()


class OpinionSerializer(serializers.Serializer):
    stage = serializers.CharField()
    department = serializers.CharField()
    state = serializers.CharField()
    action = serializers.CharField()
    label = serializers.CharField()
    comment = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)


class TaskDetailSerializer(TaskSerializer):
    subject = serializers.DictField(help_text="What the task is about, as labels (case number, item, applicant)")
    application = serializers.DictField(required=False, help_text="For a case: the form fields of this item "
                                                                  "with values and sources, and the materials")
    timeline = TimelineRowSerializer(many=True)
    opinions = OpinionSerializer(many=True)


def opinion_row(row: dict) -> dict:
    return {"stage": row["stage__name"], "department": row["department"], "state": row["state"],
            "action": row["action"], "label": str(row["label"]), "comment": row["comment"],
            "completed_at": row["completed_at"]}
