"""新生儿出生一件事 end to end through the API: a parent applies once for the newborn, types only what
no registry holds and uploads nothing; five departments' cases run in parallel (the social security
card with GAJ's and YBJ's parallel opinions); 出生登记 waits for the birth certificate the same
application issues; the child's licences land in the parent's wallet; the parent's access log shows
each department's reads; every timeline is complete."""

import datetime as dt

import pytest

from yiwang.cases.models import Application, Case
from yiwang.core.masking import mask_id_number, mask_name
from yiwang.licenses.models import License
from yiwang.registry.models import Person
from yiwang.sharing.models import DataAccessRecord
from yiwang.workflow.demo import load_demo_processes

from .conftest import (
    CITIZEN,
    NEWBORN_NAME,
    SPOUSE,
    api,
    fields_by_key,
    make_person,
    make_user,
    materials_by_name,
    start,
)
from .test_handling import act, open_task, staff

pytestmark = pytest.mark.django_db

NEWBORN_ITEMS = ["WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001", "RSJ-GG-0001"]
# The only required values no registry or licence holds.
TYPED = {"residence_address": "浙江省杭州市上城区解放路18号", "relation_to_head": "子", "insured_category": "新生儿",
         "bank_name": "中国工商银行杭州分行", "delivery_method": "邮寄"}


@pytest.fixture
def processes(demo_catalog):
    load_demo_processes()


def _option(field, wanted):
    return wanted if not field["options"] or wanted in field["options"] else field["options"][0]


def _apply(client):
    body = start(client, life_event="newborn_birth")
    fields = fields_by_key(body)
    data = {key: _option(fields[key], value) for key, value in TYPED.items()}
    response = client.patch(f"/api/v1/applications/{body['id']}", {"data": data}, format="json")
    assert response.status_code == 200, response.json()
    return body


def last_task(number, department):
    from yiwang.workflow.models import Task

    return Task.objects.filter(instance__subject_id=number, department=department).order_by("-id").first()


def _run(client, number, department, actions, capture):
    for action in actions:
        response = act(client, number, department, action, capture, comment="同意")
        assert response.status_code == 200, (number, department, action, response.json())


