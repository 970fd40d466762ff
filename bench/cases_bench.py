"""Submit throughput: ready drafts submitted by concurrent clients, against pgbench on the same server.

    uv run python bench/cases_bench.py [--persons 600] [--submits 200] [--concurrency 1,4,2x8]

1. pgbench baselines (`-i -s 10`, then the default TPC-B-like script for --pgbench-seconds with
   `-c 4 -j 2`, and with one client as pgbench runs without options).
2. A fresh database yiwang_bench_cases (BENCH_DATABASE_URL's server) with `load_demo`, then
   --persons synthetic applicants: accounts of registry persons, each holding a resident ID card
   and a household register licence (license_issue, as the issuing departments would).
3. Ready drafts through the services (application_start with prefill, application_update,
   material_upload): three items per applicant —
     RSJ-GG-0011 参保证明查询打印   2 typed fields, ID card held by the government (1 licence use)
     GAJ-GG-0011 户籍类证明开具     2 typed fields, ID card + household register (2 licence uses)
     GAJ-QR-0009 临时居民身份证申领  all fields prefilled, 1 upload + household register (1 use)
4. Submits per second with N client processes calling services.application_submit directly (each
   with its own connection, applicants split between them; `PxT`: P processes of T threads, whose
   concurrent submits the process's combiner writes in batches, with the mean batch size and the
   machine's CPU per submit), then through gunicorn (2 workers, production settings; sync, and
   with --http-threads threads) with clients POSTing /api/v1/applications/{id}/submit with a
   bearer token and an Idempotency-Key; then a cProfile of --profile submits in one process (and
   how long each holds the audit chain lock), and the cost of a submit inside batches of
   --batch-sizes (submit_many called directly). A deadlocked submit is retried with its key.
5. The same with the patches of bench/what_if.py (--what-if), added one by one: at the highest
   concurrency, over HTTP and in the profile, to measure a change before its owner makes it.
Prints Markdown tables and writes bench/results/cases.json. Drops its databases unless --keep-db.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import multiprocessing as mp
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_env,
    drop_db,
    free_port,
    fresh_db,
    percentile,
    pgbench_tps,
    save,
    serve,
    setup_django,
    stop,
)

DB = "yiwang_bench_cases"
ITEMS = {
    "RSJ-GG-0011": {"print_range": "近一年", "apply_reason": "办理贷款"},
    "GAJ-GG-0011": {"cert_category": "户籍证明", "apply_reason": "子女入学"},
    "GAJ-QR-0009": {},
}
UPLOADS = {"GAJ-QR-0009": "居民身份证受理回执"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Where the time goes: functions whose cumulative time the profile reports (name → label).
BUCKETS = {
    "license_uses_record": "licence uses (lock, insert, audit)",
    "license_pdf": "  stamped-copy PDF rendering",
    "audit_batch": "audit entries (one insert per batch)",
    "audit_seal": "audit sealing after commit (chain lock + hash)",
    "case_numbers_next": "case numbering (counter row)",
    "_check": "validation (fields, materials, licences)",
    "instances_start": "workflow instances + first tasks + events",
    "process_for_item": "  process definition look-up",
    "decrypt": "field decryption",
    "encrypt": "field encryption",
}


# --- setup -----------------------------------------------------------------------------------------------

def make_applicants(count: int) -> list[int]:
    """Accounts for `count` living adult registry persons, each with an ID card and a household register."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from yiwang.catalog.models import LicenseType
    from yiwang.identity.constants import AccountKind
    from yiwang.identity.models import User
    from yiwang.identity.selectors import subject_index
    from yiwang.licenses.services import license_issue
    from yiwang.registry.models import Person
    from yiwang.registry.population import generate_population

    adult = timezone.localdate() - dt.timedelta(days=20 * 366)
    users = set(User.objects.exclude(id_number_hash=None).values_list("id_number_hash", flat=True))

    def candidates():
        return [p for p in Person.objects.filter(died_on=None, birth_date__lte=adult).order_by("id")
                if p.id_number_hash not in users]

    people = candidates()
    if len(people) < count:
        generate_population(persons=2 * (count - len(people)) + 100, seed=7, add=True)
        people = candidates()
    card, register = LicenseType.objects.get(code="resident_id_card"), LicenseType.objects.get(code="household_register")
    ids = []
    for n, person in enumerate(people[:count]):
        number, name = person.id_number, person.name
        with transaction.atomic():
            user = User.objects.create(
                username=f"bench-applicant-{n:05d}", kind=AccountKind.CITIZEN, display_name=name, id_number=number,
                id_number_hash=subject_index(number), real_name_verified_at=timezone.now())
            license_issue(license_type=card, holder_code=number, holder_name=name, valid_from=dt.date(2020, 1, 1),
                          valid_until=dt.date(2040, 1, 1), fields={"姓名": name, "公民身份号码": number})
            license_issue(license_type=register, holder_code=number, holder_name=name, valid_from=dt.date(2020, 1, 1),
                          valid_until=None, fields={"姓名": name, "公民身份号码": number, "户号": f"3301{n:08d}"})
        ids.append(user.pk)
    return ids


