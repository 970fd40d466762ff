"""Deadlines on the working-day calendar, suspensions, and the e-supervision sweep."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from yiwang.core.models import CalendarDay
from yiwang.workflow import services
from yiwang.workflow.models import Task, WarningRecord
from yiwang.workflow.tasks import sweep_clocks

from .conftest import open_task

pytestmark = pytest.mark.django_db
D = dt.date


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.mark.parametrize(("start_on", "days", "deadline"), [
    # National Day 2026: 10-01..10-07 off, Saturday 10-10 is a make-up working day.
    (D(2026, 9, 30), 5, D(2026, 10, 13)),
    # 中秋 09-25 (Fri) off, then National Day: 09-28, 29, 30, 10-08, 10-09.
    (D(2026, 9, 24), 5, D(2026, 10, 9)),
    # Spring Festival 2026: Saturday 02-14 is worked, 02-15..02-23 off.
    (D(2026, 2, 13), 3, D(2026, 2, 25)),
    # Accepted on a holiday: the first working day after it is day one.
    (D(2026, 10, 3), 1, D(2026, 10, 8)),
    # 即办件: the same working day.
    (D(2026, 10, 10), 0, D(2026, 10, 10)),
])
def test_deadline_counts_working_days_over_holidays(serial_definition, start, start_on, days, deadline):
    instance = services.clock_start(instance=start(serial_definition), days=days, start=start_on)
    assert instance.deadline == deadline
    assert instance.events.filter(action="clock_started", data__deadline=deadline.isoformat()).exists()


def test_deadline_across_year_end_uses_next_years_entries(serial_definition, start):
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working=False, note="元旦")
    instance = services.clock_start(instance=start(serial_definition), days=3, start=D(2026, 12, 30))
    assert instance.deadline == D(2027, 1, 5)  # 12-31, (01-01 off, weekend), 01-04, 01-05


def test_suspension_extends_deadline_by_suspended_working_days(serial_definition, start, staff):
    scj = staff("SCJ")
    instance = start(serial_definition)
    services.task_complete(task=open_task(instance), actor=scj, action="accept")
    instance = services.clock_start(instance=instance, days=5, start=D(2026, 9, 24))
    assert instance.deadline == D(2026, 10, 9)
    review = open_task(instance)
    due_before = review.due_on
    services.instance_suspend(instance=instance, kind="expert_review", reason="组织专家评审", actor=scj,
                              at=at(D(2026, 9, 28)))
    with pytest.raises(services.Conflict):
        services.instance_suspend(instance=instance, kind="hearing", reason="again", actor=scj)
    services.instance_resume(instance=instance, actor=scj, at=at(D(2026, 10, 9)))
    instance.refresh_from_db()
    # Suspended 09-29, 09-30, 10-08, 10-09: four working days, so 10-09 + 4 = 10-14 (10-10 is worked).
    assert instance.suspended_days == 4
    assert instance.deadline == D(2026, 10, 14)
    assert instance.suspensions.get().working_days == 4
    review.refresh_from_db()
    assert review.due_on > due_before
    with pytest.raises(services.Conflict):
        services.instance_resume(instance=instance, actor=scj)


def test_suspend_requires_a_live_task_of_the_department(serial_definition, start, staff):
    instance = start(serial_definition)
    with pytest.raises(services.PermissionDenied):
        services.instance_suspend(instance=instance, kind="hearing", reason="听证", actor=staff("GAJ"))
    with pytest.raises(services.ValidationError):
        services.instance_suspend(instance=instance, kind="holiday", reason="?", actor=staff("SCJ"))


@pytest.fixture
def clocked(serial_definition, start, staff):
    """An accepted instance in review at SCJ, case deadline 2026-09-30, the stage limit far away."""
    instance = start(serial_definition)
    services.task_complete(task=open_task(instance), actor=staff("SCJ"), action="accept")
    Task.objects.filter(instance=instance, state="open").update(due_on=D(2027, 6, 30))
    return services.clock_start(instance=instance, days=2, start=D(2026, 9, 28))


def _levels(instance, task=False):
    return list(WarningRecord.objects.filter(instance=instance, task__isnull=not task)
                .order_by("id").values_list("level", "department", "due_on"))


def test_sweep_reminder_yellow_red_once_each(clocked):
    assert clocked.deadline == D(2026, 9, 30)
    deadline = clocked.deadline
    assert services.clocks_sweep(today=D(2026, 9, 28)) == 0  # two working days left
    assert services.clocks_sweep(today=D(2026, 9, 29)) == 1  # one working day before: reminder
    assert services.clocks_sweep(today=D(2026, 9, 29)) == 0
    assert services.clocks_sweep(today=D(2026, 9, 30)) == 0  # the deadline itself: already reminded
    clocked.refresh_from_db()
    assert clocked.warning == "reminded"
    assert services.clocks_sweep(today=D(2026, 10, 8)) == 1  # overdue: yellow
    assert services.clocks_sweep(today=D(2026, 10, 10)) == 0  # 3 working days over (10-10 worked): still yellow
    clocked.refresh_from_db()
    assert clocked.warning == "yellow"
    assert open_task(clocked).warning == "yellow"
    assert services.clocks_sweep(today=D(2026, 10, 12)) == 1  # past the escalation period: red
    assert services.clocks_sweep(today=D(2026, 10, 13)) == 0
    assert _levels(clocked) == [("reminder", "SCJ", deadline), ("yellow", "SCJ", deadline), ("red", "SCJ", deadline)]
    clocked.refresh_from_db()
    assert clocked.warning == "red"
    assert clocked.events.filter(action="warning").count() == 3


@override_settings(WORKFLOW_ESCALATION_DAYS=1)
def test_escalation_period_is_a_setting(serial_definition, start, staff):
    instance = start(serial_definition)
    instance = services.clock_start(instance=instance, days=0, start=D(2026, 9, 30))
    assert instance.escalate_after_days == 1
    Task.objects.filter(instance=instance).update(due_on=D(2027, 6, 30))
    services.clocks_sweep(today=D(2026, 10, 9))  # 10-08 is the first day over, 10-09 is past it
    assert [lvl for lvl, _, _ in _levels(instance)] == ["red"]


def test_no_warning_while_suspended(clocked, staff):
    scj = staff("SCJ")
    assert services.clocks_sweep(today=D(2026, 9, 29)) == 1  # reminder for 09-30
    services.instance_suspend(instance=clocked, kind="inspection", reason="现场核查", actor=scj,
                              at=at(D(2026, 9, 29)))
    assert services.clocks_sweep(today=D(2026, 10, 12)) == 0  # long past 09-30, but the clock is paused
    assert sweep_clocks.delay().get() == 0  # the Celery task, run eagerly
    services.instance_resume(instance=clocked, actor=scj, at=at(D(2026, 10, 12)))
    clocked.refresh_from_db()
    assert clocked.deadline == D(2026, 10, 13)  # paused 09-30, 10-08, 10-09, 10-10, 10-12: 09-30 + 5
    assert services.clocks_sweep(today=D(2026, 10, 12)) == 1  # a reminder for the new deadline
    assert _levels(clocked) == [("reminder", "SCJ", D(2026, 9, 30)), ("reminder", "SCJ", D(2026, 10, 13))]


def test_stage_limit_overdue_warns_the_stage_department(serial_definition, start, staff):
    instance = start(serial_definition)  # no clock yet: only the stage limit applies
    task = open_task(instance)
    Task.objects.filter(pk=task.pk).update(due_on=D(2026, 9, 28))
    services.clocks_sweep(today=D(2026, 9, 29))
    services.clocks_sweep(today=D(2026, 9, 29))
    services.clocks_sweep(today=D(2026, 10, 9))  # 09-28 + 3 working days = 10-08: red on 10-09
    assert _levels(instance, task=True) == [("yellow", "SCJ", D(2026, 9, 28)), ("red", "SCJ", D(2026, 9, 28))]
    assert _levels(instance) == []
    task.refresh_from_db()
    assert task.warning == "red"


def test_parallel_case_warning_names_each_open_department(parallel_definition, start, staff):
    instance = start(parallel_definition())
    services.task_complete(task=open_task(instance), actor=staff("SCJ"), action="accept")
    Task.objects.filter(instance=instance, state="open").update(due_on=D(2027, 6, 30))
    services.clock_start(instance=instance, days=1, start=D(2026, 9, 28))
    services.task_complete(task=open_task(instance, "WJW"), actor=staff("WJW"), action="agree")
    services.clocks_sweep(today=D(2026, 9, 30))
    assert sorted(d for _, d, _ in _levels(instance)) == ["GAJ", "ZJJ"]  # WJW has given its opinion
