"""Issuing, status transitions, use (用证) with stamped copies, audit without full ID numbers."""

import datetime as dt
import hashlib
import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Department, LicenseType
from yiwang.identity.constants import ProxyRelation
from yiwang.identity.models import ProxyAuthorisation
from yiwang.licenses import services
from yiwang.licenses.constants import TYPE_CODES, HolderCodeType, LicenseStatus
from yiwang.licenses.identifiers import identifier_is_valid, identifier_parse
from yiwang.licenses.models import License, LicenseTypeCode, LicenseUse

from .conftest import CITIZEN_ID, issue_id_card, make_user


def test_issue_builds_identifier_and_metadata(id_card):
    parsed = identifier_parse(id_card.identifier)
    assert parsed.type_code == TYPE_CODES["resident_id_card"] == id_card.type_code
    assert parsed.issuer_code == Department.objects.get(code="GAJ").credit_code == id_card.issuer_code
    assert parsed.version == 1 and parsed.serial == 1
    assert id_card.holder_code_type == HolderCodeType.ID_NUMBER == "111"
    assert id_card.holder_code == CITIZEN_ID and id_card.status == LicenseStatus.VALID
    assert id_card.name == "居民身份证" and id_card.number


def test_serials_increase_per_type_and_identifiers_are_unique(citizen):
    first, second = issue_id_card(), issue_id_card()
    assert identifier_parse(second.identifier).serial == identifier_parse(first.identifier).serial + 1
    assert first.identifier != second.identifier and first.number != second.number


def test_holder_code_and_fields_are_encrypted_at_rest(id_card):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT holder_code, fields_data FROM licenses_license WHERE id = %s", [id_card.pk])
        holder_code, fields_data = cursor.fetchone()
    assert CITIZEN_ID not in holder_code and CITIZEN_ID not in fields_data
    assert License.objects.get(pk=id_card.pk).fields["公民身份号码"] == CITIZEN_ID


def test_legal_person_licence_uses_uscc(business_license):
    assert business_license.holder_code_type == HolderCodeType.USCC == "001"


def test_unlisted_type_gets_a_stable_code_from_9001(demo_catalog):
    gaj = Department.objects.get(code="GAJ")
    new_type = LicenseType.objects.create(code="fishing_permit", name="钓鱼证", issuer=gaj, holder="自然人",
                                          fields=["姓名"])
    lic = services.license_issue(license_type=new_type, holder_code=CITIZEN_ID, holder_name="张伟",
                                 fields={"姓名": "张伟"}, valid_from=dt.date(2024, 1, 1), valid_until=None)
    assert lic.type_code == "9001" == LicenseTypeCode.objects.get(license_type=new_type).code
    again = services.license_issue(license_type=new_type, holder_code=CITIZEN_ID, holder_name="张伟",
                                   fields={}, valid_from=dt.date(2024, 1, 1), valid_until=None)
    assert again.type_code == "9001" and identifier_is_valid(again.identifier)


@pytest.mark.parametrize("holder_code, field", [
    ("330102198805120357", "holder_code"),  # wrong check digit
    ("12345", "holder_code"),
    ("91330102712345672E", "holder_code"),  # a USCC for an ID card
])
def test_issue_rejects_bad_holder_codes(citizen, holder_code, field):
    with pytest.raises(ValidationError) as exc:
        issue_id_card(holder_code)
    assert field in exc.value.message_dict
    assert not License.objects.exists()


def test_issue_rejects_unknown_fields_and_bad_validity(citizen):
    lt = LicenseType.objects.get(code="resident_id_card")
    with pytest.raises(ValidationError) as exc:
        services.license_issue(license_type=lt, holder_code=CITIZEN_ID, holder_name="张伟", fields={"血型": "A"},
                               valid_from=dt.date(2020, 1, 1), valid_until=None)
    assert "fields" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        issue_id_card(valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2019, 1, 1))
    assert "valid_until" in exc.value.message_dict
    with pytest.raises(ValidationError):
        issue_id_card(name="  ")


def test_issue_without_issuer_credit_code_fails_clearly(citizen):
    Department.objects.filter(code="GAJ").update(credit_code="")
    with pytest.raises(services.IssuerNotConfigured, match="市公安局.*统一社会信用代码"):
        issue_id_card()
    Department.objects.filter(code="GAJ").update(credit_code="11330100020010003X")  # wrong check character
    with pytest.raises(services.IssuerNotConfigured, match="无效"):
        issue_id_card()
    assert not License.objects.exists()


def test_transitions_and_illegal_ones(id_card, gaj_staff):
    services.license_suspend(license=id_card, actor=gaj_staff, reason="涉案暂扣")
    id_card.refresh_from_db()
    assert id_card.status == LicenseStatus.SUSPENDED and id_card.status_reason == "涉案暂扣"
    with pytest.raises(services.LicenseTransitionError, match="暂扣"):
        services.license_suspend(license=id_card, actor=gaj_staff)
    services.license_revoke(license=id_card, actor=gaj_staff)
    for action in (services.license_suspend, services.license_revoke, services.license_cancel):
        with pytest.raises(services.LicenseTransitionError):
            action(license=id_card, actor=gaj_staff)
    id_card.refresh_from_db()
    assert id_card.status == LicenseStatus.REVOKED
    actions = list(AuditEntry.objects.filter(target_type="licenses.License", target_id=str(id_card.pk))
                   .values_list("action", flat=True))
    assert actions == ["license.issue", "license.suspended", "license.revoked"]