def _draft_worker(user_ids: list[int], rounds: int, out) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connections

    from yiwang.cases import services
    from yiwang.identity.models import User

    connections.close_all()
    made = []
    for _ in range(rounds):
        for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
            for code, values in ITEMS.items():
                application = services.application_start(user=user, item_code=code)
                if values:
                    application = services.application_update(user=user, application=application, data=values)
                if code in UPLOADS:
                    services.material_upload(user=user, application=application, name=UPLOADS[code],
                                             file=SimpleUploadedFile("receipt.pdf", PDF, "application/pdf"))
                made.append((application.pk, user.pk))
    out.put(made)


def make_drafts(user_ids: list[int], rounds: int, processes: int = 2) -> tuple[list[tuple[int, int]], float]:
    """Ready drafts (application id, user id), ordered by round, user and item; and drafts per second."""
    from django.db import connections

    connections.close_all()
    ctx, out = mp.get_context("fork"), mp.get_context("fork").Queue()
    started = time.perf_counter()
    procs = [ctx.Process(target=_draft_worker, args=(user_ids[i::processes], rounds, out)) for i in range(processes)]
    for p in procs:
        p.start()
    made = [row for _ in procs for row in out.get()]
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a draft worker failed")
    elapsed = time.perf_counter() - started
    return sorted(made), len(made) / elapsed


# --- direct submits --------------------------------------------------------------------------------------

RETRIES = {"deadlock": 0}


def _submit_one(application_id: int) -> dict:
    """Submit as a client would: a deadlock (the whole submit rolled back) is retried with the same key."""
    from django.db import OperationalError

    from yiwang.cases import services
    from yiwang.cases.models import Application

    key = uuid.uuid4().hex
    for _attempt in range(10):
        application = Application.objects.select_related("applicant", "submitted_by").get(pk=application_id)
        try:
            result = services.application_submit(user=application.submitted_by, application=application,
                                                 idempotency_key=key)
        except OperationalError as exc:
            if "deadlock" not in str(exc):
                raise
            RETRIES["deadlock"] += 1
            continue
        if result.status != 201:
            raise RuntimeError(result)
        return result.body
    raise RuntimeError(f"application {application_id}: still deadlocking after 10 tries")


