"""Staff inbox latency with 1,000,000 cases: GET /api/v1/tasks?state=open through gunicorn.

    uv run python bench/inbox_bench.py [--cases 1000000] [--seconds 15] [--connections 4]

1. A fresh database yiwang_bench_inbox (BENCH_DATABASE_URL's server) with `load_demo` and the
   default process definition of every demo item (workflow.services.process_for_item).
2. --cases workflow instances with their tasks, written with COPY (no services: bulk speed):
   items drawn with a Zipf-like spread, so departments carry very different loads (as in life);
   started over --days days; 90 % concluded (approved, denied, refused) or terminated with all
   their tasks completed, the rest running (or suspended, or waiting for a supplement) with open
   tasks at a random stage, parallel stages with one task per department; stage due dates from the
   stage limits; yellow and red warnings on overdue tasks and instances. Secondary indexes are
   built after the load, then VACUUM ANALYZE (as after any bulk load).
3. A knox token (identity.services.api_token_issue) for the demo staff account of the department
   with the most open tasks and of the median one; wrk (1 thread, --connections) on the first page
   of `GET /api/v1/tasks?state=open` (default page size) for both; for the busiest also with
   `&warning=red`, `&item=` its rarest and its commonest open item (the latter with `&warning=red`
   too), `?state=all` (first page and page 500, the last one under the count cap, and `&warning=red`),
   `?state=completed` and `?state=all&item=<the rarest>` (skip: --target-only); then /api/v1/ping
   as the ceiling.
4. EXPLAIN (ANALYZE, BUFFERS) of the SQL the view runs for the busiest department.
Prints Markdown tables, writes bench/results/inbox.json; drops the database unless --keep-db.
`--reuse-db` measures a kept database again (after a change of index or query; run `manage.py
migrate` on it first when the change has a migration). `--baseline` measures each request on the
inbox as it was before the item code, the count cap and the page by ids too (baseline_app), right
before the current code, so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_env,
    drop_db,
    free_port,
    fresh_db,
    save,
    serve,
    setup_django,
    stop,
    wrk,
)

DB = "yiwang_bench_inbox"
CHUNK = 50_000  # instances per COPY batch
TABLES = ("workflow_instance", "workflow_task")
INSTANCE_COLUMNS = ("id", "definition_id", "subject_type", "subject_id", "title", "state", "outcome", "position",
                    "started_at", "ended_at", "clock_started_at", "deadline", "suspended_since", "suspended_days",
                    "warning", "escalate_after_days", "pending_materials", "pending_materials_due")
TASK_COLUMNS = ("id", "instance_id", "stage_id", "department", "assignee_id", "state", "action", "comment", "missing",
                "due_on", "warning", "created_at", "completed_at", "completed_by_id", "on_behalf_of", "item_code")
N = r"\N"  # COPY's NULL


# --- generation ------------------------------------------------------------------------------------------

def definitions() -> list[dict]:
    """Every demo item's default process: [{id, key, name, stages: [(id, position, kind, departments, days)]}]."""
    from yiwang.catalog.models import ServiceItem
    from yiwang.workflow.models import StageDefinition
    from yiwang.workflow.services import process_for_item

    out = []
    for code in ServiceItem.objects.order_by("code").values_list("code", flat=True):
        try:
            definition = process_for_item(code)
        except Exception:  # noqa: BLE001 - an unpublished item has no process; it gets no cases
            continue
        stages = [(s.pk, s.position, s.kind, list(s.departments), s.limit_days)
                  for s in StageDefinition.objects.filter(definition=definition).order_by("position")]
        out.append({"id": definition.pk, "key": code, "name": definition.name[:200], "stages": stages})
    return out


def _days(working: int) -> int:
    return working + working // 5 * 2  # working days to calendar days, roughly (weekends)


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


