"""Subscribers, the outbox dispatcher (exactly once), and the death follow-up sweep."""

import datetime as dt
import logging

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.identity.selectors import subject_index
from yiwang.notifications.models import InboxMessage
from yiwang.registry import outbox, services, subscribers
from yiwang.registry.constants import EntryStatus, EventKind, MaritalStatus, TaskKind, TaskStatus
from yiwang.registry.models import (
    Delivery,
    Entity,
    FollowUpTask,
    OutboxMessage,
    Person,
    RegistryEvent,
    Subscription,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def couple(person):
    husband = person("M", dt.date(1950, 1, 1), name="陈建", marital_status=MaritalStatus.MARRIED)
    wife = person("F", dt.date(1952, 1, 1), name="周丽", marital_status=MaritalStatus.MARRIED, spouse=husband)
    husband.spouse = wife
    husband.save()
    return husband, wife


def test_subscriptions_are_seeded_and_every_handler_exists():
    names = set(Subscription.objects.values_list("handler", flat=True))
    assert names == set(subscribers.HANDLERS)
    assert set(Subscription.objects.filter(event_kind=EventKind.DIED).values_list("department", flat=True)) == {
        "RSJ", "GAJ", "MZJ"}


def test_death_gives_exactly_the_two_tasks_and_widows_the_spouse(couple, staff, django_capture_on_commit_callbacks):
    husband, wife = couple
    with django_capture_on_commit_callbacks(execute=True):  # the on-commit trigger runs the eager task
        event = services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)
    tasks = FollowUpTask.objects.filter(event=event)
    assert sorted(tasks.values_list("department", "kind", "title", "status")) == [
        ("GAJ", TaskKind.DEREGISTER_HOUSEHOLD, "注销户口", TaskStatus.OPEN),
        ("RSJ", TaskKind.STOP_PENSION, "停发养老金", TaskStatus.OPEN),
    ]
    assert FollowUpTask.objects.count() == 2
    assert all(t.person_id == husband.pk for t in tasks)
    wife.refresh_from_db()
    husband.refresh_from_db()
    assert (wife.marital_status, wife.spouse, husband.spouse) == (MaritalStatus.WIDOWED, None, None)
    assert OutboxMessage.objects.get(event=event).published_at is not None
    assert Delivery.objects.filter(event=event).count() == 3