def _submit_worker(drafts, warmup, patches, barrier, out, threads: int = 1) -> None:
    """One client process: its drafts submitted one after another, or by `threads` threads at once
    (a threaded web worker: concurrent submits are combined into batches, cases/submit.py)."""
    import threading

    from django.db import connection, connections

    from bench.what_if import install
    from yiwang.cases.submit import combiner

    try:
        connections.close_all()
        install(patches)
        for application_id in warmup:  # imports, fonts, prepared caches: not the steady state
            _submit_one(application_id)
        barrier.wait()
        RETRIES["deadlock"] = 0
        batches, items = combiner().batches, combiner().items
        latencies, failures = [], []

        def run(part):
            try:
                for application_id in part:
                    t0 = time.perf_counter()
                    _submit_one(application_id)
                    latencies.append(time.perf_counter() - t0)
            except BaseException as exc:  # reported by the process, not lost in a thread
                failures.append(exc)
                raise
            finally:
                if threads > 1:
                    connection.close()

        started = time.perf_counter()
        if threads == 1:
            run(drafts)
        else:
            workers = [threading.Thread(target=run, args=(drafts[i::threads],)) for i in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            if failures:
                raise failures[0]
        out.put((started, time.perf_counter(), latencies, RETRIES["deadlock"],
                 combiner().batches - batches, combiner().items - items))
    except BaseException:
        import traceback

        barrier.abort()
        out.put(traceback.format_exc())
        raise


def split_by_user(drafts: list[tuple[int, int]], n: int) -> list[list[int]]:
    """Each applicant's drafts go to one client (no client waits for another's licence row)."""
    parts = [[] for _ in range(n)]
    for application_id, user_id in drafts:
        parts[user_id % n].append(application_id)
    return parts


def collect(procs, out) -> list:
    rows = [out.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r for r in rows if isinstance(r, str)]
    if errors:
        raise RuntimeError("a client failed:\n" + errors[0])
    return rows


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine: client processes, PostgreSQL and anything else."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_direct(drafts, warmup, clients: int, patches: list[str], threads: int = 1) -> dict:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(clients), ctx.Queue()
    parts, warm = split_by_user(drafts, clients), [warmup[i::clients] for i in range(clients)]
    procs = [ctx.Process(target=_submit_worker, args=(parts[i], warm[i], patches, barrier, out, threads))
             for i in range(clients)]
    cpu_before = _cpu_jiffies()
    for p in procs:
        p.start()
    label = f"direct, {clients} client process{'es' if clients > 1 else ''}"
    if threads > 1:
        label += f" × {threads} threads"
    rows = collect(procs, out)
    cpu_after = _cpu_jiffies()
    summary = summarise(label, rows, patches)
    busy = (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK")
    summary["machine_cpu_ms_per_submit"] = round(busy * 1000 / summary["submits"], 2)
    batches = sum(r[4] for r in rows)
    summary["mean_batch"] = round(sum(r[5] for r in rows) / batches, 1) if batches else None
    return summary


def summarise(label: str, rows, patches) -> dict:
    wall = max(r[1] for r in rows) - min(r[0] for r in rows)
    latencies = [x for r in rows for x in r[2]]
    return {"setting": label, "patches": list(patches), "submits": len(latencies), "seconds": round(wall, 2),
            "per_second": round(len(latencies) / wall, 1), "retries": sum(r[3] for r in rows),
            "load_1min_after": round(os.getloadavg()[0], 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p95_ms": round(percentile(latencies, 95) * 1000, 1)}


# --- HTTP submits ----------------------------------------------------------------------------------------

def _http_worker(port: int, jobs, barrier, out) -> None:
    """POST each submit; a 5xx (a deadlock rolled the submit back) is retried with the same key."""
    try:
        conn, retries = http.client.HTTPConnection("127.0.0.1", port, timeout=60), 0

        def post(application_id, token):
            nonlocal retries
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            for _attempt in range(10):
                conn.request("POST", f"/api/v1/applications/{application_id}/submit", body=b"", headers=headers)
                response = conn.getresponse()
                body = response.read()
                if response.status == 201:
                    return
                if response.status < 500:
                    raise RuntimeError(f"{response.status} {body[:300]!r}")
                retries += 1
            raise RuntimeError(f"application {application_id}: 5xx after 10 tries")

        barrier.wait()
        started, latencies = time.perf_counter(), []
        for application_id, token in jobs:
            t0 = time.perf_counter()
            post(application_id, token)
            latencies.append(time.perf_counter() - t0)
        out.put((started, time.perf_counter(), latencies, retries))
    except BaseException:
        import traceback

        barrier.abort()
        out.put(traceback.format_exc())
        raise


def run_http(env, drafts, warmup, clients: int, patches: list[str], threads: int = 1) -> dict:
    from yiwang.identity.models import User
    from yiwang.identity.services import api_token_issue

    tokens = {u.pk: api_token_issue(user=u)[1] for u in User.objects.filter(pk__in={d[1] for d in drafts + warmup})}
    port = free_port()
    proc = serve({**env, "BENCH_PATCHES": ",".join(patches)}, port, app="bench.wsgi_bench", threads=threads)
    try:
        ctx = mp.get_context("fork")
        warm_out = ctx.Queue()
        _http_worker(port, [(a, tokens[u]) for a, u in warmup], ctx.Barrier(1), warm_out)
        warm_out.get()
        barrier, out = ctx.Barrier(clients), ctx.Queue()
        parts = [[] for _ in range(clients)]
        for application_id, user_id in drafts:
            parts[user_id % clients].append((application_id, tokens[user_id]))
        procs = [ctx.Process(target=_http_worker, args=(port, parts[i], barrier, out)) for i in range(clients)]
        cpu_before = _cpu_jiffies()
        for p in procs:
            p.start()
        rows = collect(procs, out)
        cpu_after = _cpu_jiffies()
    finally:
        stop(proc)
    label = f"HTTP, gunicorn 2 workers{f' × {threads} threads' if threads > 1 else ''}, {clients} clients"
    summary = summarise(label, rows, patches)
    summary["machine_cpu_ms_per_submit"] = round(
        (cpu_after[0] - cpu_before[0]) / os.sysconf("SC_CLK_TCK") * 1000 / summary["submits"], 2)
    return summary


# --- profile ---------------------------------------------------------------------------------------------

def _backend_cpu_seconds(pid: int) -> float | None:
    """CPU time of this connection's PostgreSQL backend (same host only), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile(drafts: list[int], patches: list[str]) -> dict:
    """cProfile over the submits, plus (without the profiler) the CPU time per submit of the client
    and of its PostgreSQL backend (what bounds throughput on a busy machine better than wall time),
    the statements per submit (the after-commit audit sealing included), and how long the audit
    chain lock is held: from a submit's first pg_advisory_xact_lock to its commit while entries were
    chained inside the submit, or the after-commit sealer's transaction since the chain is sealed
    after commit (pg_try_advisory_xact_lock). No other writer runs meanwhile."""
    from django.db import connection, transaction

    from bench.what_if import install

    install(patches)
    marks = {}

    def watch(execute, sql, params, many, context):
        marks["statements"] = marks.get("statements", 0) + 1
        if "advisory_xact_lock" in sql and "lock" not in marks:
            marks["lock"] = time.perf_counter()
            transaction.on_commit(lambda: marks.setdefault("commit", time.perf_counter()))
        return execute(sql, params, many, context)

    half = len(drafts) // 2
    holds, totals, statements = [], [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu_client, cpu_backend = time.process_time(), _backend_cpu_seconds(backend)
    with connection.execute_wrapper(watch):
        for application_id in drafts[:half]:
            marks.clear()
            t0 = time.perf_counter()
            _submit_one(application_id)
            totals.append(time.perf_counter() - t0)
            if "lock" in marks and "commit" in marks:
                holds.append(marks["commit"] - marks["lock"])
            statements.append(marks["statements"])
    cpu_client = (time.process_time() - cpu_client) / half
    end = _backend_cpu_seconds(backend)
    cpu_backend = (end - cpu_backend) / half if end is not None and cpu_backend is not None else None
    profiler = cProfile.Profile()
    profiler.enable()
    for application_id in drafts[half:]:
        _submit_one(application_id)
    profiler.disable()
    n = len(drafts) - half
    buckets = {}
    for (_file, _line, name), (_cc, _nc, _tt, ct, _callers) in pstats.Stats(profiler).stats.items():
        if name in BUCKETS:
            buckets[name] = buckets.get(name, 0) + ct
    total = sum(ct for (_f, _l, name), (_cc, _nc, _tt, ct, _c) in pstats.Stats(profiler).stats.items()
                if name == "_submit_one")
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(45)
    mean = sum(totals) / len(totals)
    hold = sum(holds) / len(holds) if holds else 0.0
    cpu = {"client": round(cpu_client * 1000, 2),
           "postgres": round(cpu_backend * 1000, 2) if cpu_backend is not None else None}
    cpu_total = cpu_client + (cpu_backend or 0)
    return {"submits": len(drafts), "patches": list(patches), "ms_per_submit": round(mean * 1000, 2),
            "cpu_ms_per_submit": cpu, "cpu_ceiling_per_second": round((os.cpu_count() or 1) / cpu_total, 1),
            "load_1min": round(os.getloadavg()[0], 1),
            "audit_lock_hold_ms": round(hold * 1000, 2), "audit_lock_share": round(hold / mean, 3),
            "ceiling_per_second": round(1 / hold, 1) if hold else None,
            "sql_statements_per_submit": round(sum(statements) / half, 1),
            "ms_per_submit_profiled": round(total / n * 1000, 2),
            "buckets_ms": {BUCKETS[k]: round(buckets.get(k, 0) / n * 1000, 2) for k in BUCKETS},
            "top": text.getvalue()}


def batch_cost(drafts: list[int], size: int) -> dict:
    """What a submit costs inside a batch of `size` (cases/submit.submit_many called directly, no
    threads): wall time, CPU of the client and of its PostgreSQL backend, and statements, per submit."""
    from django.db import connection

    from yiwang.cases import submit as submitting
    from yiwang.cases.models import Application

    def run(ids):
        applications = Application.objects.select_related("applicant", "submitted_by").filter(pk__in=ids)
        results = submitting.submit_many([submitting.SubmitRequest(
            user=a.submitted_by, application=a, key=uuid.uuid4().hex,
            endpoint=f"POST /api/v1/applications/{a.pk}/submit") for a in applications])
        if any(not isinstance(r, submitting.SubmitResult) or r.status != 201 for r in results):
            raise RuntimeError(results)

    run(drafts[:size])  # warm-up
    batches = [drafts[i:i + size] for i in range(size, len(drafts) - size + 1, size)]
    statements = [0]

    def watch(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    cpu, pg, t0 = time.process_time(), _backend_cpu_seconds(backend), time.perf_counter()
    with connection.execute_wrapper(watch):
        for ids in batches:
            run(ids)
    n = sum(len(b) for b in batches)
    wall, cpu, pg_end = time.perf_counter() - t0, time.process_time() - cpu, _backend_cpu_seconds(backend)
    return {"batch": size, "submits": n, "ms_per_submit": round(wall * 1000 / n, 2),
            "cpu_ms_per_submit": {"client": round(cpu * 1000 / n, 2),
                                  "postgres": round((pg_end - pg) * 1000 / n, 2) if pg is not None else None},
            "statements_per_submit": round(statements[0] / n, 2)}


# --- main ------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=600, help="synthetic applicants (3 drafts each a round)")
    parser.add_argument("--submits", type=int, default=200, help="submits per measured setting")
    parser.add_argument("--concurrency", default="1,4,2x8",
                        help="client processes for the direct runs; PxT: P processes of T threads each")
    parser.add_argument("--http-clients", type=int, default=4, help="0 skips the HTTP runs")
    parser.add_argument("--http-threads", default="1,16",
                        help="gunicorn threads per worker for the HTTP runs (gthread above 1), one run each")
    parser.add_argument("--http-clients-threaded", type=int, default=32,
                        help="clients for the runs with threaded workers (enough to keep the threads busy)")
    parser.add_argument("--what-if", default="seal_deferred",
                        help="patches of bench/what_if.py, added one by one and measured at the highest "
                             "concurrency, over HTTP and in the profile ('' for none)")
    parser.add_argument("--profile", type=int, default=100, help="submits profiled in one process (0: none)")
    parser.add_argument("--batch-sizes", default="1,4,16,32",
                        help="cost of a submit inside batches of these sizes, 200 submits each ('' for none)")
    parser.add_argument("--pgbench-seconds", type=int, default=30, help="0 skips pgbench")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    env = bench_env(DB)
    results = {"items": list(ITEMS)}
    if args.pgbench_seconds:
        results["pgbench_tps"] = round(pgbench_tps(env, seconds=args.pgbench_seconds), 1)
        # pgbench run as it starts with no options (one client): the literal "default" of the issue.
        results["pgbench_tps_1_client"] = round(pgbench_tps(env, seconds=args.pgbench_seconds, clients=1,
                                                            threads=1), 1)
    started = time.perf_counter()
    fresh_db(env)
    results["setup_seconds"] = {"migrate_and_demo": round(time.perf_counter() - started, 1)}
    setup_django(env)
    from yiwang.workflow.services import process_for_item

    for code in ITEMS:  # definitions exist before concurrent submits (as after the first real one)
        process_for_item(code)
    started = time.perf_counter()
    users = make_applicants(args.persons)
    results["setup_seconds"]["applicants"] = round(time.perf_counter() - started, 1)

    levels = [tuple(int(n) for n in c.split("x")) if "x" in c else (int(c), 1)
              for c in args.concurrency.split(",") if c]
    what_if = [n for n in args.what_if.split(",") if n]
    # Each what-if adds to the ones before it: [], [a], [a, b] ...
    variants = [what_if[:i] for i in range(len(what_if) + 1)]
    # What-ifs at the most client processes of a single thread (the setting the earlier runs used).
    single = max((p for p, t in levels if t == 1), default=levels[-1][0])
    settings = [(level, []) for level in levels] + [((single, 1), v) for v in variants[1:]]
    http_threads = [int(t) for t in args.http_threads.split(",") if t]
    http = [(t, v) for v in ([variants[0], variants[-1]] if what_if else [variants[0]]) for t in http_threads]
    http = http if args.http_clients else []
    warm_each = 2  # warm-up submits per client process
    batch_sizes = [int(n) for n in args.batch_sizes.split(",") if n]
    needed = ((len(settings) + len(http)) * args.submits + args.profile * len(variants)
              + sum(200 + 2 * n for n in batch_sizes)
              + warm_each * (sum(p * t for (p, t), _v in settings) + 4 * len(http)))
    rounds = -(-needed // (len(ITEMS) * len(users)))
    started = time.perf_counter()
    drafts, drafts_per_second = make_drafts(users, rounds)
    results["setup_seconds"]["drafts"] = round(time.perf_counter() - started, 1)
    results["drafts"] = {"count": len(drafts), "per_second_2_processes": round(drafts_per_second, 1)}

    pool = list(drafts)

    def take(n):
        batch = pool[:n]
        del pool[:n]
        return batch

    runs = []
    for (clients, threads), extra in settings:
        warmup = [a for a, _u in take(warm_each * clients * threads)]
        runs.append(run_direct(take(args.submits), warmup, clients, extra, threads))
        print(runs[-1], flush=True)
    for threads, extra in http:
        clients = args.http_clients if threads == 1 else args.http_clients_threaded
        runs.append(run_http(env, take(args.submits), take(warm_each * 4), clients, extra, threads))
        print(runs[-1], flush=True)
    results["runs"] = runs
    if args.profile:
        # Each in a fresh process, so the patches of one do not leak into the next.
        results["profiles"] = [_in_child(profile, [a for a, _u in take(args.profile)], extra)
                               for extra in variants]
    results["batches"] = [_in_child(batch_cost, [a for a, _u in take(200 + 2 * size)], size)
                          for size in batch_sizes]

    from django.db.models import Count

    from yiwang.audit.models import AuditEntry
    from yiwang.cases.models import Case
    from yiwang.licenses.models import LicenseUse
    from yiwang.workflow.models import Instance, Task

    results["rows"] = {"cases": Case.objects.count(), "licence_uses": LicenseUse.objects.count(),
                       "instances": Instance.objects.count(), "tasks": Task.objects.count(),
                       "audit_entries": AuditEntry.objects.count(),
                       "cases_by_item": dict(Case.objects.values_list("item_code").annotate(n=Count("id")))}
    save("cases.json", results)
    if not args.keep_db:
        drop_db(env)
    report(results)


def _child(func, args, out) -> None:
    from django.db import connections

    connections.close_all()
    try:
        out.put(func(*args))
    except BaseException:
        import traceback

        out.put(traceback.format_exc())
        raise


def _in_child(func, *args):
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(func, args, out))
    proc.start()
    result = out.get()
    proc.join()
    if isinstance(result, str):
        raise RuntimeError(result)
    return result


def report(results: dict) -> None:
    tps = results.get("pgbench_tps")
    target = f"{tps / 10:.0f}" if tps else "—"
    print(f"\npgbench (TPC-B-like, -c 4 -j 2): {tps} TPS; target submits/s ≥ {target}; "
          f"one client (pgbench's default): {results.get('pgbench_tps_1_client')} TPS\n")
    print("| setting | patches | submits | submits/s | % of pgbench TPS | p50 ms | p95 ms | deadlock retries "
          "| mean batch | machine CPU ms/submit |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results["runs"]:
        share = f"{r['per_second'] / tps:.1%}" if tps else "—"
        print(f"| {r['setting']} | {', '.join(r['patches']) or '—'} | {r['submits']} | {r['per_second']} | {share} "
              f"| {r['p50_ms']} | {r['p95_ms']} | {r['retries']} | {r.get('mean_batch', '—')} "
              f"| {r.get('machine_cpu_ms_per_submit', '—')} |")
    for p in results.get("profiles", []):
        cpu = p.get("cpu_ms_per_submit", {})
        print(f"\nOne process, {p['submits']} submits, patches {p.get('patches')}: {p['ms_per_submit']} ms/submit, "
              f"CPU {cpu.get('client')} ms client + {cpu.get('postgres')} ms PostgreSQL → ceiling "
              f"{p.get('cpu_ceiling_per_second')}/s on {os.cpu_count()} cores (load {p.get('load_1min')}), "
              f"{p['sql_statements_per_submit']} SQL statements; audit chain lock held {p['audit_lock_hold_ms']} ms "
              f"({p['audit_lock_share']:.0%}) → ceiling {p['ceiling_per_second']}/s; under cProfile "
              f"{p['ms_per_submit_profiled']} ms/submit, of which:")
        for label, ms in p["buckets_ms"].items():
            print(f"  {label}: {ms} ms")
    if results.get("batches"):
        print("\n| batch size | ms/submit | CPU ms/submit, client + PostgreSQL | statements/submit |")
        print("|---|---|---|---|")
        for b in results["batches"]:
            cpu = b["cpu_ms_per_submit"]
            print(f"| {b['batch']} | {b['ms_per_submit']} | {cpu['client']} + {cpu['postgres']} "
                  f"| {b['statements_per_submit']} |")
    print(f"\nrows: {results['rows']}")


if __name__ == "__main__":
    main()
