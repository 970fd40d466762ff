"""The sharing rules of person_data_read / entity_data_read / own_data_read and the access log."""

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.identity.models import EntityMembership, User
from yiwang.identity.selectors import subject_index
from yiwang.registry.models import Entity
from yiwang.registry.selectors import id_number_index
from yiwang.sharing import services
from yiwang.sharing.constants import AccessChannel, RequestStatus
from yiwang.sharing.exceptions import NotFound, SharingDenied
from yiwang.sharing.models import DataAccessRecord

pytestmark = pytest.mark.django_db


def read(user, person, elements, purpose="办理社保登记", **kw):
    return services.person_data_read(requester=user, id_number=person.id_number, elements=elements,
                                     purpose=purpose, **kw)


def test_own_department_reads_its_data_without_purpose(make_staff, family):
    gaj = make_staff("GAJ")
    values = read(gaj, family["wife"], ["person.phone", "person.address", "person.household"], purpose="")
    assert values["person.phone"] == "13800000002"
    household = values["person.household"]
    assert household["number"] == "330102000001" and household["relation"] == "spouse"
    assert {m["name"] for m in household["members"]} == {"张伟", "张小宇"}
    assert all("*" in m["id_number"] and len(m["id_number"]) == 18 for m in household["members"])
    record = DataAccessRecord.objects.get()
    assert record.department == "GAJ" and record.channel == AccessChannel.STAFF_LOOKUP
    assert record.elements == ["person.phone", "person.address", "person.household"]
    assert record.subject_hash == subject_index(family["wife"].id_number)


def test_unconditional_needs_a_purpose(make_staff, family):
    rsj = make_staff("RSJ")
    with pytest.raises(ValidationError) as exc:
        read(rsj, family["husband"], ["person.name", "person.birth_date"], purpose="  ")
    assert "purpose" in exc.value.message_dict
    assert not DataAccessRecord.objects.exists()

    values = read(rsj, family["husband"], ["person.name", "person.sex", "person.birth_date"], case_number="C-1")
    assert values == {"person.name": "张伟", "person.sex": "M", "person.birth_date": "1988-05-12"}
    record = DataAccessRecord.objects.get()
    assert (record.department, record.purpose, record.case_number) == ("RSJ", "办理社保登记", "C-1")
    assert record.reader_id == rsj.pk and record.reader_label.startswith("职") and "*" in record.reader_label


def test_conditional_without_grant_is_denied_and_nothing_logged(make_staff, family):
    rsj = make_staff("RSJ")
    with pytest.raises(SharingDenied) as exc:
        read(rsj, family["husband"], ["person.name", "person.marital_status", "person.spouse"])
    assert exc.value.elements == ["person.marital_status", "person.spouse"]
    assert not DataAccessRecord.objects.exists()


def test_conditional_with_grant_is_read_and_logged(make_staff, family, grant):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.marital_status", "person.spouse"], source="MZJ")
    values = read(rsj, family["husband"], ["person.marital_status", "person.spouse"], case_number="C-2")
    assert values["person.marital_status"] == "married"
    assert values["person.spouse"]["name"] == "王丽"
    assert values["person.spouse"]["id_number"] == family["wife"].masked_id_number
    assert DataAccessRecord.objects.get().elements == ["person.marital_status", "person.spouse"]


def test_grant_covers_only_its_elements_and_its_department(make_staff, family, grant):
    rsj, other = make_staff("RSJ"), make_staff("SCJ")
    grant(rsj, ["person.marital_status"], source="MZJ")
    with pytest.raises(SharingDenied):
        read(rsj, family["husband"], ["person.marital_status", "person.spouse"])
    with pytest.raises(SharingDenied):
        read(other, family["husband"], ["person.marital_status"])
    assert not DataAccessRecord.objects.exists()


@pytest.mark.parametrize("status", [RequestStatus.PENDING, RequestStatus.REFUSED, RequestStatus.WITHDRAWN,
                                    RequestStatus.EXPIRED])
def test_grant_that_is_not_approved_does_not_count(make_staff, family, grant, status):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.marital_status"], source="MZJ", status=status)
    with pytest.raises(SharingDenied):
        read(rsj, family["husband"], ["person.marital_status"])


