"""Conditional sharing requests: who may ask, who decides, deadlines in working days, conflicts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.core.calendar import add_working_days
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.sharing import selectors, services
from yiwang.sharing.constants import RequestStatus
from yiwang.sharing.exceptions import DecisionConflict, SharingDenied

pytestmark = pytest.mark.django_db


def create(user, elements=("person.marital_status", "person.spouse"), **kw):
    values = {"purpose": "核实婚姻状况以办理生育登记", "legal_basis": "《母婴保健法》第二十三条",
              "valid_until": timezone.localdate() + dt.timedelta(days=90)}
    values.update(kw)
    return services.sharing_request_create(user=user, elements=list(elements), **values)


def test_create_sets_source_and_working_day_deadline(make_staff):
    rsj = make_staff("RSJ")
    request = create(rsj)
    assert request.status == RequestStatus.PENDING
    assert request.requesting_department.code == "RSJ" and request.source_department.code == "MZJ"
    assert set(request.elements.values_list("code", flat=True)) == {"person.marital_status", "person.spouse"}
    assert request.due_at == add_working_days(timezone.localdate(), 5)
    assert AuditEntry.objects.filter(action="sharing.request_created", target_id=str(request.pk)).exists()


def test_due_date_counts_working_days_across_spring_festival(make_staff, monkeypatch, settings):
    rsj = make_staff("RSJ")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 2, 12))
    request = create(rsj, valid_until=dt.date(2026, 6, 30))
    # Fri 13, Sat 14 (调休上班), then 15-23 off: Tue 24, Wed 25, Thu 26.
    assert request.due_at == dt.date(2026, 2, 26)
    settings.SHARING_REVIEW_DAYS = 1
    assert create(rsj, valid_until=dt.date(2026, 6, 30)).due_at == dt.date(2026, 2, 13)


@pytest.mark.parametrize(("elements", "field"), [
    ([], "elements"),
    (["person.nope"], "elements"),
    (["person.name"], "elements"),                              # unconditional: nothing to ask
    (["person.phone"], "elements"),                             # not shared: cannot be asked for
    (["person.marital_status", "person.address"], "elements"),  # two source departments
])
def test_create_rejects_bad_elements(make_staff, elements, field):
    with pytest.raises(ValidationError) as exc:
        create(make_staff("RSJ"), elements=elements)
    assert field in exc.value.message_dict


def test_create_rejects_own_data_missing_fields_and_bad_validity(make_staff):
    with pytest.raises(ValidationError) as exc:
        create(make_staff("MZJ"))
    assert "本部门" in exc.value.message_dict["elements"][0]
    with pytest.raises(ValidationError) as exc:
        create(make_staff("RSJ"), purpose=" ", legal_basis="", valid_until=timezone.localdate())
    assert set(exc.value.message_dict) == {"purpose", "legal_basis", "valid_until"}
    with pytest.raises(ValidationError) as exc:
        create(make_staff("RSJ"), valid_until=timezone.localdate() + dt.timedelta(days=800))
    assert "valid_until" in exc.value.message_dict


def test_only_department_staff_may_ask(departments):
    citizen = User.objects.create_user("c", kind="citizen")
    with pytest.raises(SharingDenied):
        create(citizen)


def test_only_the_source_data_officer_decides(make_staff):
    request = create(make_staff("RSJ"))
    outsiders = [
        make_staff("MZJ"),                                # source department, but no data officer role
        make_staff("GAJ", StaffRole.DATA_OFFICER),        # data officer of another department
        make_staff("RSJ", StaffRole.DATA_OFFICER),        # the requesting department's own officer
        make_staff("MZJ", StaffRole.APPROVER),            # another role
    ]
    for user in outsiders:
        with pytest.raises(SharingDenied):
            services.sharing_request_approve(user=user, sharing_request=request)
        with pytest.raises(SharingDenied):
            services.sharing_request_refuse(user=user, sharing_request=request, reasons="不行")
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING

    officer = make_staff("MZJ", StaffRole.DATA_OFFICER)
    approved = services.sharing_request_approve(user=officer, sharing_request=request)
    assert approved.status == RequestStatus.APPROVED and approved.decided_by == officer
    assert approved.decided_at is not None and approved.is_active
    entry = AuditEntry.objects.get(action="sharing.request_approved")
    assert entry.actor_id == officer.pk and entry.department == "MZJ"
    assert selectors.granted_element_codes("RSJ") == {"person.marital_status", "person.spouse"}


def test_refusal_needs_reasons(make_staff, officers):
    request = create(make_staff("RSJ"))
    with pytest.raises(ValidationError) as exc:
        services.sharing_request_refuse(user=officers["MZJ"], sharing_request=request, reasons="  ")
    assert "reasons" in exc.value.message_dict
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    refused = services.sharing_request_refuse(user=officers["MZJ"], sharing_request=request,
                                              reasons="用途超出法定职责范围")
    assert refused.status == RequestStatus.REFUSED and refused.reasons == "用途超出法定职责范围"
    assert AuditEntry.objects.get(action="sharing.request_refused").data["reasons"] == "用途超出法定职责范围"
    assert selectors.granted_element_codes("RSJ") == set()


def test_deciding_twice_is_a_conflict(make_staff, officers):
    request = create(make_staff("RSJ"))
    services.sharing_request_approve(user=officers["MZJ"], sharing_request=request)
    with pytest.raises(DecisionConflict):
        services.sharing_request_approve(user=officers["MZJ"], sharing_request=request)
    with pytest.raises(DecisionConflict):
        services.sharing_request_refuse(user=officers["MZJ"], sharing_request=request, reasons="改主意")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert AuditEntry.objects.filter(action__startswith="sharing.request_").count() == 2  # created, approved


def test_withdraw(make_staff, officers):
    rsj = make_staff("RSJ")
    request = create(rsj)
    with pytest.raises(SharingDenied):
        services.sharing_request_withdraw(user=officers["MZJ"], sharing_request=request)
    services.sharing_request_withdraw(user=make_staff("RSJ"), sharing_request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    with pytest.raises(DecisionConflict):
        services.sharing_request_approve(user=officers["MZJ"], sharing_request=request)
    with pytest.raises(DecisionConflict):
        services.sharing_request_withdraw(user=rsj, sharing_request=request)


def test_overdue_requests_are_flagged_and_listed(make_staff, officers):
    late, fresh = create(make_staff("RSJ")), create(make_staff("RSJ"))
    late.due_at = timezone.localdate() - dt.timedelta(days=1)
    late.save()
    assert late.is_overdue and not fresh.is_overdue
    assert list(selectors.sharing_requests_overdue()) == [late]
    assert [r.pk for r in selectors.sharing_requests_awaiting_decision(officers["MZJ"])] == [late.pk, fresh.pk]
    assert not selectors.sharing_requests_awaiting_decision(officers["GAJ"]).exists()
    services.sharing_request_approve(user=officers["MZJ"], sharing_request=late)
    late.refresh_from_db()
    assert not late.is_overdue and not selectors.sharing_requests_overdue().exists()
    assert AuditEntry.objects.get(action="sharing.request_approved").data["overdue"] is True


def test_visibility_is_the_two_departments(make_staff):
    request = create(make_staff("RSJ"))
    assert selectors.sharing_request_visible(make_staff("RSJ"), request.pk) == request
    assert selectors.sharing_request_visible(make_staff("MZJ"), request.pk) == request
    assert selectors.sharing_request_visible(make_staff("GAJ"), request.pk) is None


def test_expiry_task_runs_the_sweep(make_staff, grant):
    from yiwang.sharing.tasks import expire_sharing_requests

    old = grant(make_staff("RSJ"), ["person.spouse"], source="MZJ",
                valid_until=timezone.localdate() - dt.timedelta(days=3))
    assert expire_sharing_requests.delay().get() == 1
    old.refresh_from_db()
    assert old.status == RequestStatus.EXPIRED
