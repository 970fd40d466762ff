"""`load_demo` leaves a citizen with cases and GAJ with work in its inbox, once."""

from yiwang.cases.demo import create_demo_cases
from yiwang.cases.models import Case
from yiwang.identity.demo import create_demo_accounts
from yiwang.identity.models import User
from yiwang.licenses.demo import issue_demo_licenses
from yiwang.registry.demo import load_demo_registry
from yiwang.workflow.selectors import tasks_for_department


def test_demo_cases_are_created_once_and_run_in_the_workflow(demo_catalog):
    load_demo_registry(persons=50)
    create_demo_accounts()
    issue_demo_licenses()
    numbers = create_demo_cases()
    assert len(numbers) == 3 and create_demo_cases() == []
    citizen, citizen2 = User.objects.get(username="citizen"), User.objects.get(username="citizen2")
    assert Case.objects.filter(applicant=citizen).count() == 2
    proxied = Case.objects.get(applicant=citizen2)
    assert proxied.submitted_by == citizen
    accepted = Case.objects.filter(number__in=numbers, accepted_at__isnull=False)
    assert accepted.count() == 1 and accepted.get().deadline is not None
    assert tasks_for_department("GAJ").count() >= 2  # the accepted case under review, the proxy's waiting
    assert tasks_for_department("RSJ").count() == 1
