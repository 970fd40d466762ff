"""Flat combining: concurrent calls in one process handed to one thread, which runs them as a batch.

A web worker with threads receives many submits at once under load. Each would be its own
transaction of a dozen statements; run together, a batch writes all of them with as many statements
as one, and commits once. The calling threads queue their work; whichever thread gets the combiner
lock takes everything queued (up to `max_batch`) and runs it, then hands each caller its result.
Nothing waits on a timer: a lone call runs at once as a batch of one, and batches grow only when
calls arrive while another batch runs, i.e. exactly when the process is busy.

The batch runs on the combining thread, so with its database connection and in its own
transaction; callers already inside a transaction must not be combined (their work would commit
with someone else's), which `Combiner.call` leaves to its owner to decide."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)
_UNSET = object()


class _Pending:
    __slots__ = ("item", "result", "error")

    def __init__(self, item):
        self.item, self.result, self.error = item, _UNSET, None


class Combiner:
    """`run_batch(items) -> results` (one per item, in order) runs with the combiner lock held. A
    result that is an exception instance is raised in its caller's thread; an exception raised by
    run_batch itself is raised in every caller of that batch. `after_batch()`, if given, runs in the
    combining thread once the lock is released (its errors are logged, not raised)."""

    def __init__(self, run_batch: Callable[[Sequence[Any]], Sequence[Any]], *, max_batch: int = 32,
                 after_batch: Callable[[], None] | None = None):
        self.run_batch = run_batch
        self.after_batch = after_batch
        self.max_batch = max(1, max_batch)
        self._combining = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self.batches = 0  # how many batches ran, and how many items they held (for benchmarks)
        self.items = 0

    def call(self, item):
        pending = _Pending(item)
        with self._queue_lock:
            self._queue.append(pending)
        ran = False
        with self._combining:
            # Not done yet: no earlier combiner took it, so it is still queued and this thread runs it.
            if pending.result is _UNSET and pending.error is None:
                self._run(pending)
                ran = True
        if ran and self.after_batch is not None:
            try:  # follow-up work of the batch, outside the lock: the next batch need not wait for it
                self.after_batch()
            except Exception:  # the batch is done; its callers must not fail for this
                logger.exception("after_batch failed")
        if pending.error is not None:
            raise pending.error
        if isinstance(pending.result, BaseException):
            raise pending.result
        return pending.result

    def _run(self, own: _Pending) -> None:
        with self._queue_lock:
            batch = self._queue[: self.max_batch]
            if own not in batch:
                batch = [*batch[: self.max_batch - 1], own]
            taken = {id(p) for p in batch}
            self._queue = [p for p in self._queue if id(p) not in taken]
        self.batches += 1
        self.items += len(batch)
        try:
            results = list(self.run_batch([p.item for p in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch gave {len(results)} results for {len(batch)} items")
        except BaseException as exc:  # every caller of the batch hears of it, not only this thread
            for p in batch:
                p.error = exc
            return
        for p, result in zip(batch, results, strict=True):
            p.result = result
