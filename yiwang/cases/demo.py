"""Demo cases, so that `make run` shows a citizen's cases and a department's inbox with work in it:
张伟 (`citizen`) has asked for a social-insurance record (waiting for acceptance at RSJ) and a
household certificate (accepted by GAJ, under review on its working-day clock); as 李秀英's proxy
he has asked for her household certificate too. Idempotent: nothing is added once 张伟 has cases."""

from __future__ import annotations

from django.db import transaction

from yiwang.identity.models import User
from yiwang.workflow.constants import TaskState
from yiwang.workflow.models import Task
from yiwang.workflow.services import task_complete

from . import services
from .models import Case

# item code → values the applicant types (the rest is prefilled from the registries and licences)
DEMO_APPLICATIONS = [
    ("citizen", None, "RSJ-GG-0011", {"print_range": "近一年", "apply_reason": "办理贷款"}),
    ("citizen", None, "GAJ-GG-0011", {"cert_category": "户籍证明", "apply_reason": "子女入学"}),
    ("citizen", "citizen2", "GAJ-GG-0011", {"cert_category": "户籍证明", "apply_reason": "办理养老待遇"}),
]
ACCEPTED_BY = {"GAJ-GG-0011": "staff-gaj"}


@transaction.atomic
def create_demo_cases() -> list[str]:
    users = {u.username: u for u in User.objects.filter(username__in=["citizen", "citizen2", "staff-gaj"])}
    if len(users) < 3 or Case.objects.filter(applicant=users["citizen"]).exists():
        return []
    numbers = []
    for username, principal, item_code, values in DEMO_APPLICATIONS:
        user = users[username]
        application = services.application_start(
            user=user, item_code=item_code, on_behalf_of=users[principal].pk if principal else None)
        application = services.application_update(user=user, application=application, data=values)
        result = services.application_submit(user=user, application=application)
        numbers += [c["number"] for c in result.body["cases"]]
    # The first household certificate is accepted, so its deadline runs and GAJ's inbox shows review.
    first = Case.objects.filter(number__in=numbers, item_code="GAJ-GG-0011").order_by("id").first()
    task = Task.objects.filter(instance__subject_type="case", instance__subject_id=first.number,
                               state=TaskState.OPEN).first()
    if task is not None:
        task_complete(task=task, actor=users[ACCEPTED_BY[first.item_code]], action="accept",
                      comment="材料齐全，予以受理")
    return numbers
