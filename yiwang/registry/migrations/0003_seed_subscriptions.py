"""Seed the subscriptions of registry events (department, event kind, handler of subscribers.HANDLERS)."""

from django.db import migrations

SUBSCRIPTIONS = [
    ("RSJ", "died", "died_stop_pension"),
    ("GAJ", "died", "died_deregister_household"),
    ("MZJ", "died", "died_mark_spouse_widowed"),
    ("WJW", "born", "born_offer_newborn_event"),
    ("GAJ", "married", "married_update_household"),
    ("GAJ", "divorced", "divorced_update_household"),
    ("SWJ", "entity_deregistered", "entity_deregistered_tax"),
]


def seed(apps, schema_editor):
    Subscription = apps.get_model("registry", "Subscription")
    for department, kind, handler in SUBSCRIPTIONS:
        Subscription.objects.get_or_create(event_kind=kind, handler=handler, defaults={"department": department})


def unseed(apps, schema_editor):
    Subscription = apps.get_model("registry", "Subscription")
    Subscription.objects.filter(handler__in=[h for _d, _k, h in SUBSCRIPTIONS], deliveries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_outbox_followups")]
    operations = [migrations.RunPython(seed, unseed)]
