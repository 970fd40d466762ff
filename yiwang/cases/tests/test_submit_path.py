"""The submit path: a fixed, small number of SQL statements (it is the service hall's hot write, see
docs/benchmarks.md, submit throughput), and, since it runs without savepoints, still all or nothing
when something fails part-way."""

import os

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from yiwang.audit.models import AuditEntry
from yiwang.cases import services, submit
from yiwang.cases.models import Application, Case
from yiwang.licenses.models import License, LicenseUse
from yiwang.licenses.services import LicenseNotUsable, license_use
from yiwang.workflow.models import Instance, Task, WorkflowEvent

from .conftest import ITEM

pytestmark = pytest.mark.django_db

FILLED = {"print_range": "近一年", "apply_reason": "办理贷款"}
# One item, one licence use: the submit of RSJ-GG-0011 with the ID card held by the government, once
# the item's process definition exists (the first submit builds it). 21 in 2026-11 (49, then 23
# before): lock the draft, look up the idempotency key, the materials, the applicant's memberships
# and valid licences, the application, the case number, the case, the licence lock, the use, the
# materials' use ids, the process definition, no instance yet, the first stage, the instance, the
# task, both events, the idempotency record, all audit entries in one INSERT, and the savepoint pair
# of the test's transaction. A batch of submits costs the same statements (test_submit_batch.py).
# SHOW_SUBMIT_SQL=1 prints them.
MAX_QUERIES = 21


def _ready(user):
    application = services.application_start(user=user, item_code=ITEM)
    return services.application_update(user=user, application=application, data=FILLED)


def test_submit_of_one_item_stays_within_its_statement_budget(citizen, id_card, django_assert_max_num_queries):
    first = services.application_submit(user=citizen, application=_ready(citizen), idempotency_key="warm-up")
    assert first.status == 201  # it built the item's process definition
    application = _ready(citizen)
    with django_assert_max_num_queries(MAX_QUERIES) as queries:
        result = services.application_submit(user=citizen, application=application, idempotency_key="k-1")
    if os.environ.get("SHOW_SUBMIT_SQL"):
        for n, query in enumerate(queries.captured_queries, 1):
            print(f"{n:3d} {query['sql'][:400]}")
    # And the statements did what a submit does: the case, its licence use, its workflow.
    number = result.body["cases"][0]["number"]
    assert Case.objects.get(number=number).status == "submitted"
    assert list(LicenseUse.objects.filter(case_number=number).values_list("license_id", flat=True)) == [id_card.pk]
    instance = Instance.objects.get(subject_id=number)
    assert instance.position == 1
    assert list(Task.objects.filter(instance=instance).values_list("state", "department")) == [("open", "RSJ")]
    assert list(WorkflowEvent.objects.filter(instance=instance).order_by("at", "id")
                .values_list("action", "stage_name")) == [("started", ""), ("stage_started", "受理")]
    assert list(AuditEntry.objects.filter(target_id=number).order_by("id").values_list("action", flat=True)) == [
        "workflow.started", "workflow.stage_started"]


def test_a_replayed_submit_is_two_statements(citizen, id_card, django_assert_num_queries):
    application = _ready(citizen)
    first = services.application_submit(user=citizen, application=application, idempotency_key="k-2")
    with django_assert_num_queries(4):  # the lock with the key look-up, the record; the savepoint pair
        again = services.application_submit(user=citizen, application=application, idempotency_key="k-2")
    assert again.replayed and again.body == first.body
    assert Case.objects.count() == 1


def test_licence_revoked_between_check_and_use_rolls_the_whole_submit_back(citizen, id_card, monkeypatch):
    """The licence is revoked after validation read it valid and before its use locks it (a staff
    member at the same moment): the use is refused and nothing of the submit stays."""
    application = _ready(citizen)
    numbering = submit.case_numbers_next

    def revoke_then_number(**kwargs):
        License.objects.filter(pk=id_card.pk).update(status="revoked")
        return numbering(**kwargs)

    monkeypatch.setattr(submit, "case_numbers_next", revoke_then_number)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.application_submit(user=citizen, application=application, idempotency_key="k-3")
    assert exc.value.message_dict == {"materials": ["“申请人居民身份证”所用的电子证照不能使用，请上传该材料。"]}
    assert not Case.objects.exists() and not LicenseUse.objects.exists() and not Instance.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    assert Application.objects.get(pk=application.pk).status == "draft"


def test_an_unusable_licence_leaves_the_callers_transaction_usable(citizen, id_card):
    License.objects.filter(pk=id_card.pk).update(status="suspended")
    with transaction.atomic():
        with pytest.raises(LicenseNotUsable):
            license_use(license=id_card, item_code=ITEM, item_name="参保证明", case_number="X-1", used_by=citizen)
        # No savepoint was rolled back, and none was needed: the transaction goes on.
        assert License.objects.get(pk=id_card.pk).status == "suspended"
    assert not LicenseUse.objects.exists()
