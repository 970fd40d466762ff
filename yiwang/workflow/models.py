"""Process definitions (serial stages, parallel groups with a quorum) and their running instances.

The subject of an instance is named by (subject_type, subject_id): a case number today, a hotline
request or a rectification later; the subject's app reacts to transitions through hooks.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .constants import (
    InstanceState,
    Outcome,
    Quorum,
    StageKind,
    SuspensionKind,
    TaskState,
    WarningLevel,
    WarningState,
)


class ProcessDefinition(models.Model):
    """One version of a process. Only an active (published) version starts new instances; running
    instances keep the version they started with."""

    key = models.CharField(_("流程标识"), max_length=60, help_text=_("通常为事项编码"))
    name = models.CharField(_("流程名称"), max_length=200)
    version = models.PositiveIntegerField(_("版本"), default=1)
    active = models.BooleanField(_("已发布"), default=False)
    source = models.CharField(_("来源"), max_length=100, blank=True, help_text=_("例如：事项目录 v3 默认流程"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="workflow_definition_key_version"),
            models.UniqueConstraint(fields=["key"], condition=Q(active=True), name="workflow_definition_one_active"),
        ]
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")

    def __str__(self):
        return f"{self.key} v{self.version} {self.name}"


class StageDefinition(models.Model):
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=StageKind.choices, default=StageKind.SINGLE)
    departments = models.JSONField(_("承办部门"), default=list, help_text=_("部门编码列表"))
    quorum = models.CharField(_("通过规则"), max_length=3, choices=Quorum.choices, default=Quorum.ALL)
    quorum_n = models.PositiveSmallIntegerField(_("需同意部门数"), default=0)
    limit_days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0, help_text=_("0 表示当日办结"))
    actions = models.JSONField(_("可用操作"), default=list)

    class Meta:
        ordering = ["definition", "position"]
        constraints = [models.UniqueConstraint(fields=["definition", "position"], name="workflow_stage_position")]
        verbose_name = _("流程环节")
        verbose_name_plural = _("流程环节")

    def __str__(self):
        return f"{self.position}. {self.name}"


class Instance(models.Model):
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    subject_type = models.CharField(_("对象类型"), max_length=30)
    subject_id = models.CharField(_("对象编号"), max_length=60)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=InstanceState.choices, default=InstanceState.RUNNING)
    # None while undecided (API.md: result approved|denied|refused|null).
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, null=True, blank=True)  # noqa: DJ001
    position = models.PositiveSmallIntegerField(_("当前环节"), default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The case clock, in working days (core.calendar): deadline is the last working day.
    clock_started_at = models.DateTimeField(_("计时开始"), null=True, blank=True)
    deadline = models.DateField(_("办结期限"), null=True, blank=True)
    suspended_since = models.DateTimeField(null=True, blank=True)
    suspended_days = models.PositiveIntegerField(_("挂起工作日合计"), default=0)
    warning = models.CharField(_("预警"), max_length=10, choices=WarningState.choices, default=WarningState.NONE)
    escalate_after_days = models.PositiveSmallIntegerField(_("升级红牌（工作日）"), default=3)
    # 容缺受理: named non-key materials still to come, and by when; the case cannot conclude before.
    pending_materials = models.JSONField(default=list, blank=True)
    pending_materials_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="workflow_instance_subject"),
        ]
        indexes = [models.Index(fields=["state", "deadline"]), models.Index(fields=["warning"])]
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")

    def __str__(self):
        return f"{self.subject_type}:{self.subject_id}"


# A department's work at hand (the others are history).
LIVE_TASK_STATES = (TaskState.OPEN, TaskState.WAITING_SUPPLEMENT)
# Warnings that put a task on the supervision lists (yellow and red cards).
WARNED = (WarningState.YELLOW, WarningState.RED)


class Task(models.Model):
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="tasks")
    stage = models.ForeignKey(StageDefinition, on_delete=models.PROTECT, related_name="+")
    department = models.CharField(_("承办部门"), max_length=20)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    state = models.CharField(_("状态"), max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    action = models.CharField(_("操作"), max_length=20, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    missing = models.JSONField(_("缺少或需补正的材料"), default=list, blank=True)
    due_on = models.DateField(_("环节期限"))
    warning = models.CharField(_("预警"), max_length=10, choices=WarningState.choices, default=WarningState.NONE)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    on_behalf_of = models.CharField(max_length=100, blank=True)
    # The instance's definition key (the item code), copied when the task is created: the inbox's item
    # filter then reads the task index instead of joining every open task to its instance.
    item_code = models.CharField(_("事项编码"), max_length=60, blank=True, default="")

    class Meta:
        ordering = ["due_on", "id"]
        # The inbox of one state (with the warning, so the warning filter's count reads the index only),
        # of all states (?state=all: soonest due first without sorting every task the department ever
        # had), and of one item: for every state (item before state, so ?state=all&item= narrows to the
        # item too; no id and no INCLUDE, so that PostgreSQL deduplicates equal keys: 32 MB instead of
        # 188 MB for 2.9 million tasks), and for the live ones with all the filters' columns (7 MB); and
        # the yellow and red tasks of every state (?state=all&warning=red: few of all tasks, so small).
        # docs/benchmarks.md, "Cases: submit throughput and staff inbox".
        indexes = [models.Index(fields=["department", "state", "due_on", "id"], include=["warning"],
                                name="workflow_task_inbox"),
                   models.Index(fields=["department", "due_on", "id"], name="workflow_task_department_due"),
                   models.Index(fields=["department", "item_code", "state", "due_on"], name="workflow_task_inbox_item"),
                   models.Index(fields=["department", "item_code", "due_on", "id"], include=["state", "warning"],
                                condition=Q(state__in=LIVE_TASK_STATES), name="workflow_task_inbox_item_live"),
                   models.Index(fields=["department", "warning", "due_on", "id"], include=["state"],
                                condition=Q(warning__in=WARNED), name="workflow_task_warned")]
        verbose_name = _("待办任务")
        verbose_name_plural = _("待办任务")

    def __str__(self):
        return f"#{self.pk} {self.department}"


class Suspension(models.Model):
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(_("类型"), max_length=20, choices=SuspensionKind.choices)
    reason = models.TextField(_("原因"))
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    working_days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("挂起记录")
        verbose_name_plural = _("挂起记录")

    def __str__(self):
        return f"{self.instance_id}:{self.kind}"


class WarningRecord(models.Model):
    """One e-supervision warning (监察记录): the rule's level, the responsible department, the date
    that was missed; recorded once per instance (or task), department, level and deadline."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="warning_records")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="warning_records")
    level = models.CharField(_("预警类型"), max_length=10, choices=WarningLevel.choices)
    department = models.CharField(_("责任部门"), max_length=20)
    due_on = models.DateField(_("期限"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "department", "level", "due_on"], condition=Q(task__isnull=True),
                                    name="workflow_warning_once_instance"),
            models.UniqueConstraint(fields=["task", "level", "due_on"], condition=Q(task__isnull=False),
                                    name="workflow_warning_once_task"),
        ]
        indexes = [models.Index(fields=["department", "level"])]
        verbose_name = _("预警记录")
        verbose_name_plural = _("预警记录")

    def __str__(self):
        return f"{self.instance_id}:{self.level}:{self.department}"


class WorkflowEvent(models.Model):
    """The instance's timeline."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    department = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=30)
    comment = models.TextField(blank=True)
    stage_name = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理过程")
        verbose_name_plural = _("办理过程")

    def __str__(self):
        return f"{self.instance_id}:{self.action}"
