"""Handlers of registry events, by the name that Subscription.handler stores.

Each runs inside the dispatcher's transaction together with the insert of its Delivery row, so its
effects and the proof of delivery commit or roll back together. They are idempotent all the same
(a re-run finds the task or message it made before)."""

from __future__ import annotations

from django.urls import reverse

from .constants import NEWBORN_LIFE_EVENT, EntryStatus, MaritalStatus, TaskKind
from .models import Person, RegistryEvent, Subscription
from .services import followup_task_create


def died_stop_pension(event: RegistryEvent, subscription: Subscription) -> None:
    followup_task_create(department=subscription.department, kind=TaskKind.STOP_PENSION, event=event,
                         person=event.person)


def died_deregister_household(event: RegistryEvent, subscription: Subscription) -> None:
    if event.person.entry_status == EntryStatus.ACTIVE:  # GAJ may have deregistered at the window already
        followup_task_create(department=subscription.department, kind=TaskKind.DEREGISTER_HOUSEHOLD,
                             event=event, person=event.person)


def died_mark_spouse_widowed(event: RegistryEvent, subscription: Subscription) -> None:
    """MZJ, the source of marital data: the surviving spouse becomes widowed, the links are cleared."""
    person = Person.objects.select_for_update().get(pk=event.person_id)
    if person.spouse_id is None:
        return
    spouse = Person.objects.select_for_update().get(pk=person.spouse_id)
    person.spouse = None
    person.save(update_fields=["spouse", "updated_at"])
    if spouse.spouse_id == person.pk:
        spouse.spouse, spouse.marital_status = None, MaritalStatus.WIDOWED
        spouse.save(update_fields=["spouse", "marital_status", "updated_at"])


def born_offer_newborn_event(event: RegistryEvent, subscription: Subscription) -> None:
    """Offer each living parent the 新生儿出生一件事 in their inbox (even before they have an account)."""
    from yiwang.notifications.services import inbox_post

    child = event.person
    link = reverse("catalog:life-event-detail", args=[NEWBORN_LIFE_EVENT])
    for parent in (child.mother, child.father):
        if parent is None or parent.died_on is not None:
            continue
        inbox_post(
            recipient_code=parent.id_number, link=link, dedupe_key=f"born:{event.pk}",
            subject="新生儿出生一件事：一次申请，全部办好",
            body=(f"恭喜您的孩子{child.name}出生！您可以通过“新生儿出生一件事”一次申请办理出生医学证明、"
                  "预防接种证、户口登记、城乡居民医保参保登记和社会保障卡申领，无需分头跑。"),
        )


def _update_household_task(event: RegistryEvent, subscription: Subscription) -> None:
    followup_task_create(department=subscription.department, kind=TaskKind.UPDATE_HOUSEHOLD, event=event,
                         person=event.person)


married_update_household = _update_household_task
divorced_update_household = _update_household_task


def entity_deregistered_tax(event: RegistryEvent, subscription: Subscription) -> None:
    followup_task_create(department=subscription.department, kind=TaskKind.TAX_DEREGISTER, event=event,
                         entity=event.entity)


HANDLERS = {
    "died_stop_pension": died_stop_pension,
    "died_deregister_household": died_deregister_household,
    "died_mark_spouse_widowed": died_mark_spouse_widowed,
    "born_offer_newborn_event": born_offer_newborn_event,
    "married_update_household": married_update_household,
    "divorced_update_household": divorced_update_household,
    "entity_deregistered_tax": entity_deregistered_tax,
}