def test_expired_grant_is_denied_even_before_the_sweep(make_staff, family, grant):
    rsj = make_staff("RSJ")
    request = grant(rsj, ["person.marital_status"], source="MZJ",
                    valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert request.status == RequestStatus.APPROVED
    with pytest.raises(SharingDenied):
        read(rsj, family["husband"], ["person.marital_status"])
    assert services.sharing_requests_expire() == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert services.sharing_requests_expire() == 0  # idempotent
    assert AuditEntry.objects.filter(action="sharing.request_expired").count() == 1


def test_grant_valid_through_its_last_day(make_staff, family, grant):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.marital_status"], source="MZJ", valid_until=timezone.localdate())
    assert read(rsj, family["husband"], ["person.marital_status"]) == {"person.marital_status": "married"}


def test_not_shared_is_denied_even_with_a_grant(make_staff, family, grant):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.phone"], source="GAJ")  # cannot be created through the service; even so
    with pytest.raises(SharingDenied) as exc:
        read(rsj, family["husband"], ["person.phone"])
    assert exc.value.elements == ["person.phone"]
    assert not DataAccessRecord.objects.exists()


def test_denial_is_decided_before_existence(make_staff, make_person):
    rsj = make_staff("RSJ")
    ghost = make_person("甲")
    number = ghost.id_number
    ghost.delete()
    with pytest.raises(SharingDenied):
        services.person_data_read(requester=rsj, id_number=number, elements=["person.spouse"], purpose="x")
    with pytest.raises(NotFound):
        services.person_data_read(requester=rsj, id_number=number, elements=["person.name"], purpose="x")


def test_dead_person_is_not_found_unless_asked(make_staff, family):
    wjw = make_staff("WJW")
    husband = family["husband"]
    husband.died_on = dt.date(2026, 3, 1)
    husband.save()
    with pytest.raises(NotFound):
        read(wjw, husband, ["person.name"])
    assert not DataAccessRecord.objects.exists()
    assert read(wjw, husband, ["person.died_on"], include_deceased=True) == {"person.died_on": "2026-03-01"}


def test_bad_input(make_staff, family):
    rsj = make_staff("RSJ")
    with pytest.raises(ValidationError) as exc:
        services.person_data_read(requester=rsj, id_number="330102198805120357", elements=["person.name"],
                                  purpose="x")
    assert "id_number" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        read(rsj, family["husband"], ["person.name", "person.shoe_size"])
    assert "elements" in exc.value.message_dict
    with pytest.raises(ValidationError):
        read(rsj, family["husband"], ["entity.name"])
    with pytest.raises(ValidationError):
        read(rsj, family["husband"], [])


def test_citizens_cannot_use_the_staff_read(family):
    citizen = User.objects.create_user("c1", kind="citizen")
    with pytest.raises(SharingDenied):
        read(citizen, family["husband"], ["person.name"])


def test_parents_and_relations_are_masked(make_staff, family, grant):
    wjw, mzj = make_staff("WJW"), make_staff("MZJ")
    assert read(mzj, family["child"], ["person.spouse"], purpose="") == {"person.spouse": None}
    values = read(wjw, family["child"], ["person.parents"], purpose="")
    parents = values["person.parents"]
    assert parents["father"] == {"name": "张伟", "id_number": family["husband"].masked_id_number}
    assert parents["mother"]["name"] == "王丽"
    assert family["wife"].id_number not in str(values)


def test_own_data_read_allows_everything_and_is_logged(family):
    wife = family["wife"]
    citizen = User.objects.create_user("wangli", kind="citizen", id_number=wife.id_number,
                                       id_number_hash=id_number_index(wife.id_number))
    values = services.own_data_read(user=citizen, elements=["person.phone", "person.name"], purpose="预填申请表",
                                    case_number="")
    assert values == {"person.phone": "13800000002", "person.name": "王丽"}
    record = DataAccessRecord.objects.get()
    assert record.channel == AccessChannel.PREFILL and record.department == "" and record.reader_label == "本人"
    assert record.subject_hash == wife.id_number_hash

    stranger = User.objects.create_user("nobody", kind="citizen")
    with pytest.raises(NotFound):
        services.own_data_read(user=stranger, elements=["person.name"], purpose="x")


def test_entity_reads(make_staff, make_person, family):
    rep = family["husband"]
    entity = Entity.objects.create(uscc="91330102712345672E", name="杭州一网餐饮管理有限公司", legal_representative=rep,
                                   legal_representative_name=rep.name, address="河坊街88号",
                                   registered_on=dt.date(2021, 4, 8))
    rsj = make_staff("RSJ")
    values = services.entity_data_read(requester=rsj, uscc=entity.uscc.lower(),
                                       elements="entity.name,entity.legal_representative", purpose="核验")
    assert values == {"entity.name": entity.name, "entity.legal_representative": "张伟"}
    assert DataAccessRecord.objects.get().subject_hash == subject_index(entity.uscc)
    with pytest.raises(ValidationError):
        services.entity_data_read(requester=rsj, uscc="91330102712345672F", elements=["entity.name"], purpose="x")
    with pytest.raises(NotFound):
        services.entity_data_read(requester=rsj, uscc=_other_uscc(), elements=["entity.name"], purpose="x")

    agent = User.objects.create_user("agent", kind="enterprise")
    with pytest.raises(NotFound):
        services.own_data_read(user=agent, uscc=entity.uscc, elements=["entity.name"], purpose="x")
    EntityMembership.objects.create(user=agent, entity_uscc=entity.uscc, entity_name=entity.name, role="agent")
    assert services.own_data_read(user=agent, uscc=entity.uscc, elements=["entity.status"],
                                  purpose="预填") == {"entity.status": "active"}


def _other_uscc():
    from yiwang.core.ids import make_entity_uscc

    return make_entity_uscc(registry="91", region="330102", serial=99)


def test_access_record_for_other_apps(make_staff, family):
    handler = make_staff("RSJ")
    record = services.access_record(reader=handler, id_number=family["husband"].id_number,
                                    elements=["person.name", "application.form"],
                                    purpose=f"审查申请 {family['husband'].id_number}", channel=AccessChannel.CASE_HANDLING,
                                    case_number="C-9")
    assert record.department == "RSJ" and record.subject_hash == family["husband"].id_number_hash
    assert family["husband"].id_number not in record.purpose + record.subject_label
    with pytest.raises(ValueError, match="exactly one"):
        services.access_record(reader=handler, elements=["x"], purpose="p", channel=AccessChannel.CASE_HANDLING)
    with pytest.raises(ValueError, match="channel"):
        services.access_record(reader=handler, subject_hash="a" * 64, elements=["x"], purpose="p", channel="fax")


def test_no_full_id_number_in_logs_records_or_audit(make_staff, family, grant, caplog):
    rsj = make_staff("RSJ")
    number = family["husband"].id_number
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(SharingDenied):
            read(rsj, family["husband"], ["person.spouse"])
        grant(rsj, ["person.spouse"], source="MZJ")
        read(rsj, family["husband"], ["person.spouse", "person.id_number"], purpose=f"为 {number} 办理")
    assert all(number not in r.getMessage() for r in caplog.records)
    for record in DataAccessRecord.objects.values():
        assert number not in str(record)
    for entry in AuditEntry.objects.values():
        assert number not in str(entry)
