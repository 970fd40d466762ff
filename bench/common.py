"""Shared pieces of the PostgreSQL benchmarks: the production-like environment, a fresh database,
gunicorn, wrk and pgbench. Used by bench/cases_bench.py and bench/inbox_bench.py."""

from __future__ import annotations

import json
import os
import re
import shutil
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
RESULTS = ROOT / "bench" / "results"


def bench_env(db: str) -> dict:
    """Production settings (bench/settings.py adds a throw-away MEDIA_ROOT) on database `db`."""
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench")
    url = base.rsplit("/", 1)[0] + "/" + db
    media = os.environ.get("BENCH_MEDIA_ROOT") or tempfile.mkdtemp(prefix=f"{db}-media-")
    return {
        **os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_MEDIA_ROOT": media,
        "SECRET_KEY": "bench-" + "x" * 60, "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0", "THROTTLE_ANON": "none", "THROTTLE_USER": "none", "CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
        # Benchmark-only keys (prod settings refuse to start without them).
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktYmVuY2gtb25seS1rZXktMDE=",
        "BLIND_INDEX_KEY": "bench-only-blind-index-key",
    }


def admin_url(env: dict) -> str:
    return env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


def db_name(env: dict) -> str:
    return urllib.parse.urlparse(env["DATABASE_URL"]).path.lstrip("/")


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kw)


def fresh_db(env: dict, *, demo: bool = True) -> None:
    db = db_name(env)
    run(["psql", admin_url(env), "-qc", f"DROP DATABASE IF EXISTS {db}"], env)
    run(["psql", admin_url(env), "-qc", f"CREATE DATABASE {db}"], env)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    if demo:
        run([sys.executable, "manage.py", "load_demo"], env, stdout=subprocess.DEVNULL)


def drop_db(env: dict) -> None:
    """Drop the database, and the media folder when bench_env made it."""
    from django.db import connections

    connections.close_all()
    run(["psql", admin_url(env), "-qc", f"DROP DATABASE IF EXISTS {db_name(env)}"], env)
    media = Path(env["BENCH_MEDIA_ROOT"])
    if media.parent == Path(tempfile.gettempdir()) and media.name.startswith(f"{db_name(env)}-media-"):
        shutil.rmtree(media, ignore_errors=True)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, port: int, *, app: str = "yiwang.wsgi", workers: int = 2, threads: int = 1) -> subprocess.Popen:
    """gunicorn as in production (reads gunicorn.conf.py from the repository root); its log (and the
    tracebacks of any 5xx) goes to bench/results/gunicorn-<database>.log."""
    RESULTS.mkdir(exist_ok=True)
    log = open(RESULTS / f"gunicorn-{db_name(env)}.log", "a")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "-w", str(workers), "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"], env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)
    log.close()
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping", timeout=1)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def wrk(port: int, paths: list[str], seconds: int, connections: int, headers: dict | None = None) -> dict:
    """wrk (one thread) rotating through `paths`; the JSON summary of bench/wrk_report.lua."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(ROOT / "bench" / "wrk_report.lua")]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, f"http://127.0.0.1:{port}"], env={**os.environ, "WRK_PATHS": f.name},
                         check=True, capture_output=True, text=True).stdout
    os.unlink(f.name)
    return json.loads(out.strip().splitlines()[-1])


def pgbench_tps(env: dict, *, scale: int = 10, clients: int = 4, threads: int = 2, seconds: int = 30) -> float:
    """pgbench's default TPC-B-like script on a scratch database of the same server."""
    scratch = admin_url(env).rsplit("/", 1)[0] + "/yiwang_bench_pgbench"
    run(["psql", admin_url(env), "-qc", "DROP DATABASE IF EXISTS yiwang_bench_pgbench"], env)
    run(["psql", admin_url(env), "-qc", "CREATE DATABASE yiwang_bench_pgbench"], env)
    try:
        run(["pgbench", "-i", "-q", "-s", str(scale), scratch], env, capture_output=True)
        out = run(["pgbench", "-c", str(clients), "-j", str(threads), "-T", str(seconds), scratch], env,
                  capture_output=True, text=True).stdout
    finally:
        run(["psql", admin_url(env), "-qc", "DROP DATABASE IF EXISTS yiwang_bench_pgbench"], env)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def save(name: str, results: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    return path