class Generator:
    """Rows for COPY. Everything depends only on the seed."""

    def __init__(self, defs: list[dict], staff: dict[str, int], *, days: int, running: float, seed: int,
                 after: tuple[int, int] = (0, 0), serials: dict | None = None):
        self.rng = random.Random(seed)
        self.defs = defs
        ranks = list(range(1, len(defs) + 1))
        self.rng.shuffle(ranks)
        self.weights = [1 / r ** 0.9 for r in ranks]
        self.staff = staff
        self.days = days
        self.running = running
        self.today = dt.date.today()
        # load_demo's few cases come first: continue their ids and case numbers.
        self.serials: dict[tuple[str, dt.date], int] = dict(serials or {})
        self.first_instance, self.task_id = after

    def instance(self, pk: int, definition: dict, inst: list[str], tasks: list[str]) -> None:
        rng, stages = self.rng, definition["stages"]
        live = rng.random() < self.running
        roll = rng.random()
        if live:
            state = "suspended" if roll < 0.05 else "running"
            last = rng.randint(1, len(stages))  # the stage open now
            outcome = None
        elif roll < 0.03:
            state, outcome, last = "completed", "refused", 1
        elif roll < 0.05:
            state, outcome, last = "terminated", None, rng.randint(1, len(stages))
        else:
            state, outcome, last = "completed", "denied" if roll < 0.09 else "approved", len(stages)
        if live:
            # The open stage began within its limit (plus a little) for most cases; some are stuck.
            limit = _days(stages[last - 1][4])
            lag = rng.randint(0, limit + 2) if rng.random() < 0.85 else rng.randint(0, 40)
            age = lag + sum(_days(st[4]) or 1 for st in stages[:last - 1])
        else:
            age = rng.randint(20, self.days)
        day = self.today - dt.timedelta(days=age)
        start = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))
        serial = self.serials[(definition["key"], day)] = self.serials.get((definition["key"], day), 0) + 1
        number = f"{definition['key']}-{day:%Y%m%d}-{serial:05d}"
        promised = sum(s[4] for s in stages)
        clock = start + dt.timedelta(days=_days(stages[0][4]), hours=2) if last > 1 or outcome == "approved" else None
        deadline = (clock.date() + dt.timedelta(days=_days(promised))) if clock else None
        moment, warning = start, "none"
        for _pk, position, kind, departments, limit in stages[:last]:
            due = moment.date() + dt.timedelta(days=_days(limit))
            is_open = live and position == last
            for department in (departments if kind == "parallel" else departments[:1]):
                self.task_id += 1
                if is_open:
                    task_state = "waiting_supplement" if state == "suspended" and rng.random() < 0.5 else "open"
                    late = (self.today - due).days
                    task_warning = "red" if late > 4 else "yellow" if late > 0 else "reminded" if late == 0 else "none"
                    warning = max(warning, task_warning, key=["none", "reminded", "yellow", "red"].index)
                    done, by, action = N, N, ""
                elif state == "terminated" and position == last:  # withdrawn: its open task was cancelled
                    task_state, task_warning, done, by, action = "cancelled", "none", _ts(moment), N, ""
                else:
                    task_state, task_warning = "completed", "none"
                    done_at = moment + dt.timedelta(days=rng.randint(0, _days(limit)), hours=rng.randint(1, 8))
                    done, by = _ts(done_at), str(self.staff.get(department, N))
                    action = ("refuse" if outcome == "refused" else "deny" if outcome == "denied" and position == last
                              else "agree" if kind == "parallel" else "accept" if position == 1 else "approve")
                tasks.append("\t".join((
                    str(self.task_id), str(pk), str(_pk), department, N, task_state, action, "", "[]",
                    due.isoformat(), task_warning, _ts(moment), done, by, "", definition["key"])))
            moment = moment + dt.timedelta(days=_days(limit) or 1)
        ended = _ts(moment) if not live else N
        inst.append("\t".join((
            str(pk), str(definition["id"]), "case", number, definition["name"].replace("\t", " "), state,
            outcome or N, str(last), _ts(start), ended, _ts(clock) if clock else N,
            deadline.isoformat() if deadline else N, _ts(start + dt.timedelta(days=2)) if state == "suspended" else N,
            "0", warning if live else "none", "3", "[]", N)))

    def chunks(self, count: int):
        defs = self.rng.choices(self.defs, weights=self.weights, k=count)
        for begin in range(0, count, CHUNK):
            inst, tasks = [], []
            for n in range(begin, min(count, begin + CHUNK)):
                self.instance(self.first_instance + n + 1, defs[n], inst, tasks)
            yield inst, tasks


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of TABLES that back no constraint: dropped for the load."""
    cursor.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""", [list(TABLES)])
    return cursor.fetchall()


