import contextlib

import pytest
from django.db import connection


@contextlib.contextmanager
def triggers_disabled():
    """Let a test tamper with the log on PostgreSQL, inside its own transaction (rolled back after)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


@pytest.fixture
def allow_audit_truncate(transactional_db):
    """Transactional tests end with a flush (TRUNCATE), which the append-only trigger refuses unless
    the session allows it (the test settings should set this for every connection)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET yiwang.audit_allow_truncate = on")