def test_newborn_life_event_end_to_end(citizen, newborn, id_card, household_register, processes,
                                       django_capture_on_commit_callbacks):
    parent = api(citizen)
    body = _apply(parent)
    assert body["beneficiary"] == {"name": NEWBORN_NAME, "id_number": mask_id_number(newborn.id_number)}

    # One form: every required value is prefilled with its source, except the ones no registry holds.
    fields = fields_by_key(body)
    typed_by_parent = {k for k, f in fields.items() if f["required"] and not f["value"]}
    assert typed_by_parent == set(TYPED)
    assert all(fields[k]["source"] is None for k in TYPED)
    assert (fields["newborn_name"]["value"], fields["newborn_name"]["source_label"], fields["newborn_name"]["readonly"]) \
        == (NEWBORN_NAME, "来自出生医学记录", True)
    assert fields["newborn_gender"]["value"] == "女" and fields["gender"]["value"] == "女"  # the child's, not 张伟's
    assert fields["mother_id_number"]["value"] == SPOUSE[3] and fields["father_id_number"]["value"] == CITIZEN[3]
    assert fields["newborn_birth_time"]["value"] == newborn.birth_date.isoformat()
    assert fields["applicant_name"]["value"] == "张伟"
    # The birth certificate number comes from the certificate this application issues.
    cert_no = fields["birth_cert_no"]
    assert (cert_no["value"], cert_no["required"], cert_no["readonly"], cert_no["source_label"]) == (
        "", False, True, "待本次申请签发证照后自动填写")
    # Nothing to upload: held by the government, issued by this application, or the online form itself.
    materials = materials_by_name(body)
    assert not [m for m in materials.values() if m["required"] and m["status"] == "missing"]
    assert materials["出生医学证明"]["status"] == "from_bundle"
    assert materials["《出生医学证明自填单》"]["status"] == "filled_online"
    assert materials["父母双方居民身份证"]["status"] == "held_by_government"

    with django_capture_on_commit_callbacks(execute=True):
        response = parent.post(f"/api/v1/applications/{body['id']}/submit", HTTP_IDEMPOTENCY_KEY="newborn-1")
    assert response.status_code == 201, response.json()
    numbers = {c["item"]: c["number"] for c in response.json()["cases"]}
    assert sorted(numbers) == sorted(NEWBORN_ITEMS)

    # Each department sees its own task, and viewing it is a logged read of the parent's data.
    departments = {"WJW-GG-0001": "WJW", "WJW-GG-0002": "WJW", "GAJ-QR-0001": "GAJ", "YBJ-GG-0001": "YBJ",
                   "RSJ-GG-0001": "RSJ"}
    clients = {code: staff(code) for code in {"WJW", "GAJ", "YBJ", "RSJ", "SCJ"}}
    for item, number in numbers.items():
        department = departments[item]
        listed = clients[department].get("/api/v1/tasks?state=open&page_size=100").json()["results"]
        assert number in {row["case"] for row in listed}
        task = open_task(number, department)
        detail = clients[department].get(f"/api/v1/tasks/{task.pk}")
        assert detail.status_code == 200, detail.content
        shown = {row["key"]: row["value"] for row in detail.json()["application"]["fields"]}
        assert shown["applicant_name"] == "张伟" and detail.json()["application"]["beneficiary"] == NEWBORN_NAME
        assert detail.json()["subject"]["case"] == number
        # An uninvolved department sees nothing of it.
        assert clients["SCJ"].get(f"/api/v1/tasks/{task.pk}").status_code == 404
        assert clients["SCJ"].get(f"/workflow/tasks/{task.pk}/").status_code == 404
        assert clients["SCJ"].post(f"/api/v1/tasks/{task.pk}/complete", {"action": "accept"},
                                   content_type="application/json").status_code == 404

    # 出生登记 cannot conclude before the birth certificate exists.
    gaj, wjw = clients["GAJ"], clients["WJW"]
    _run(gaj, numbers["GAJ-QR-0001"], "GAJ", ["accept", "approve"], django_capture_on_commit_callbacks)
    early = act(gaj, numbers["GAJ-QR-0001"], "GAJ", "approve", django_capture_on_commit_callbacks)
    assert early.status_code == 400
    assert "出生医学证明" in str(early.json()["error"])
    assert Case.objects.get(number=numbers["GAJ-QR-0001"]).concluded_at is None

    # A double action on one task: the second gets 409.
    task = open_task(numbers["WJW-GG-0001"], "WJW")
    assert act(wjw, numbers["WJW-GG-0001"], "WJW", "accept", django_capture_on_commit_callbacks).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        again = wjw.post(f"/api/v1/tasks/{task.pk}/complete", {"action": "accept"}, content_type="application/json")
    assert again.status_code == 409
    _run(wjw, numbers["WJW-GG-0001"], "WJW", ["approve", "approve"], django_capture_on_commit_callbacks)
    certificate = License.objects.get(license_type__code="birth_medical_certificate")
    assert certificate.holder_hash == newborn.id_number_hash and certificate.holder_name == NEWBORN_NAME
    assert certificate.fields["新生儿姓名"] == NEWBORN_NAME and certificate.fields["母亲姓名"] == SPOUSE[0]
    # The certificate filled 出生登记's number and material; now GAJ can conclude.
    application = Application.objects.get(pk=body["id"])
    assert application.values["birth_cert_no"]
    assert application.materials.get(name="出生医学证明").status == "held_by_government"
    _run(gaj, numbers["GAJ-QR-0001"], "GAJ", ["approve"], django_capture_on_commit_callbacks)

    _run(wjw, numbers["WJW-GG-0002"], "WJW", ["accept", "approve", "approve"], django_capture_on_commit_callbacks)
    _run(clients["YBJ"], numbers["YBJ-GG-0001"], "YBJ", ["accept", "approve", "approve"],
         django_capture_on_commit_callbacks)
    # The social security card: RSJ accepts, GAJ and YBJ give their opinions in parallel, RSJ decides.
    card = numbers["RSJ-GG-0001"]
    _run(clients["RSJ"], card, "RSJ", ["accept"], django_capture_on_commit_callbacks)
    _run(clients["GAJ"], card, "GAJ", ["agree"], django_capture_on_commit_callbacks)
    _run(clients["YBJ"], card, "YBJ", ["agree"], django_capture_on_commit_callbacks)
    _run(clients["RSJ"], card, "RSJ", ["approve", "approve"], django_capture_on_commit_callbacks)

    # Every case concluded and approved, with a complete timeline.
    for item, number in numbers.items():
        case = parent.get(f"/api/v1/cases/{number}").json()
        assert (case["status"], case["result"]) == ("concluded", "approved"), item
        actions = [row["action"] for row in case["timeline"]]
        assert actions[0] == "submitted" and "accepted" in actions and actions[-1] == "completed", (item, actions)
    card_actions = [row["action"] for row in parent.get(f"/api/v1/cases/{card}").json()["timeline"]]
    assert card_actions.count("opinion") == 2 and "parallel_decided" in card_actions
    # RSJ's decider sees the parallel opinions on its task.
    decided = clients["RSJ"].get(f"/api/v1/tasks/{last_task(card, 'RSJ').pk}")
    assert {(o["department"], o["action"]) for o in decided.json()["opinions"]} == {("GAJ", "agree"), ("YBJ", "agree")}

    # The child's licences are in the parent's wallet, under the child's (masked) name.
    wallet = parent.get("/api/v1/me/licenses?page_size=100").json()["results"]
    child_licences = {row["type"]["code"] for row in wallet if row["holder"]["code"] == mask_id_number(newborn.id_number)}
    assert child_licences == {"birth_medical_certificate", "vaccination_certificate", "household_register",
                              "social_security_card"}
    assert {row["holder"]["name"] for row in wallet if row["type"]["code"] == "social_security_card"} == {mask_name(NEWBORN_NAME)}

    # The parent's access log shows each department's reads of the application.
    log = parent.get("/api/v1/me/data-access-log?page_size=100").json()["results"]
    read_by = {row["department"]["code"] if isinstance(row["department"], dict) else row["department"]
               for row in log if row["channel"] == "case_handling"}
    assert {"WJW", "GAJ", "YBJ", "RSJ"} <= read_by
    # The prefill read the child's birth record as her guardian, logged on the child.
    assert DataAccessRecord.objects.filter(subject_hash=newborn.id_number_hash, channel="prefill").exists()

    # Another citizen: 404 on every case; a repeated submit with the same key creates nothing.
    other = api(make_user("other", ("赵敏", "F", dt.date(1992, 1, 1), "330102199201010029")))
    assert all(other.get(f"/api/v1/cases/{n}").status_code == 404 for n in numbers.values())
    again = parent.post(f"/api/v1/applications/{body['id']}/submit", HTTP_IDEMPOTENCY_KEY="newborn-1")
    assert again.status_code == 201 and Case.objects.count() == len(NEWBORN_ITEMS)


