"""The combiner hands concurrent calls to one thread as a batch and each caller its own answer."""

import threading
import time

import pytest

from yiwang.core.combining import Combiner


def _hold_until_queued(combiner: Combiner, count: int, target):
    """Start `count` callers while the combiner is busy, so that they all queue; return their threads."""
    combiner._combining.acquire()
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(combiner._queue) < count and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(combiner._queue) == count
    combiner._combining.release()
    for t in threads:
        t.join(5)
    return threads


def test_a_lone_call_runs_at_once_as_a_batch_of_one():
    batches = []
    combiner = Combiner(lambda items: batches.append(list(items)) or [x * 2 for x in items])
    assert combiner.call(21) == 42
    assert batches == [[21]]


def test_calls_arriving_while_a_batch_runs_are_run_together_each_getting_its_own_result():
    batches, answers = [], {}
    combiner = Combiner(lambda items: batches.append(list(items)) or [x * 10 for x in items], max_batch=32)

    def caller(i):
        answers[i] = combiner.call(i)

    _hold_until_queued(combiner, 8, caller)
    assert answers == {i: i * 10 for i in range(8)}
    assert len(batches) == 1 and sorted(batches[0]) == list(range(8))


def test_batches_are_capped():
    batches = []
    combiner = Combiner(lambda items: batches.append(len(items)) or list(items), max_batch=3)
    _hold_until_queued(combiner, 7, combiner.call)
    assert sum(batches) == 7 and max(batches) <= 3


def test_an_exception_as_a_result_is_raised_only_in_its_own_caller():
    answers = {}
    combiner = Combiner(lambda items: [ValueError(f"bad {x}") if x == 3 else x for x in items])

    def caller(i):
        try:
            answers[i] = combiner.call(i)
        except ValueError as exc:
            answers[i] = str(exc)

    _hold_until_queued(combiner, 5, caller)
    assert answers == {0: 0, 1: 1, 2: 2, 3: "bad 3", 4: 4}


def test_a_failing_batch_fails_every_caller_of_it_and_the_next_batch_runs():
    calls = {"n": 0}

    def run(items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database gone")
        return list(items)

    combiner = Combiner(run)
    errors = []

    def caller(i):
        try:
            combiner.call(i)
        except RuntimeError as exc:
            errors.append(str(exc))

    _hold_until_queued(combiner, 4, caller)
    assert errors == ["database gone"] * 4
    assert combiner.call("next") == "next"


def test_a_batch_that_answers_the_wrong_number_of_results_is_an_error():
    combiner = Combiner(lambda items: [])
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        combiner.call(1)


def test_after_batch_runs_once_per_batch_outside_the_lock_and_its_failure_is_not_the_callers():
    seen = []
    combiner = None

    def after():
        seen.append(combiner._combining.locked())
        raise RuntimeError("sealing failed")

    combiner = Combiner(lambda items: list(items), after_batch=after)
    _hold_until_queued(combiner, 4, combiner.call)
    assert combiner.call("x") == "x"
    assert seen == [False, False]  # one batch of four, one of one; the lock was free each time
