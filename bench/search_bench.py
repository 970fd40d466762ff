"""Search benchmark: quality on the demo catalogue, then throughput and latency over HTTP.

    make bench                     # or: uv run python bench/search_bench.py [--items 10000]

Creates a fresh PostgreSQL database (BENCH_DATABASE_URL, default yiwang_bench on the local
server), loads the demo catalogue, serves it with gunicorn (2 workers, persistent connections,
production settings) and drives it with wrk (Debian package) at 4 connections:
  - bare:   GET /api/v1/ping          (a DRF endpoint that does nothing: the ceiling)
  - search: GET /api/v1/items?q=...   (rotating through the 187 colloquial queries; each search
                                       is ranked and logged, as in production)
then adds a synthetic catalogue to reach --items and measures again. Prints a Markdown table.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUALITY_SET = ROOT / "yiwang" / "catalog" / "tests" / "search_quality.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def quality() -> dict:
    from yiwang.catalog.search.engine import rank

    cases = json.loads(QUALITY_SET.read_text(encoding="utf-8"))
    top1 = top3 = 0
    for case in cases:
        hits = rank(case["query"])[:3]
        found = [f"life_event:{h.code}" if h.kind == "life_event" else h.code for h in hits]
        expected = set(case["expected"])
        top1 += bool(found) and found[0] in expected
        top3 += bool(expected & set(found))
    return {"queries": len(cases), "top1": top1 / len(cases), "top3": top3 / len(cases)}


def wrk(port: int, paths: list[str], seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    env = {**os.environ, "WRK_PATHS": f.name}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
         "-s", str(ROOT / "bench" / "wrk_report.lua"), f"http://127.0.0.1:{port}"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def serve(env, port):
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "yiwang.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"], env=env, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping", timeout=1)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def measure(env, label, seconds, connections) -> dict:
    cases = json.loads(QUALITY_SET.read_text(encoding="utf-8"))
    search_paths = [f"/api/v1/items?q={urllib.parse.quote(c['query'])}" for c in cases]
    port = free_port()
    proc = serve(env, port)
    try:
        wrk(port, search_paths, 3, connections)  # warm-up: jieba and the vocabulary in both workers
        wrk(port, ["/api/v1/ping"], 2, connections)
        bare = wrk(port, ["/api/v1/ping"], seconds, connections)
        search = wrk(port, search_paths, seconds, connections)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    return {"catalogue": label, "bare": bare, "search": search, "ratio": search["rps"] / bare["rps"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10000, help="size of the large catalogue")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--reuse-db", action="store_true",
                        help="measure the catalogue already in the database (skip creating and loading)")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench")
    db = urllib.parse.urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    env = {
        **os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "yiwang.settings.prod",
        "SECRET_KEY": "bench-" + "x" * 60, "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0", "THROTTLE_ANON": "none", "THROTTLE_USER": "none", "CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "WARNING",
        # Benchmark-only keys (prod settings refuse to start without them).
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktYmVuY2gtb25seS1rZXktMDE=",
        "BLIND_INDEX_KEY": "bench-only-blind-index-key",
    }
    if not args.reuse_db:
        run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {db}"], os.environ)
        run(["psql", admin, "-qc", f"CREATE DATABASE {db}"], os.environ)
        run([sys.executable, "manage.py", "migrate", "-v0"], env)
        run([sys.executable, "manage.py", "load_demo"], env)
    setup_django(env)
    results = {"quality": quality(), "runs": []}
    from yiwang.catalog.models import ServiceItem

    demo_items = ServiceItem.objects.count()
    results["runs"].append(measure(env, f"demo ({demo_items} items)", args.seconds, args.connections))
    if args.reuse_db:
        results["runs"] = [measure(env, f"existing ({demo_items} items)", args.seconds, args.connections)]
    elif args.items > demo_items:
        from bench.synthetic import load_synthetic

        started = time.perf_counter()
        load_synthetic(args.items - demo_items)
        results["synthetic_load_seconds"] = round(time.perf_counter() - started, 1)
        total = ServiceItem.objects.count()
        results["runs"].append(measure(env, f"synthetic ({total} items)", args.seconds, args.connections))

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "search.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    q = results["quality"]
    print(f"\nQuality ({q['queries']} queries): top-1 {q['top1']:.1%}, top-3 {q['top3']:.1%}\n")
    print("| catalogue | bare req/s | search req/s | search / bare | search p50 ms | search p95 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in results["runs"]:
        b, s = r["bare"], r["search"]
        print(f"| {r['catalogue']} | {b['rps']:.0f} | {s['rps']:.0f} | {r['ratio']:.0%} | {s['p50_ms']:.1f} | "
              f"{s['p95_ms']:.1f} | {s['errors'] + s['non_2xx']} |")


if __name__ == "__main__":
    main()
