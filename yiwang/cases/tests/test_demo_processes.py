"""The authored process definitions (yiwang/workflow/demo.py) run end to end through the API: each
single item, and 开办餐饮店一件事 with its five departments and the shop sign's parallel opinions."""

import pytest

from yiwang.cases.models import CaseOutput
from yiwang.workflow.demo import DEMO_PROCESSES, SOURCE, load_demo_processes
from yiwang.workflow.models import Instance, Task

from .conftest import api, start, upload
from .test_handling import SAMPLES, case_json, fill_and_submit, staff

pytestmark = pytest.mark.django_db

ENTITY_ITEMS = {"SCJ-XK-0001", "SCJ-XK-0007", "CGJ-XK-0002", "XFJ-XK-0001", "ZJJ-XK-0004"}
RESTAURANT = ["SCJ-XK-0001", "SCJ-XK-0007", "CGJ-XK-0002", "XFJ-XK-0001", "ZJJ-XK-0004"]


@pytest.fixture
def processes(demo_catalog):
    return load_demo_processes()


def drive(number, capture) -> list[tuple[str, str, str]]:
    """Act on every open task until the case concludes: accept the first stage, agree in parallel
    stages, approve the others. Returns (stage, department, action) in the order acted."""
    done, clients = [], {}
    for _ in range(20):
        tasks = list(Task.objects.filter(instance__subject_id=number, state="open").select_related("stage")
                     .order_by("id"))
        if not tasks:
            break
        for task in tasks:
            if task.stage.kind == "parallel":
                action = "agree"
            elif task.stage.position == 1:
                action = "accept"
            else:
                action = "approve"
            client = clients.setdefault(task.department, staff(task.department))
            with capture(execute=True):
                response = client.post(f"/api/v1/tasks/{task.pk}/complete", {"action": action, "comment": "同意"},
                                       content_type="application/json")
            assert response.status_code == 200, (number, task.stage.name, response.json())
            done.append((task.stage.name, task.department, action))
    return done


def test_at_least_ten_items_have_authored_processes(processes):
    assert len(DEMO_PROCESSES) >= 10
    assert sorted(processes) == sorted(DEMO_PROCESSES)
    assert load_demo_processes() == []  # idempotent


@pytest.mark.parametrize("item", sorted(DEMO_PROCESSES))
def test_item_runs_end_to_end_on_its_authored_process(item, processes, citizen, id_card, household_register, company,
                                                      django_capture_on_commit_callbacks):
    client = api(company if item in ENTITY_ITEMS else citizen)
    number = fill_and_submit(client, item, django_capture_on_commit_callbacks)
    instance = Instance.objects.get(subject_id=number)
    assert (instance.definition.key, instance.definition.source) == (item, SOURCE)
    acted = drive(number, django_capture_on_commit_callbacks)
    _name, stages = DEMO_PROCESSES[item]
    # Every stage was worked, by each of its departments, in the authored order.
    expected = [(s["name"], d) for s in stages for d in s["departments"]]
    assert sorted((stage, department) for stage, department, _a in acted) == sorted(expected)
    assert [stage for stage, _d, _a in acted][0] == stages[0]["name"]
    body = case_json(client, number)
    assert (body["status"], body["result"]) == ("concluded", "approved")
    assert body["timeline"][-1]["action"] == "completed"


def test_open_restaurant_life_event_end_to_end(processes, company, django_capture_on_commit_callbacks):
    agent = api(company)
    body = start(agent, life_event="open_restaurant")
    data = {f["key"]: (f["options"][0] if f["options"] else SAMPLES.get(f["type"], "测试内容"))
            for f in body["fields"] if f["required"] and not f["value"] and not f["readonly"]}
    assert agent.patch(f"/api/v1/applications/{body['id']}", {"data": data}, format="json").status_code == 200
    # One form: each datum once, although several items ask for it.
    keys = [f["key"] for f in body["fields"]]
    assert len(keys) == len(set(keys)) and "business_premises" in keys
    # The business licence the government holds is not uploaded again for any of the items.
    licence = next(m for m in body["materials"] if m["name"] == "营业执照")
    assert licence["status"] == "held_by_government"
    for material in body["materials"]:
        if material["required"] and material["status"] == "missing":
            assert upload(agent, body["id"], material["name"]).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(f"/api/v1/applications/{body['id']}/submit", format="json")
    assert response.status_code == 201, response.json()
    numbers = {c["item"]: c["number"] for c in response.json()["cases"]}
    assert sorted(numbers) == sorted(RESTAURANT)
    # The five departments have their tasks at once (并联), not one after the other.
    assert {t.department for t in Task.objects.filter(state="open")} == {"SCJ", "CGJ", "XFJ", "ZJJ"}
    acted = {item: drive(number, django_capture_on_commit_callbacks) for item, number in numbers.items()}
    assert ("征求意见（建筑安全、登记名称）", "ZJJ", "agree") in acted["CGJ-XK-0002"]
    assert ("征求意见（建筑安全、登记名称）", "SCJ", "agree") in acted["CGJ-XK-0002"]
    for number in numbers.values():
        body = case_json(agent, number)
        assert (body["status"], body["result"]) == ("concluded", "approved")
    issued = set(CaseOutput.objects.filter(case__number__in=numbers.values(), license__isnull=False)
                 .values_list("license__license_type__code", flat=True))
    assert issued == {"business_license", "food_business_license", "fire_safety_inspection_permit"}
