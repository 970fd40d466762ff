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


def test_demo_newborn_can_be_applied_for_by_her_father(demo_catalog):
    from yiwang.cases import services
    from yiwang.registry.demo import DEMO_NEWBORN, DEMO_PEOPLE, load_demo_newborn
    from yiwang.registry.selectors import newborn_children, person_by_id_number
    from yiwang.sharing.demo import load_data_catalog
    from yiwang.workflow.demo import load_demo_processes

    load_data_catalog()
    load_demo_registry(persons=50)
    create_demo_accounts()
    issue_demo_licenses()
    child = load_demo_newborn()
    assert child is not None and load_demo_newborn() is None  # once
    father = person_by_id_number(DEMO_PEOPLE["citizen"][3])
    assert newborn_children(father) == [child] and child.name == DEMO_NEWBORN[0]
    assert load_demo_processes() and load_demo_processes() == []
    application = services.application_start(user=User.objects.get(username="citizen"),
                                             life_event_code="newborn_birth")
    assert application.beneficiary_name == DEMO_NEWBORN[0]
    assert application.values["newborn_name"] == DEMO_NEWBORN[0]