def test_birth_offers_the_newborn_life_event_to_both_parents(couple, person, staff,
                                                            django_capture_on_commit_callbacks):
    father = person("M", dt.date(1988, 1, 1))
    mother = person("F", dt.date(1990, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        child = services.person_register_birth(actor=staff("WJW"), name="陈小宝", sex="F", birth_date=TODAY,
                                               birth_place="杭州市妇幼保健院", mother=mother, father=father)
    for parent in (mother, father):
        message = InboxMessage.objects.get(recipient_hash=subject_index(parent.id_number))
        assert message.link == "/life-events/newborn_birth"
        assert "新生儿出生一件事" in message.subject and child.name in message.body
    assert InboxMessage.objects.count() == 2


def test_marriage_divorce_and_entity_deregistration_tasks(person, staff, django_capture_on_commit_callbacks):
    man, woman = person("M", dt.date(1988, 1, 1)), person("F", dt.date(1990, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        married = services.marriage_register(actor=staff("MZJ"), person=man, partner=woman)
    with django_capture_on_commit_callbacks(execute=True):
        divorced = services.divorce_register(actor=staff("MZJ"), person=Person.objects.get(pk=woman.pk))
    entity = Entity.objects.create(uscc="91330102712345672E", name="杭州测试有限公司", legal_representative=man,
                                   legal_representative_name=man.name, address="x", registered_on=dt.date(2020, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_deregister(actor=staff("SCJ"), entity=entity)
    rows = sorted(FollowUpTask.objects.values_list("department", "kind", "event_id", "entity_id"))
    assert rows == sorted([
        ("GAJ", TaskKind.UPDATE_HOUSEHOLD, married.pk, None),
        ("GAJ", TaskKind.UPDATE_HOUSEHOLD, divorced.pk, None),
        ("SWJ", TaskKind.TAX_DEREGISTER, RegistryEvent.objects.get(kind=EventKind.ENTITY_DEREGISTERED).pk, entity.pk),
    ])


def test_dispatch_twice_delivers_once(couple, staff):
    husband, _wife = couple
    event = services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)  # no on-commit here
    assert not Delivery.objects.exists()
    assert outbox.outbox_dispatch() == 3
    assert outbox.outbox_dispatch() == 0
    # even a message put back to unpublished is not delivered twice: the Delivery rows are the proof
    OutboxMessage.objects.filter(event=event).update(published_at=None)
    assert outbox.outbox_dispatch() == 0
    assert Delivery.objects.filter(event=event).count() == 3
    assert FollowUpTask.objects.filter(event=event).count() == 2
    assert OutboxMessage.objects.get(event=event).published_at is not None


def test_failing_handler_rolls_back_its_effects_and_is_retried(couple, staff, monkeypatch, caplog):
    husband, _wife = couple
    event = services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)

    def broken(event, subscription):
        subscribers.died_stop_pension(event, subscription)  # its task must roll back with the failure
        raise RuntimeError("pension system down")

    monkeypatch.setitem(subscribers.HANDLERS, "died_stop_pension", broken)
    with caplog.at_level(logging.ERROR, logger="yiwang.registry.outbox"):
        outbox.outbox_dispatch()
    message = OutboxMessage.objects.get(event=event)
    assert message.published_at is None and message.attempts == 1 and "pension system down" in message.last_error
    assert not FollowUpTask.objects.filter(kind=TaskKind.STOP_PENSION).exists()
    assert not Delivery.objects.filter(subscription__handler="died_stop_pension").exists()
    monkeypatch.undo()
    outbox.outbox_dispatch()
    assert Delivery.objects.filter(event=event).count() == 3
    assert FollowUpTask.objects.filter(event=event).count() == 2
    assert OutboxMessage.objects.get(event=event).published_at is not None


def test_handlers_are_idempotent(couple, staff):
    husband, _wife = couple
    event = services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)
    for subscription in Subscription.objects.filter(event_kind=EventKind.DIED):
        subscribers.HANDLERS[subscription.handler](event, subscription)
        subscribers.HANDLERS[subscription.handler](event, subscription)
    assert FollowUpTask.objects.count() == 2


def test_sweep_creates_missing_deregistration_tasks(person, staff, caplog):
    lost = person("M", dt.date(1930, 1, 1), died_on=TODAY - dt.timedelta(days=400))  # seed 003: never deregistered
    person("F", dt.date(1931, 1, 1), died_on=dt.date(2000, 1, 1), entry_status=EntryStatus.CLOSED)
    person("F", dt.date(1960, 1, 1))  # alive
    with_task = person("M", dt.date(1932, 1, 1), died_on=TODAY)
    FollowUpTask.objects.create(department="GAJ", kind=TaskKind.DEREGISTER_HOUSEHOLD, person=with_task, title="注销户口",
                                status=TaskStatus.DONE)
    with caplog.at_level(logging.WARNING, logger="yiwang.registry.services"):
        assert services.ensure_death_followups() == 1
    task = FollowUpTask.objects.get(person=lost)
    assert (task.department, task.kind, task.status, task.event) == ("GAJ", TaskKind.DEREGISTER_HOUSEHOLD,
                                                                     TaskStatus.OPEN, None)
    assert "注销户口" in caplog.text and lost.id_number not in caplog.text
    assert services.ensure_death_followups() == 0


def test_sweep_and_subscriber_never_make_two_tasks(couple, staff):
    husband, _wife = couple
    services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)
    assert services.ensure_death_followups() == 1  # the event is not delivered yet
    outbox.outbox_dispatch()
    assert FollowUpTask.objects.filter(kind=TaskKind.DEREGISTER_HOUSEHOLD).count() == 1
    assert FollowUpTask.objects.get(kind=TaskKind.DEREGISTER_HOUSEHOLD).event is not None  # the sweep found the event


def test_completing_the_deregistration_task_closes_the_entry(couple, staff):
    husband, _wife = couple
    services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)
    outbox.outbox_dispatch()
    task = FollowUpTask.objects.get(kind=TaskKind.DEREGISTER_HOUSEHOLD)
    gaj = staff("GAJ")
    done = services.followup_task_complete(actor=gaj, task=task)
    assert (done.status, done.done_by) == (TaskStatus.DONE, gaj) and done.done_at
    husband.refresh_from_db()
    assert husband.entry_status == EntryStatus.CLOSED
    assert RegistryEvent.objects.filter(kind=EventKind.DEATH_DEREGISTERED, person=husband).count() == 1
    assert AuditEntry.objects.filter(action="registry.task_complete").count() == 1
    with pytest.raises(services.TaskAlreadyDone):
        services.followup_task_complete(actor=gaj, task=task)
    pension = FollowUpTask.objects.get(kind=TaskKind.STOP_PENSION)
    with pytest.raises(services.PermissionDenied):
        services.followup_task_complete(actor=gaj, task=pension)
    assert services.followup_task_complete(actor=staff("RSJ"), task=pension).status == TaskStatus.DONE


def test_deregistering_at_the_window_closes_the_open_task(couple, staff):
    husband, _wife = couple
    services.death_record(actor=staff("WJW"), person=husband, died_on=TODAY)
    outbox.outbox_dispatch()
    services.death_deregister(actor=staff("GAJ"), person=Person.objects.get(pk=husband.pk))
    assert FollowUpTask.objects.get(kind=TaskKind.DEREGISTER_HOUSEHOLD).status == TaskStatus.DONE
