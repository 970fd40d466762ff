import itertools

import pytest
from django.contrib.auth.models import Group

from yiwang.catalog.models import Department
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.workflow import hooks, services
from yiwang.workflow.constants import PARALLEL_ACTIONS, Quorum, StageKind

SUBJECT = "test_subject"
_seq = itertools.count(1)


class Recorder:
    """A test subject's hook: remembers every event and describes the subject."""

    def __init__(self):
        self.events: list[tuple] = []
        self.fail_on: str | None = None
        self.sleep = 0.0

    def on_event(self, instance, event_name, task, action, data):
        if self.sleep:
            import time

            time.sleep(self.sleep)
        if event_name == self.fail_on:
            raise RuntimeError("hook refused")
        self.events.append((instance.subject_id, event_name, action, dict(data)))

    def describe(self, instance):
        return {"case": instance.subject_id, "item": "测试事项", "申请人": "张**"}

    def names(self, subject_id=None):
        return [e[1] for e in self.events if subject_id is None or e[0] == subject_id]


@pytest.fixture
def recorder():
    handler = Recorder()
    hooks.register(SUBJECT, handler)
    yield handler
    hooks.unregister(SUBJECT)


@pytest.fixture
def department(db):
    def make(code: str) -> Department:
        return Department.objects.get_or_create(code=code, defaults={"name": f"部门{code}"})[0]
    return make


@pytest.fixture
def staff(db, department):
    """staff("SCJ", "supervisor") → a staff user of that department with those roles."""
    def make(code: str, *roles: str) -> User:
        user, _ = User.objects.get_or_create(username=f"wf-{code.lower()}-{'-'.join(roles) or 'x'}",
                                             defaults={"kind": AccountKind.STAFF, "department": department(code)})
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user
    return make


@pytest.fixture
def citizen(db):
    return User.objects.create(username="wf-citizen", kind=AccountKind.CITIZEN)


@pytest.fixture
def serial_definition(department):
    """受理 → 审查 → 决定, all by SCJ (limits 1, 3, 1 working days)."""
    department("SCJ")
    single = {"departments": ["SCJ"]}
    return services.definition_create(key="T-SERIAL", name="测试串联流程", stages=[
        {**single, "name": "受理", "limit_days": 1,
         "actions": ["accept", "refuse", "request_supplement", "accept_tolerant"]},
        {**single, "name": "审查", "limit_days": 3, "actions": ["approve", "deny", "suspend", "resume"]},
        {**single, "name": "决定", "limit_days": 1, "actions": ["approve", "deny"]},
    ])


@pytest.fixture
def parallel_definition(department):
    """parallel_definition(quorum, n=0, final=True) → 受理 (SCJ) → 并联 (GAJ, WJW, ZJJ) [→ 决定 (SCJ)]."""
    def make(quorum: str = Quorum.ALL, n: int = 0, final: bool = True):
        for code in ("SCJ", "GAJ", "WJW", "ZJJ"):
            department(code)
        stages = [
            {"name": "受理", "departments": ["SCJ"], "limit_days": 1, "actions": ["accept", "refuse"]},
            {"name": "并联审查", "kind": StageKind.PARALLEL, "departments": ["GAJ", "WJW", "ZJJ"], "quorum": quorum,
             "quorum_n": n, "limit_days": 5, "actions": list(PARALLEL_ACTIONS)},
        ]
        if final:
            stages.append({"name": "决定", "departments": ["SCJ"], "limit_days": 1, "actions": ["approve", "deny"]})
        return services.definition_create(key=f"T-PAR-{next(_seq)}", name="测试并联流程", stages=stages)
    return make


@pytest.fixture
def start(recorder):
    def make(definition, subject_id: str | None = None):
        return services.instance_start(definition=definition, subject_type=SUBJECT,
                                       subject_id=subject_id or f"C{next(_seq):06d}")
    return make


def open_task(instance, department: str | None = None):
    tasks = instance.tasks.filter(state="open")
    if department:
        tasks = tasks.filter(department=department)
    return tasks.select_related("stage", "instance").get()