def test_no_newborn_in_the_registry_is_a_clear_error(citizen, processes):
    response = api(citizen).post("/api/v1/applications", {"life_event": "newborn_birth"}, format="json")
    assert response.status_code == 400
    assert "出生信息" in response.json()["error"]["fields"]["beneficiary"][0]
    assert not Application.objects.exists()


def test_twins_must_be_chosen(citizen, newborn, processes):
    from yiwang.core.ids import make_id_number
    from yiwang.registry.selectors import id_number_index

    number = make_id_number("330102", newborn.birth_date, 301, "M")
    twin = Person.objects.create(id_number=number, id_number_hash=id_number_index(number), name="张小满", sex="M",
                                 birth_date=newborn.birth_date, mother=newborn.mother, father=newborn.father)
    client = api(citizen)
    response = client.post("/api/v1/applications", {"life_event": "newborn_birth"}, format="json")
    assert response.status_code == 400 and "beneficiary" in response.json()["error"]["fields"]
    body = start(client, life_event="newborn_birth", beneficiary=twin.id_number)
    assert body["beneficiary"]["name"] == "张小满"
    assert fields_by_key(body)["newborn_name"]["value"] == "张小满"


def test_someone_elses_child_or_an_adult_is_refused_alike(citizen, newborn, other_citizen, processes):
    adult = make_person(("张大成", "M", dt.date(1990, 1, 1), "330102199001010012"), address="")
    adult.father = Person.objects.get(id_number_hash=newborn.father.id_number_hash)
    adult.save(update_fields=["father"])
    messages = set()
    for client, beneficiary in ((api(other_citizen), newborn.id_number), (api(citizen), adult.id_number),
                                (api(citizen), "330102199001010013"), (api(citizen), "not-a-number")):
        response = client.post("/api/v1/applications", {"item": "WJW-GG-0002", "beneficiary": beneficiary},
                               format="json")
        assert response.status_code == 400, beneficiary
        messages.add(response.json()["error"]["fields"]["beneficiary"][0])
    assert len(messages) == 1  # no oracle for who exists or whose child it is
    assert not Application.objects.exists()


