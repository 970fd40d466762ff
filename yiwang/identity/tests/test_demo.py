import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from yiwang.catalog.models import Department
from yiwang.identity.constants import AccountKind
from yiwang.identity.demo import DEMO_PASSWORD, create_demo_accounts
from yiwang.identity.models import User


def test_demo_accounts_exist_and_log_in(demo_catalog):
    create_demo_accounts()
    for username in ["citizen", "citizen2", "enterprise", "clerk", "admin"]:
        assert authenticate(RequestFactory().post("/"), username=username, password=DEMO_PASSWORD) is not None, username
    for dept in Department.objects.all():
        user = User.objects.get(username=f"staff-{dept.code.lower()}")
        assert user.kind == AccountKind.STAFF and user.department == dept
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.get(username="citizen").is_staff


def test_demo_accounts_are_real_people(demo_catalog):
    from yiwang.identity import selectors
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.demo import DEMO_TOTP_KEY
    from yiwang.registry.demo import DEMO_COMPANY, DEMO_PEOPLE

    create_demo_accounts()
    citizen, citizen2 = User.objects.get(username="citizen"), User.objects.get(username="citizen2")
    assert citizen.id_number == DEMO_PEOPLE["citizen"][3] and citizen.real_name_verified_at
    # citizen2 made citizen her proxy for every item.
    assert selectors.acting_subject_hashes(citizen, on_behalf_of=citizen2.pk, item_code="any") == {
        citizen2.id_number_hash}
    enterprise = User.objects.get(username="enterprise")
    assert selectors.subject_index(DEMO_COMPANY["uscc"]) in selectors.own_subject_hashes(enterprise)
    gaj = User.objects.get(username="staff-gaj")
    assert selectors.has_role(gaj, StaffRole.DATA_OFFICER) and not selectors.has_role(gaj, StaffRole.WINDOW_CLERK)
    assert selectors.has_role(User.objects.get(username="clerk"), StaffRole.WINDOW_CLERK)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.get(user=gaj).bin_key == DEMO_TOTP_KEY


def test_demo_loader_is_idempotent_and_keeps_changed_passwords(demo_catalog):
    create_demo_accounts()
    citizen = User.objects.get(username="citizen")
    citizen.set_password("changed-by-the-user-1")
    citizen.save()
    users = User.objects.count()
    assert create_demo_accounts() == []
    assert User.objects.count() == users
    assert authenticate(RequestFactory().post("/"), username="citizen", password="changed-by-the-user-1") is not None


@pytest.mark.django_db
def test_no_accounts_without_the_demo_loader():
    # Settings and migrations create no account: only load_demo does.
    assert not User.objects.filter(username__in=["admin", "citizen"]).exists()


def test_load_demo_command_twice_changes_nothing(demo_catalog, capsys):
    call_command("load_demo")
    from yiwang.catalog.models import ServiceItemVersion

    versions = ServiceItemVersion.objects.count()
    users = User.objects.count()
    call_command("load_demo")
    assert ServiceItemVersion.objects.count() == versions
    assert User.objects.count() == users
    assert "Demo data" in capsys.readouterr().out
