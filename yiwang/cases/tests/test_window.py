"""The window channel in cases (without the hall pages): who may start a window application, the
channel each way of submitting gets, the window process and its assigned acceptance, and the draft's
permissions. The pages are tested in yiwang/hall."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.cases import selectors, services
from yiwang.cases.constants import Channel
from yiwang.cases.models import Case
from yiwang.catalog.models import Department
from yiwang.identity.constants import AccountKind, StaffRole
from yiwang.identity.models import User
from yiwang.identity.services import staff_roles_set
from yiwang.licenses.models import LicenseUse
from yiwang.workflow.models import Task

from .conftest import ITEM, api, make_user, start

pytestmark = pytest.mark.django_db

FILLED = {"print_range": "近一年", "apply_reason": "办理贷款"}


def staff(username, department, roles):
    user = User.objects.create(username=username, kind=AccountKind.STAFF, display_name=username,
                               department=Department.objects.get(code=department))
    staff_roles_set(actor=None, user=user, roles=[str(r) for r in roles])
    return user


@pytest.fixture
def clerk(demo_catalog):
    return staff("clerk", "SPJ", [StaffRole.WINDOW_CLERK])


def window_draft(clerk, citizen):
    application = services.application_start_at_window(clerk=clerk, applicant=citizen, item_code=ITEM)
    return services.application_update(user=clerk, application=application, data=FILLED)


def test_only_window_clerks_start_for_a_real_name_account(clerk, citizen, other_citizen):
    handler = staff("handler", "RSJ", [StaffRole.HANDLER])
    for user in (handler, other_citizen):
        with pytest.raises(PermissionDenied):
            services.application_start_at_window(clerk=user, applicant=citizen, item_code=ITEM)
    unregistered = make_user("nobody")  # no 公民身份号码 on the account
    for applicant in (unregistered, clerk):
        with pytest.raises(ValidationError) as exc:
            services.application_start_at_window(clerk=clerk, applicant=applicant, item_code=ITEM)
        assert "applicant" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.application_start_at_window(clerk=clerk, applicant=citizen, item_code="NO-SUCH-ITEM")


def test_a_window_submission_is_accepted_at_the_window(clerk, citizen, id_card):
    application = window_draft(clerk, citizen)
    assert application.channel == Channel.WINDOW and not application.is_proxy and application.is_window
    result = services.application_submit(user=clerk, application=application)
    case = Case.objects.get(number=result.body["cases"][0]["number"])
    assert case.channel == Channel.WINDOW and case.submitted_by == clerk
    task = Task.objects.get(instance__subject_id=case.number)
    assert (task.department, task.assignee, task.instance.definition.key) == ("SPJ", clerk, f"{ITEM}@SPJ")
    # Every stage of this 即办件 is the window's; a committed item's later stages stay with the department.
    stages = list(task.instance.definition.stages.order_by("position").values_list("departments", flat=True))
    assert stages == [["SPJ"]] * len(stages)
    # The clerk used the citizen's licence for them.
    use = LicenseUse.objects.get(case_number=case.number)
    assert use.license == id_card
    assert [row["action_label"] for row in selectors.case_timeline(case)][0] == "综合窗口提交申请"
    # The clerk's own lists stay empty: the case is the citizen's.
    assert not selectors.cases_of(clerk).exists() and list(selectors.window_cases_of(clerk)) == [case]
    assert selectors.window_case_for(clerk, case.number) == case
    assert selectors.case_for(clerk, case.number) is None
    # A second window case of the item reuses the window process.
    again = services.application_submit(user=clerk, application=window_draft(clerk, citizen))
    other = Task.objects.get(instance__subject_id=again.body["cases"][0]["number"])
    assert other.instance.definition_id == task.instance.definition_id


def test_the_citizen_may_finish_a_window_draft_online(clerk, citizen, id_card, other_citizen):
    application = window_draft(clerk, citizen)
    assert selectors.application_for(other_citizen, application.pk) is None
    assert selectors.application_for(citizen, application.pk) is not None
    assert list(selectors.drafts_of(citizen)) == [application] and not selectors.drafts_of(clerk).exists()
    response = api(citizen).post(f"/api/v1/applications/{application.pk}/submit")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(application=application)
    assert case.channel == Channel.ONLINE and case.submitted_by == citizen
    assert Task.objects.get(instance__subject_id=case.number).department == "RSJ"  # the item's own process
    assert selectors.application_for(clerk, application.pk) is None  # no longer a draft


def test_online_and_proxy_channels(citizen, other_citizen, grant, id_card):
    own = start(api(citizen), item=ITEM)
    proxied = start(api(citizen), item=ITEM, on_behalf_of=other_citizen.pk)
    channels = dict(selectors.drafts_of(citizen).values_list("pk", "channel"))
    assert channels == {own["id"]: Channel.ONLINE, proxied["id"]: Channel.PROXY}


def test_after_submitting_the_clerk_goes_back_to_the_window(client, clerk, citizen, id_card):
    from yiwang.identity.testing import login_verified

    application = window_draft(clerk, citizen)
    login_verified(client, clerk)
    response = client.post(f"/cases/applications/{application.pk}/", {"action": "submit", "idempotency_key": "k1"})
    assert response.status_code == 302
    # Without the hall app installed, to the staff task list (with it: the window case page).
    assert response["Location"] in ("/workflow/tasks/",
                                    f"/hall/window/cases/{Case.objects.get(application=application).number}/")
