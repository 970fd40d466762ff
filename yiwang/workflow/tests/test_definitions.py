"""Default processes from the catalogue, editable versions, stage rules."""

import pytest
from django.core.exceptions import ValidationError

from yiwang.workflow import services
from yiwang.workflow.models import ProcessDefinition, StageDefinition

from .conftest import open_task

pytestmark = pytest.mark.django_db


def _stages(definition):
    return list(definition.stages.order_by("position").values_list("name", "kind", "departments", "limit_days"))


def test_default_process_from_catalogue_steps(demo_catalog):
    definition = services.process_for_item("GAJ-QR-0003")  # 受理 1, 审查 2, 决定 1, 送达 1
    assert (definition.key, definition.name, definition.version, definition.active) == (
        "GAJ-QR-0003", "户口迁入（人才引进落户）", 1, True)
    assert _stages(definition) == [("受理", "single", ["GAJ"], 1), ("审查", "single", ["GAJ"], 2),
                                   ("决定", "single", ["GAJ"], 1)]
    accept, review, decide = definition.stages.order_by("position")
    assert accept.actions == ["accept", "refuse", "request_supplement"]  # no tolerant acceptance for this item
    assert review.actions == ["approve", "deny", "suspend", "resume"]
    assert decide.actions == ["approve", "deny"]
    assert services.process_for_item("GAJ-QR-0003") == definition  # built once


def test_default_process_with_parallel_departments(demo_catalog):
    # 网上报名受理 1, 资格审核 10, 学位分配 3 (review), 结果告知 1 (delivery, after the decision).
    definition = services.process_for_item("JYJ-GG-0001")
    assert _stages(definition) == [("受理", "single", ["JYJ"], 1), ("审查", "single", ["JYJ"], 6),
                                   ("并联审查", "parallel", ["BDC", "GAJ"], 7), ("决定", "single", ["JYJ"], 0)]
    parallel = definition.stages.get(kind="parallel")
    assert (parallel.quorum, parallel.actions) == ("all", ["agree", "disagree"])


def test_default_process_tolerant_item_and_unknown_item(demo_catalog):
    definition = services.process_for_item("SCJ-XK-0007")  # 食品经营许可（新办）: 容缺受理
    assert "accept_tolerant" in definition.stages.get(position=1).actions
    assert _stages(definition)[1] == ("审查", "single", ["SCJ"], 3)  # 现场核查 2 + 审查 1
    with pytest.raises(ValidationError):
        services.process_for_item("NO-SUCH-ITEM")


def test_new_version_does_not_touch_running_instances(demo_catalog, start, staff):
    first = services.process_for_item("GAJ-QR-0003")
    running = start(first)
    copy = services.definition_copy(definition=first)
    assert (copy.version, copy.active) == (2, False)
    StageDefinition.objects.filter(definition=copy, position=2).update(limit_days=9)
    services.definition_publish(definition=copy)
    assert services.process_for_item("GAJ-QR-0003") == copy
    assert list(ProcessDefinition.objects.filter(key="GAJ-QR-0003", active=True)) == [copy]
    services.task_complete(task=open_task(running), actor=staff("GAJ"), action="accept")
    running.refresh_from_db()
    assert running.definition == first
    assert open_task(running).stage.definition == first and open_task(running).stage.limit_days == 2


@pytest.mark.parametrize(("stage", "field"), [
    ({"kind": "single", "departments": ["SCJ", "GAJ"], "actions": ["approve"]}, "departments"),
    ({"kind": "single", "departments": [], "actions": ["approve"]}, "departments"),
    ({"kind": "single", "departments": ["NOPE"], "actions": ["approve"]}, "departments"),
    ({"kind": "single", "departments": ["SCJ"], "actions": ["agree"]}, "actions"),
    ({"kind": "parallel", "departments": ["SCJ", "GAJ"], "actions": ["approve"]}, "actions"),
    ({"kind": "parallel", "departments": ["SCJ", "GAJ"], "quorum": "n", "quorum_n": 3,
      "actions": ["agree", "disagree"]}, "quorum_n"),
])
def test_stage_rules(department, stage, field):
    department("SCJ")
    department("GAJ")
    with pytest.raises(ValidationError) as exc:
        services.definition_create(key="T-BAD", name="bad", stages=[{"name": "x", **stage}])
    assert field in exc.value.message_dict
    assert not ProcessDefinition.objects.filter(key="T-BAD").exists()