def test_a_denied_birth_certificate_leaves_the_birth_registration_waiting_for_the_parents_upload(
        citizen, newborn, id_card, household_register, processes, django_capture_on_commit_callbacks):
    """The case that was to issue the birth certificate is denied: 出生登记, which was waiting for it,
    now needs it from the parent (pending as at tolerant acceptance), tells him so, cannot conclude
    before it arrives, and concludes once he has uploaded it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yiwang.notifications.models import InboxMessage
    from yiwang.workflow.models import Instance

    from .test_handling import actions, case_json

    parent = api(citizen)
    body = _apply(parent)
    with django_capture_on_commit_callbacks(execute=True):
        response = parent.post(f"/api/v1/applications/{body['id']}/submit", HTTP_IDEMPOTENCY_KEY="newborn-deny")
    numbers = {c["item"]: c["number"] for c in response.json()["cases"]}
    certificate, registration = numbers["WJW-GG-0001"], numbers["GAJ-QR-0001"]
    gaj, wjw = staff("GAJ"), staff("WJW")
    _run(gaj, registration, "GAJ", ["accept", "approve"], django_capture_on_commit_callbacks)
    assert Instance.objects.get(subject_id=registration).pending_materials == []

    _run(wjw, certificate, "WJW", ["accept", "approve", "deny"], django_capture_on_commit_callbacks)
    assert Case.objects.get(number=certificate).result == "denied"
    assert not License.objects.filter(license_type__code="birth_medical_certificate").exists()
    assert Application.objects.get(pk=body["id"]).materials.get(name="出生医学证明").status == "missing"
    waiting = case_json(parent, registration)
    assert waiting["pending"]["tolerant"] == ["出生医学证明"] and waiting["pending"]["tolerant_due"]
    assert "materials_required" in actions(waiting)
    # Every case that was to receive the certificate needs it now (出生登记, the vaccination
    # certificate, medical insurance), each with a notice naming it; the social security card does not.
    needing = {numbers[code] for code in ("GAJ-QR-0001", "WJW-GG-0002", "YBJ-GG-0001")}
    for number in needing:
        assert Instance.objects.get(subject_id=number).pending_materials == ["出生医学证明"]
    assert Instance.objects.get(subject_id=numbers["RSJ-GG-0001"]).pending_materials == []
    notices = InboxMessage.objects.filter(subject__startswith="请补齐材料", recipient_hash=citizen.id_number_hash)
    assert {n.body.split("\n")[0].removeprefix("办件编号：") for n in notices} == needing
    assert all(certificate in n.body and "不予许可" in n.body and "请上传" in n.body for n in notices)
    # Not before the certificate arrives.
    assert act(gaj, registration, "GAJ", "approve", django_capture_on_commit_callbacks).status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        supplied = parent.post(f"/api/v1/cases/{registration}/supplement", {
            "出生医学证明": SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")},
            format="multipart")
    assert supplied.status_code == 200 and supplied.json()["pending"] == []
    _run(gaj, registration, "GAJ", ["approve"], django_capture_on_commit_callbacks)
    assert Case.objects.get(number=registration).result == "approved"
