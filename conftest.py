import pytest

from yiwang.catalog.models import ServiceItem


def _load_demo_catalog():
    from yiwang.catalog.demo import load_demo_catalog

    load_demo_catalog()


@pytest.fixture(scope="session")
def _demo_catalog_session(django_db_setup, django_db_blocker):
    # Loaded once per test process; tests roll back their own changes around it.
    with django_db_blocker.unblock():
        if not ServiceItem.objects.exists():
            _load_demo_catalog()


@pytest.fixture
def demo_catalog(_demo_catalog_session, db):
    """The demo catalogue of data/catalog (205 items, 27 departments, 20 life events), published."""
    if not ServiceItem.objects.exists():  # a transactional test flushed it
        _load_demo_catalog()


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, with the staff second factor passed (TOTP is mandatory)."""
    from yiwang.identity.testing import login_verified

    login_verified(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def _default_language():
    # LocaleMiddleware activates a request's language in the test's thread and nothing deactivates it:
    # an earlier test's English request must not turn this test's messages English.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _calendar_cache_clear():
    # The working-day calendar caches per process; a test that edits days must not leak into others.
    from yiwang.core.calendar import calendar_cache_clear

    calendar_cache_clear()
    yield
    calendar_cache_clear()
