"""Seed the 2026 working-day calendar from core/data/calendar_2026.json (State Council notice of
2025-11-04). Later years are entered by staff in the admin."""

import datetime as dt
import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "calendar_2026.json"


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["days"]:
        CalendarDay.objects.update_or_create(
            date=dt.date.fromisoformat(row["date"]),
            defaults={"is_working": row["is_working"], "note": row["note"]},
        )


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    dates = [dt.date.fromisoformat(row["date"]) for row in json.loads(DATA.read_text(encoding="utf-8"))["days"]]
    CalendarDay.objects.filter(date__in=dates).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
