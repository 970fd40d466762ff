"""Submissions racing for case numbers. On PostgreSQL the threads really run at once and the locked
counter row serialises them; SQLite's shared-cache in-memory test database does not retry table
locks, so there the threads take turns (each still on its own connection)."""

import contextlib
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.cases import services
from yiwang.cases import submit as submitting
from yiwang.cases.models import Case

from .conftest import ITEM, OTHER, PDF, UPLOAD_ITEM, issue

THREADS = 6
# Committed data, so every thread's connection sees it (the test settings let the flush truncate the
# audit table on PostgreSQL). serialized_rollback puts back what the
# migrations seeded (code lists, data catalogue) after the flush, for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _ready_application(user):
    application = services.application_start(user=user, item_code=UPLOAD_ITEM)
    services.material_upload(user=user, application=application, name="居民身份证受理回执",
                             file=SimpleUploadedFile("r.pdf", PDF))
    return application


def _race(target, args_list):
    barrier = threading.Barrier(len(args_list))
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()
    results, errors = [], []

    def run(*args):
        try:
            barrier.wait()
            with turns:
                results.append(target(*args))
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_concurrent_submissions_get_distinct_contiguous_numbers(demo_catalog, citizen):
    applications = [_ready_application(citizen) for _ in range(THREADS)]
    results, errors = _race(
        lambda application: services.application_submit(user=citizen, application=application),
        [(a,) for a in applications])
    assert errors == []
    numbers = sorted(r.body["cases"][0]["number"] for r in results)
    prefix = f"{UPLOAD_ITEM}-{timezone.localdate():%Y%m%d}-"
    assert numbers == [f"{prefix}{serial:05d}" for serial in range(1, THREADS + 1)]
    assert Case.objects.count() == THREADS


def test_concurrent_retries_with_one_key_create_one_case(demo_catalog, citizen):
    application = _ready_application(citizen)
    results, errors = _race(
        lambda: services.application_submit(user=citizen, application=application, idempotency_key="same"),
        [() for _ in range(4)])
    assert errors == []
    assert len({r.body["cases"][0]["number"] for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert Case.objects.count() == 1


def _ready_filled(user):
    application = services.application_start(user=user, item_code=ITEM)
    return services.application_update(user=user, application=application,
                                       data={"print_range": "近一年", "apply_reason": "办理贷款"})


def test_concurrent_submits_in_one_process_are_combined_into_one_transaction(citizen, id_card, other_citizen):
    """Web worker threads submitting at once: one of them writes all, each gets its own answer."""
    issue("resident_id_card", OTHER, {"姓名": OTHER[0], "性别": "女", "公民身份号码": OTHER[3], "住址": "杭州市"})
    drafts = ([(citizen, _ready_filled(citizen)) for _ in range(3)]
              + [(other_citizen, _ready_filled(other_citizen)) for _ in range(3)])
    combiner = submitting.combiner()
    batches_before = combiner.batches
    answers = {}

    def caller(i):
        user, application = drafts[i]
        try:
            answers[i] = services.application_submit(user=user, application=application, idempotency_key=f"t{i}")
        finally:
            connection.close()

    combiner._combining.acquire()  # busy: the callers queue up
    threads = [threading.Thread(target=caller, args=(i,)) for i in range(len(drafts))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(combiner._queue) < len(drafts) and time.monotonic() < deadline:
        time.sleep(0.005)
    combiner._combining.release()
    for t in threads:
        t.join(30)
    assert combiner.batches - batches_before == 1
    assert sorted(answers) == list(range(6)) and {a.status for a in answers.values()} == {201}
    numbers = {a.body["cases"][0]["number"] for a in answers.values()}
    assert len(numbers) == 6 and set(Case.objects.values_list("number", flat=True)) == numbers
    for i, (user, application) in enumerate(drafts):
        assert Case.objects.get(number=answers[i].body["cases"][0]["number"]).application_id == application.pk
        assert Case.objects.get(application=application).applicant_id == user.pk
    # The combining thread sealed the batch's audit entries once it had let the combiner go.
    assert AuditEntry.objects.filter(action="application.submit").count() == 6
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