def test_cancel(id_card, gaj_staff):
    assert services.license_cancel(license=id_card, actor=gaj_staff).status == LicenseStatus.CANCELLED


def test_only_issuing_department_staff_may_change_status(id_card, scj_staff, citizen):
    for actor in (scj_staff, citizen, None):
        with pytest.raises(PermissionDenied):
            services.license_revoke(license=id_card, actor=actor)
    id_card.refresh_from_db()
    assert id_card.status == LicenseStatus.VALID
    admin = make_user("root-t", kind="staff")
    admin.is_superuser = True
    admin.save()
    assert services.license_suspend(license=id_card, actor=admin).status == LicenseStatus.SUSPENDED


# --- use (用证) ------------------------------------------------------------------------------------

def use(license, user, **kwargs):
    values = {"item_code": "330100-TEST-01", "item_name": "新生儿出生一件事", "case_number": "BJ2025000123",
              "purpose": "户口登记"}
    return services.license_use(license=license, used_by=user, **(values | kwargs))


def test_use_records_and_keeps_a_stamped_copy(id_card, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record = use(id_card, citizen, valid_days=10)
    record.refresh_from_db()
    assert record.license == id_card and record.used_by == citizen and record.used_by_label == "张伟"
    assert record.valid_until <= dt.date.today() + dt.timedelta(days=10)
    assert record.stamp_text.startswith("仅供办理「新生儿出生一件事」（办件编号 BJ2025000123）使用，有效期至 ")
    assert default_storage.exists(record.stamped_copy.name)
    with record.stamped_copy.open("rb") as fh:
        content = fh.read()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == record.stamped_sha256
    entry = AuditEntry.objects.get(action="license.use")
    assert entry.actor_id == citizen.pk and entry.data["case_number"] == "BJ2025000123"
    assert AuditEntry.objects.get(action="license.stamped_copy").data["sha256"] == record.stamped_sha256


def test_stamped_copy_is_rendered_after_commit_once(id_card, citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record = use(id_card, citizen)
    assert not record.stamped_copy and len(callbacks) == 1  # the submit does not wait for the PDF
    callbacks[0]()
    record.refresh_from_db()
    first = record.stamped_copy.name
    assert first and services.stamped_copy_render(use=record).stamped_copy.name == first


def test_stamped_copy_never_outlives_the_licence(citizen):
    short = issue_id_card(valid_from=dt.date(2020, 1, 1), valid_until=dt.date.today() + dt.timedelta(days=3))
    assert use(short, citizen, valid_days=30).valid_until == short.valid_until


@pytest.mark.parametrize("action", [services.license_revoke, services.license_suspend, services.license_cancel])
def test_use_of_a_licence_that_is_not_valid_is_refused(id_card, citizen, gaj_staff, action):
    action(license=id_card, actor=gaj_staff)
    with pytest.raises(services.LicenseNotUsable, match="不能用于办事"):
        use(id_card, citizen)
    assert not LicenseUse.objects.exists()


def test_use_of_an_expired_licence_is_refused(citizen):
    old = issue_id_card(valid_from=dt.date(2000, 1, 1), valid_until=dt.date(2010, 1, 1))
    with pytest.raises(services.LicenseNotUsable, match="已过期"):
        use(old, citizen)


def test_someone_else_cannot_use_my_licence(id_card, other_citizen):
    with pytest.raises(PermissionDenied):
        use(id_card, other_citizen)


def test_proxy_with_a_grant_may_use_the_principals_licence(other_id_card, citizen, other_citizen):
    with pytest.raises(PermissionDenied):  # no grant yet
        use(other_id_card, citizen, on_behalf_of=other_citizen)
    ProxyAuthorisation.objects.create(principal=other_citizen, proxy=citizen, relation=ProxyRelation.FAMILY,
                                      valid_until=dt.date.today() + dt.timedelta(days=30))
    record = use(other_id_card, citizen, on_behalf_of=other_citizen)
    assert record.on_behalf_of == other_citizen and record.on_behalf_of_label == "李秀英"
    assert AuditEntry.objects.get(action="license.use").on_behalf_of == "lixiuying"


def test_use_needs_item_and_case_number(id_card, citizen):
    with pytest.raises(ValidationError):
        use(id_card, citizen, case_number=" ")
    with pytest.raises(ValidationError):
        use(id_card, citizen, valid_days=0)


def test_no_full_id_number_in_audit_or_logs(citizen, gaj_staff, caplog):
    caplog.set_level(logging.DEBUG)
    lic = issue_id_card()
    use(lic, citizen)
    services.license_suspend(license=lic, actor=gaj_staff)
    services.license_verify_token(services.license_token(lic))
    assert AuditEntry.objects.count() >= 4
    for entry in AuditEntry.objects.all():
        assert CITIZEN_ID not in str(entry.data) + entry.target_id + entry.on_behalf_of
    assert CITIZEN_ID not in caplog.text
