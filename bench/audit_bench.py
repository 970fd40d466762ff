"""Audit chain micro-benchmark: transactions of 4 `audit_record` calls each, committed by concurrent
client processes (each with its own PostgreSQL connection).

    uv run python bench/audit_bench.py [--modes legacy,current] [--clients 1,4] [--work-ms 0,20]
                                       [--seconds 10] [--repeat 1] [--tag NAME] [--keep-db]

Modes:
  legacy   the chain-lock path that audit_record had before sealing (embedded below): an advisory
           lock from the first entry until commit, seq and hash computed inside the transaction.
  current  yiwang.audit.services.audit_record as it stands (since migration 0004: unsealed insert,
           sealed by a try-lock sealer right after commit).
  no-seal  `current` without the after-commit sealer (the periodic job would seal): shows what the
           after-commit seal costs each transaction; the backlog is sealed at the end and timed.

--work-ms simulates the rest of a business transaction (pg_sleep, split after each of the 4 entries):
under the legacy path all of it is spent holding the chain lock. A submit holds it ~19 ms.

Uses its own database yiwang_bench_audit on BENCH_DATABASE_URL's server (migrations only, no demo
data), dropped at the end unless --keep-db. Prints a Markdown table and writes
bench/results/audit[-TAG].json.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, drop_db, fresh_db, percentile, save, setup_django  # noqa: E402

DB = "yiwang_bench_audit"
ENTRIES_PER_TRANSACTION = 4
_CHAIN_LOCK_KEY = 0x59574155  # as in yiwang/audit/services.py


def _legacy_audit_record(*, action, actor=None, target_type="", target_id="", data=None, on_behalf_of="",
                         department=""):
    """audit_record before sealing (unchanged but for skipping unsealed rows when finding the head)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from yiwang.audit import services
    from yiwang.audit.chain import GENESIS, entry_hash
    from yiwang.audit.models import AuditEntry
    from yiwang.core.masking import mask_text

    with transaction.atomic():
        actor_id, actor_label, actor_department = services._actor_fields(actor)
        fields = {
            "actor_id": actor_id,
            "actor_label": services._fit("actor_label", mask_text(actor_label)),
            "on_behalf_of": services._fit("on_behalf_of", mask_text(on_behalf_of)),
            "department": services._fit("department", department or actor_department),
            "action": services._fit("action", action),
            "target_type": services._fit("target_type", target_type),
            "target_id": services._fit("target_id", mask_text(str(target_id))),
            "data": services._plain_data(data),
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = (AuditEntry.objects.filter(seq__isnull=False).order_by("-seq")
                .values_list("seq", "hash").first())
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        fields.update(seq=seq, at=timezone.now())
        digest = entry_hash(prev_hash=prev_hash, **fields)
        return AuditEntry.objects.create(prev_hash=prev_hash, hash=digest, **fields)


def _install(mode: str):
    from yiwang.audit import services

    if mode == "legacy":
        return _legacy_audit_record
    if mode == "no-seal":
        services._seal_after_commit = lambda: None
    return services.audit_record


def _worker(env: dict, mode: str, work_ms: float, ready, seconds: float, client: int, out) -> None:
    setup_django(env)
    from django.db import connection, transaction

    record = _install(mode)
    pause = work_ms / 1000 / ENTRIES_PER_TRANSACTION

    def one(i: int) -> None:
        with transaction.atomic():
            for k in range(ENTRIES_PER_TRANSACTION):
                record(action="bench.step", target_type="cases.Case", target_id=f"B{client}-{i}",
                       data={"client": client, "i": i, "k": k, "item": "GAJ-GG-0011", "state": "submitted"})
                if pause:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_sleep(%s)", [pause])

    for i in range(10):  # warm-up: connection, imports, plan cache
        one(-1 - i)
    ready.wait()  # every client starts measuring at once, however long its start-up took
    end, latencies, i = time.time() + seconds, [], 0
    while (t0 := time.time()) < end:
        one(i)
        latencies.append(time.time() - t0)
        i += 1
    connection.close()
    out.put(latencies)


def run(env: dict, mode: str, clients: int, work_ms: float, seconds: float) -> dict:
    from django.db import connection

    from yiwang.audit import selectors, services
    from yiwang.audit.models import AuditEntry

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    ready = ctx.Barrier(clients)
    procs = [ctx.Process(target=_worker, args=(env, mode, work_ms, ready, seconds, n, queue))
             for n in range(clients)]
    for proc in procs:
        proc.start()
    latencies = []
    for _proc in procs:
        latencies += queue.get()
    for proc in procs:
        proc.join()
    unsealed_at_end = AuditEntry.objects.filter(seq__isnull=True).count()
    seal = getattr(services, "audit_seal", None)
    t0 = time.perf_counter()
    sealed = seal() if seal else 0
    seal_seconds = time.perf_counter() - t0
    verify = selectors.audit_verify()
    connection.close()
    transactions = len(latencies)
    return {
        "mode": mode, "work_ms": work_ms, "clients": clients, "seconds": seconds, "transactions": transactions,
        "tx_per_second": round(transactions / seconds, 1),
        "entries_per_second": round(transactions * ENTRIES_PER_TRANSACTION / seconds, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "unsealed_at_end": unsealed_at_end, "sealed_at_end": sealed,
        "seal_rows_per_second": round(sealed / seal_seconds) if sealed else None,
        "chain_ok": verify.ok, "chain_entries": verify.count,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="legacy,current", help="legacy, current, no-seal")
    parser.add_argument("--clients", default="1,4", help="client processes")
    parser.add_argument("--work-ms", default="0,20", help="other work per transaction (pg_sleep), ms")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=1, help="rounds over all settings")
    parser.add_argument("--tag", default="", help="results go to bench/results/audit-TAG.json")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    env = bench_env(DB)
    fresh_db(env, demo=False)
    setup_django(env)
    rows = []
    try:
        # Modes back to back for each setting, so that load from elsewhere hits them alike.
        for _round in range(args.repeat):
            for work_ms in [float(w) for w in args.work_ms.split(",") if w]:
                for clients in [int(c) for c in args.clients.split(",") if c]:
                    for mode in [m for m in args.modes.split(",") if m]:
                        rows.append(run(env, mode, clients, work_ms, args.seconds))
                        print(rows[-1], flush=True)
    finally:
        if not args.keep_db:
            drop_db(env)
    print("\n| mode | other work ms | clients | tx/s | entries/s | p50 ms | p95 ms | unsealed at end | chain ok |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['work_ms']:g} | {r['clients']} | {r['tx_per_second']} | {r['entries_per_second']} "
              f"| {r['p50_ms']} | {r['p95_ms']} | {r['unsealed_at_end']} | {r['chain_ok']} |")
    results = {"runs": rows, "load_average": os.getloadavg(), "cpus": os.cpu_count()}
    print("saved to", save(f"audit{'-' + args.tag if args.tag else ''}.json", results))


if __name__ == "__main__":
    main()
