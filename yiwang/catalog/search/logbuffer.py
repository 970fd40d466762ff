"""Search-log writes in batches: a commit per search cost more than the search itself.

API searches (which need no log id for click tracking) are buffered per process and written with
one multi-row INSERT when SEARCH_LOG_BATCH_SIZE rows are waiting or the oldest is
SEARCH_LOG_FLUSH_SECONDS old, and at process exit. A crash may lose the last unflushed rows; the
log feeds statistics, not the legal record (that is the audit log)."""

from __future__ import annotations

import atexit
import contextlib
import threading
import time

from django.conf import settings
from django.db import connection, transaction

from ..models import SearchLog


class SearchLogBuffer:
    def __init__(self):
        self.rows: list[SearchLog] = []
        self.oldest = 0.0
        self.lock = threading.Lock()

    def add(self, row: SearchLog) -> None:
        with self.lock:
            if not self.rows:
                self.oldest = time.monotonic()
            self.rows.append(row)
            due = (len(self.rows) >= getattr(settings, "SEARCH_LOG_BATCH_SIZE", 50)
                   or time.monotonic() - self.oldest >= getattr(settings, "SEARCH_LOG_FLUSH_SECONDS", 5.0))
        if due:
            self.flush()

    def flush(self) -> int:
        with self.lock:
            rows, self.rows = self.rows, []
        if not rows:
            return 0
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            SearchLog.objects.bulk_create(rows)
        return len(rows)


buffer = SearchLogBuffer()


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - process shutdown
    with contextlib.suppress(Exception):  # nothing is left to report to at exit
        buffer.flush()