def generate(count: int, *, days: int, running: float, seed: int) -> dict:
    from django.db import connection
    from django.db.models import Max

    from yiwang.identity.constants import AccountKind
    from yiwang.identity.models import User
    from yiwang.workflow.models import Instance, Task

    if Instance.objects.count() > 100:
        raise SystemExit("the database already has workflow instances: use a fresh one (drop --reuse-db)")
    after = (Instance.objects.aggregate(m=Max("id"))["m"] or 0, Task.objects.aggregate(m=Max("id"))["m"] or 0)
    serials: dict[tuple[str, dt.date], int] = {}
    for number in Instance.objects.filter(subject_type="case").values_list("subject_id", flat=True):
        if found := re.fullmatch(r"(.+)-(\d{8})-(\d{5})", number):
            key = (found[1], dt.datetime.strptime(found[2], "%Y%m%d").date())
            serials[key] = max(serials.get(key, 0), int(found[3]))
    timings = {}
    started = time.perf_counter()
    defs = definitions()
    timings["definitions"] = round(time.perf_counter() - started, 1)
    staff = dict(User.objects.filter(kind=AccountKind.STAFF, department__isnull=False, username__startswith="staff-")
                 .values_list("department__code", "pk"))
    gen = Generator(defs, staff, days=days, running=running, seed=seed, after=after, serials=serials)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: the rows are consistent
        raw = cursor.cursor
        for inst, tasks in gen.chunks(count):
            for table, columns, rows in (("workflow_instance", INSTANCE_COLUMNS, inst),
                                         ("workflow_task", TASK_COLUMNS, tasks)):
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write("\n".join(rows) + "\n")
        cursor.execute("SET session_replication_role = DEFAULT")
        timings["copy"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        timings["indexes"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE workflow_instance")
        cursor.execute("VACUUM ANALYZE workflow_task")
        cursor.execute("ANALYZE")  # the definitions and stages made since the last autovacuum too
    timings["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    return {"timings_s": timings, "definitions": len(defs), "instances": count, "tasks": gen.task_id - after[1]}


def shape() -> dict:
    """What was generated: states, open tasks per department (busiest, median), sizes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM workflow_instance GROUP BY state ORDER BY 2 DESC")
        instances = dict(cursor.fetchall())
        cursor.execute("SELECT state, count(*) FROM workflow_task GROUP BY state ORDER BY 2 DESC")
        tasks = dict(cursor.fetchall())
        cursor.execute("""SELECT department, count(*) FILTER (WHERE state = 'open'), count(*) FROM workflow_task
                          GROUP BY department ORDER BY 2 DESC, 1""")
        departments = [{"department": d, "open": o, "all": a} for d, o, a in cursor.fetchall()]
        cursor.execute("SELECT warning, count(*) FROM workflow_task WHERE state = 'open' GROUP BY 1 ORDER BY 1")
        warnings = dict(cursor.fetchall())
        cursor.execute("""SELECT relname, pg_total_relation_size(oid), pg_relation_size(oid) FROM pg_class
                          WHERE relname IN ('workflow_instance', 'workflow_task')""")
        sizes = {r: {"total_mb": round(t / 2**20), "heap_mb": round(h / 2**20)} for r, t, h in cursor.fetchall()}
    return {"instances_by_state": instances, "tasks_by_state": tasks, "open_task_warnings": warnings,
            "departments": departments, "sizes": sizes}


# --- measuring -------------------------------------------------------------------------------------------

def staff_token(code: str) -> str:
    from yiwang.identity.models import User
    from yiwang.identity.services import api_token_issue

    return api_token_issue(user=User.objects.get(username=f"staff-{code.lower()}"))[1]


def explain(token: str, path: str) -> list[dict]:
    """The view's SQL (captured through the test client) with EXPLAIN (ANALYZE, BUFFERS) of each SELECT."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "knox_authtoken" in sql:
                plans.append({"sql": sql[:300], "ms": float(query["time"]) * 1000})
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            executed = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
            plans.append({"sql": sql, "ms": executed, "plan": plan})
    return plans


def open_items(code: str) -> tuple[str, str]:
    """The items with the fewest and the most open tasks in the department: the longest scan for an
    item filter in due order, and the biggest set to sort when a plan filters before it sorts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT d.key FROM workflow_task t JOIN workflow_instance i ON i.id = t.instance_id
                          JOIN workflow_processdefinition d ON d.id = i.definition_id
                          WHERE t.department = %s AND t.state = 'open' GROUP BY d.key ORDER BY count(*), d.key""",
                       [code])
        keys = [r[0] for r in cursor.fetchall()]
    return keys[0], keys[-1]


def baseline_app():
    """gunicorn's "bench.inbox_bench:baseline_app()" (--baseline): the inbox as it was before the item
    code on the task, the count cap and the page picked by id first, to compare both on the same
    database under the same load: the item filter joins each task to its instance's definition,
    every count is exact, and a page is one query with its joins."""
    from yiwang.wsgi import application  # sets Django up: before any model import

    _baseline_patch()
    return application


def _baseline_patch() -> None:
    from django.conf import settings

    from yiwang.workflow import selectors

    settings.WORKFLOW_INBOX_COUNT_CAP = None
    original = selectors.tasks_for_department

    def tasks_for_department(code, *, item=None, **kwargs):
        rows = original(code, **kwargs)
        rows.keys = None
        if item:
            counted, cap = rows.counted.filter(instance__definition__key=item), rows.count_cap
            rows = rows.filter(instance__definition__key=item)
            rows.counted, rows.count_cap = counted, cap
        return rows

    selectors.tasks_for_department = tasks_for_department


def measure(env, targets: list[tuple[str, str, str]], seconds: int, connections: int, *,
            baseline: bool = False) -> list[dict]:
    """targets: (department label, token, path). With baseline, each target is measured on
    baseline_app() and then on the current code, one after the other (the same machine load)."""
    apps = {"current": "yiwang.wsgi"}
    if baseline:
        apps = {"baseline": "bench.inbox_bench:baseline_app()", **apps}
    servers = {}
    runs = []
    try:
        for name, app in apps.items():
            port = free_port()
            servers[name] = (port, serve(env, port, app=app))
        for label, token, path in targets:
            headers = {"Authorization": f"Bearer {token}"}
            for name, (port, _proc) in servers.items():
                wrk(port, [path], 3, connections, headers)  # warm-up: both workers, caches, plans
                result = wrk(port, [path], seconds, connections, headers)
                runs.append({"what": f"GET {path}", "department": label, "code": name, **result,
                             "load_1min_after": round(os.getloadavg()[0], 1)})
                print(runs[-1], flush=True)
        port = servers["current"][0]
        result = wrk(port, ["/api/v1/ping"], seconds, connections)
        runs.append({"what": "GET /api/v1/ping (ceiling)", "department": "—", "code": "current", **result,
                     "load_1min_after": round(os.getloadavg()[0], 1)})
    finally:
        for _port, proc in servers.values():
            stop(proc)
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=1095, help="cases started over this many days")
    parser.add_argument("--running", type=float, default=0.10, help="share of cases still being handled")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--target-only", action="store_true",
                        help="only ?state=open (skip the warning, item and state=all variants)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--reuse-db", action="store_true", help="measure the kept database again")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--label", default="", help="a name for this measurement in the results (e.g. after)")
    parser.add_argument("--baseline", action="store_true",
                        help="measure each request on baseline_app() too (the inbox before the item code and "
                             "the count cap), just before the current code")
    args = parser.parse_args()

    env = bench_env(DB)
    results = {"label": args.label}
    if not args.reuse_db:
        started = time.perf_counter()
        fresh_db(env)
        results["migrate_and_demo_s"] = round(time.perf_counter() - started, 1)
    setup_django(env)
    if not args.reuse_db:
        started = time.perf_counter()
        results["generated"] = generate(args.cases, days=args.days, running=args.running, seed=args.seed)
        results["generated"]["wall_s"] = round(time.perf_counter() - started, 1)
        print(results["generated"], flush=True)
    results["shape"] = shape()
    departments = [d for d in results["shape"]["departments"] if d["open"]]
    busiest, median = departments[0], departments[len(departments) // 2]
    big, mid = staff_token(busiest["department"]), staff_token(median["department"])
    big_label = f"{busiest['department']} ({busiest['open']:,} open)"
    inbox = "/api/v1/tasks?state=open"
    targets = [(big_label, big, inbox), (f"{median['department']} ({median['open']:,} open)", mid, inbox)]
    if not args.target_only:
        rare, common = open_items(busiest["department"])
        targets += [(big_label, big, f"{inbox}&warning=red"),
                    (big_label, big, f"{inbox}&item={rare}"),
                    (big_label, big, f"{inbox}&item={common}"),
                    (big_label, big, f"{inbox}&item={common}&warning=red"),
                    (big_label, big, "/api/v1/tasks?state=all"),
                    (big_label, big, "/api/v1/tasks?state=all&warning=red"),
                    (big_label, big, "/api/v1/tasks?state=all&page=500"),
                    (big_label, big, "/api/v1/tasks?state=completed"),
                    (big_label, big, f"/api/v1/tasks?state=all&item={rare}")]
    results["explain"] = {path: explain(big, path) for _label, token, path in targets if token == big}
    from django.db import connections

    connections.close_all()
    results["runs"] = measure(env, targets, args.seconds, args.connections, baseline=args.baseline)
    suffix = f"-{args.label}" if args.label else ""
    save(f"inbox{suffix}.json", results)
    if not args.keep_db:
        drop_db(env)
    report(results)


def report(results: dict) -> None:
    shape = results["shape"]
    print(f"\ninstances: {json.dumps(shape['instances_by_state'])}\ntasks: {json.dumps(shape['tasks_by_state'])}")
    print(f"sizes: {json.dumps(shape['sizes'])}\n")
    print("| what | department | code | req/s | p50 ms | p95 ms | p99 ms | errors | load 1 min |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results["runs"]:
        print(f"| {r['what']} | {r['department']} | {r.get('code', 'current')} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors'] + r['non_2xx']} | "
              f"{r.get('load_1min_after', '')} |")
    for path, queries in results["explain"].items():
        print(f"\nSQL of {path} (busiest department):")
        for q in queries:
            print(f"- {q['ms']:.2f} ms: {q['sql'][:160]}")


if __name__ == "__main__":
    main()
