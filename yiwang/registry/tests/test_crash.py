"""Killing the worker mid-delivery: a real process is SIGKILLed before its transaction commits, a second
run finishes the work, and every (event, subscriber) pair has been delivered exactly once.

The processes need a database they can see: a temporary SQLite file, or a temporary PostgreSQL
database when the tests run on PostgreSQL (DATABASE_URL)."""

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

SCENARIO = """
import datetime as dt
from yiwang.registry import services as s
s._schedule_dispatch = lambda: None  # leave the events undelivered, as if no worker ran yet
from yiwang.catalog.models import Department
from yiwang.core.ids import make_id_number
from yiwang.identity.models import User
from yiwang.registry.models import Person
from yiwang.registry.selectors import id_number_index

def staff(code):
    department, _ = Department.objects.get_or_create(code=code, defaults={"name": code})
    return User.objects.create(username="crash-" + code, kind="staff", department=department)

def person(i, sex, birth):
    n = make_id_number("330102", birth, i, sex)
    return Person.objects.create(id_number=n, id_number_hash=id_number_index(n), name="测试" + str(i), sex=sex,
                                 birth_date=birth)

wjw, mzj = staff("WJW"), staff("MZJ")
today = dt.date.today()
a, b = person(1, "M", dt.date(1940, 1, 1)), person(2, "F", dt.date(1942, 1, 1))
s.marriage_register(actor=mzj, person=a, partner=b, occurred_on=dt.date(1966, 1, 1))  # 1 subscriber
s.death_record(actor=wjw, person=a, died_on=today)                                   # 3 subscribers
s.death_record(actor=wjw, person=person(3, "M", dt.date(1945, 1, 1)), died_on=today)  # 3 subscribers
s.person_register_birth(actor=wjw, name="新生", sex="F", birth_date=today, birth_place="医院",
                        mother=person(4, "F", dt.date(1990, 1, 1)), father=person(5, "M", dt.date(1988, 1, 1)))
"""

REPORT = """
import json
from yiwang.notifications.models import InboxMessage
from yiwang.registry.models import Delivery, FollowUpTask, OutboxMessage, Person, RegistryEvent, Subscription
pairs = [[e.pk, s.pk] for e in RegistryEvent.objects.all() for s in Subscription.objects.filter(event_kind=e.kind)]
print(json.dumps({
    "pairs": pairs,
    "deliveries": list(map(list, Delivery.objects.values_list("event_id", "subscription_id"))),
    "tasks": list(map(list, FollowUpTask.objects.values_list("event_id", "kind"))),
    "inbox": list(InboxMessage.objects.values_list("recipient_hash", flat=True)),
    "unpublished": OutboxMessage.objects.filter(published_at__isnull=True).count(),
    "widowed": Person.objects.filter(marital_status="widowed").count(),
}))
"""


@pytest.fixture
def database_url(tmp_path):
    """A database of its own that subprocesses can open: SQLite file, or a temporary PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
        return
    import psycopg

    name = f"test_registry_crash_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(url, *args, check=True):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "yiwang.settings.test"}
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,  # noqa: S603
                            text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def _report(url, before: str = "") -> dict:
    return json.loads(_manage(url, "shell", "-c", before + REPORT).stdout.strip().splitlines()[-1])


def test_worker_killed_mid_delivery_delivers_each_pair_exactly_once(database_url):
    _manage(database_url, "migrate", "-v0")
    before = _report(database_url, SCENARIO)
    assert len(before["pairs"]) == 8 and before["deliveries"] == [] and before["unpublished"] == 4

    # marriage (1 handler) then the first death (3 handlers): killed after the 4th handler ran, the
    # widowing of the spouse, before its transaction committed
    crashed = _manage(database_url, "deliver_outbox", "--crash-after", "4", check=False)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    after_crash = _report(database_url)
    assert len(after_crash["deliveries"]) == 3  # the 4th delivery rolled back with its handler's effects
    assert after_crash["widowed"] == 0
    assert after_crash["unpublished"] == 3

    finished = _manage(database_url, "deliver_outbox")
    assert "deliveries: 5" in finished.stdout
    # a third run finds nothing left to do
    final = _report(database_url, "from yiwang.registry.outbox import outbox_dispatch\nassert outbox_dispatch() == 0\n")
    delivered = Counter(map(tuple, final["deliveries"]))
    assert delivered == Counter(map(tuple, final["pairs"]))  # every pair, each exactly once
    tasks = Counter(map(tuple, final["tasks"]))
    assert set(tasks.values()) == {1} and len(tasks) == 1 + 2 + 2  # married: 1; each death: 2
    assert sorted(Counter(final["inbox"]).values()) == [1, 1]  # one offer to each parent
    assert final["widowed"] == 1 and final["unpublished"] == 0
