from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StageKind(models.TextChoices):
    SINGLE = "single", _("单部门")
    PARALLEL = "parallel", _("并联")


class Quorum(models.TextChoices):
    ALL = "all", _("全部同意")
    ANY = "any", _("任一同意")
    N = "n", _("指定数量同意")


class Action(models.TextChoices):
    ACCEPT = "accept", _("受理")
    REFUSE = "refuse", _("不予受理")
    REQUEST_SUPPLEMENT = "request_supplement", _("一次性告知补正")
    ACCEPT_TOLERANT = "accept_tolerant", _("容缺受理")
    APPROVE = "approve", _("准予")
    DENY = "deny", _("不予")
    AGREE = "agree", _("同意")
    DISAGREE = "disagree", _("不同意")
    SUSPEND = "suspend", _("挂起（特别程序）")
    RESUME = "resume", _("恢复")


# Actions that finish a single stage and move on; the ones that end the instance with an outcome.
ADVANCING = {Action.ACCEPT, Action.ACCEPT_TOLERANT, Action.APPROVE}
ENDING = {Action.REFUSE: "refused", Action.DENY: "denied"}
VOTES = {Action.AGREE, Action.DISAGREE}
# A reason is required for these (行政许可法: refusals and denials state their reasons).
NEEDS_COMMENT = {Action.REFUSE, Action.DENY, Action.DISAGREE, Action.SUSPEND}
NEEDS_MISSING = {Action.REQUEST_SUPPLEMENT, Action.ACCEPT_TOLERANT}

ACCEPT_ACTIONS = [Action.ACCEPT, Action.REFUSE, Action.REQUEST_SUPPLEMENT, Action.ACCEPT_TOLERANT]
REVIEW_ACTIONS = [Action.APPROVE, Action.DENY, Action.SUSPEND, Action.RESUME]
DECIDE_ACTIONS = [Action.APPROVE, Action.DENY]
PARALLEL_ACTIONS = [Action.AGREE, Action.DISAGREE]


class InstanceState(models.TextChoices):
    RUNNING = "running", _("办理中")
    SUSPENDED = "suspended", _("已挂起")
    COMPLETED = "completed", _("已办结")
    TERMINATED = "terminated", _("已终止")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予")
    REFUSED = "refused", _("不予受理")


class TaskState(models.TextChoices):
    OPEN = "open", _("待办")
    WAITING_SUPPLEMENT = "waiting_supplement", _("待补正")
    COMPLETED = "completed", _("已办")
    CANCELLED = "cancelled", _("已取消")


class SuspensionKind(models.TextChoices):
    INSPECTION = "inspection", _("现场核查")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    HEARING = "hearing", _("听证")
    SUPPLEMENT = "supplement", _("补正")


class WarningState(models.TextChoices):
    NONE = "none", pgettext_lazy("warning", "正常")
    REMINDED = "reminded", _("已提醒")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class WarningLevel(models.TextChoices):
    REMINDER = "reminder", _("临期提醒")
    YELLOW = "yellow", _("黄牌预警")
    RED = "red", _("红牌预警")


# WarningRecord level → the Instance/Task warning state it sets; ranks order them.
LEVEL_WARNING = {WarningLevel.REMINDER: WarningState.REMINDED, WarningLevel.YELLOW: WarningState.YELLOW,
                 WarningLevel.RED: WarningState.RED}
WARNING_RANK = {WarningState.NONE: 0, WarningState.REMINDED: 1, WarningState.YELLOW: 2, WarningState.RED: 3}


class EventName(models.TextChoices):
    """What hooks receive in on_event and the timeline records."""

    STARTED = "started", _("流程开始")
    CLOCK_STARTED = "clock_started", _("开始计时")
    ACCEPTED = "accepted", _("受理")
    ACCEPTED_TOLERANT = "accepted_tolerant", _("容缺受理")
    REFUSED = "refused", _("不予受理")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("一次性告知补正")
    SUPPLEMENT_RECEIVED = "supplement_received", _("补正材料已收到")
    MATERIALS_RECEIVED = "materials_received", _("容缺材料已补齐")
    MATERIALS_REQUIRED = "materials_required", _("需补齐材料")
    APPROVED = "approved", _("审查通过")
    DENIED = "denied", _("不予许可")
    OPINION = "opinion", _("并联意见")
    PARALLEL_DECIDED = "parallel_decided", _("并联审查结束")
    STAGE_STARTED = "stage_started", _("进入环节")
    SUSPENDED = "suspended", _("挂起")
    RESUMED = "resumed", _("恢复办理")
    COMPLETED = "completed", _("办结")
    TERMINATED = "terminated", _("终止")
    WARNING = "warning", _("电子监察预警")
    ASSIGNED = "assigned", _("指派承办人")
    # Not on the timeline: a staff member opened the task page (the subject's app logs the data read).
    VIEWED = "viewed", _("查阅")


ACTION_EVENT = {
    Action.ACCEPT: EventName.ACCEPTED, Action.ACCEPT_TOLERANT: EventName.ACCEPTED_TOLERANT,
    Action.REFUSE: EventName.REFUSED, Action.REQUEST_SUPPLEMENT: EventName.SUPPLEMENT_REQUESTED,
    Action.APPROVE: EventName.APPROVED, Action.DENY: EventName.DENIED,
    Action.AGREE: EventName.OPINION, Action.DISAGREE: EventName.OPINION,
    Action.SUSPEND: EventName.SUSPENDED, Action.RESUME: EventName.RESUMED,
}
