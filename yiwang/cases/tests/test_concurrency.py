"""Submissions racing for case numbers. On PostgreSQL the threads really run at once and the locked
counter row serialises them; SQLite's shared-cache in-memory test database does not retry table
locks, so there the threads take turns (each still on its own connection)."""

import contextlib
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.models import Case

from .conftest import PDF, UPLOAD_ITEM

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
