"""Browser tests: the real platform in a subprocess, driven by Debian's chromium through Playwright.

Run them with `uv run pytest e2e -m browser` (the Makefile's test-browser). A plain `pytest` run that
does not ask for the `browser` marker collects them but deselects them, so the unit-test run stays fast.

The server is `manage.py runserver --noreload` with yiwang.settings.dev on a free port of 127.0.0.1,
on a fresh database: a temporary SQLite file, or, when DATABASE_URL names PostgreSQL, a database
yiwang_e2e created for the session and dropped after it. DEBUG is off, as in production: our own 404
page renders, and whitenoise serves the static files that `collectstatic` gathered into STATIC_ROOT
(ours and var/vendor/, which scripts/vendor_static.py fills from node_modules/).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = E2E_DIR / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_CANDIDATES = [ROOT / "node_modules" / "axe-core" / "axe.min.js",
                  ROOT / "var" / "test-vendor" / "axe-core" / "axe.min.js"]
E2E_DB_NAME = "yiwang_e2e"
SERVER_START_TIMEOUT = 120


def pytest_collection_modifyitems(config, items):
    """Everything under e2e/ is a browser test; run only when `-m` asks for browser tests."""
    ours, others = [], []
    for item in items:
        (ours if E2E_DIR in Path(str(item.fspath)).parents else others).append(item)
    for item in ours:
        item.add_marker(pytest.mark.browser)
    if ours and "browser" not in (config.getoption("markexpr") or ""):
        config.hook.pytest_deselected(items=ours)
        items[:] = others


# --- the server ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env, *args, timeout=600):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                            text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def _postgres_admin(url: str):
    """A connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    return psycopg.connect(admin_url, autocommit=True)


def _database_url(tmp_dir: Path) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        from psycopg import sql

        def recreate(drop_only=False):
            with _postgres_admin(url) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(E2E_DB_NAME)))
                if not drop_only:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(E2E_DB_NAME)))

        recreate()
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{E2E_DB_NAME}", parts.query, "")), (
            lambda: recreate(drop_only=True))
    return f"sqlite:///{tmp_dir / 'e2e.sqlite3'}", (lambda: None)


def _prepare_static_and_messages(env):
    if not (ROOT / "node_modules" / "bootstrap").is_dir():
        pytest.fail("node_modules/ is missing: run `npm ci` (make setup) before the browser tests")
    subprocess.run([sys.executable, "scripts/vendor_static.py"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    if shutil.which("msgfmt"):
        _manage(env, "compilemessages", "--ignore=.venv", "--ignore=node_modules", "-v0")
    _manage(env, "collectstatic", "--noinput", "-v0")


def _wait_until_healthy(url: str, proc: subprocess.Popen, log_path: Path):
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log_path.read_text()[-5000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"the server did not become healthy ({last}):\n{log_path.read_text()[-5000:]}")


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("e2e-server")
    ARTIFACTS.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({"DJANGO_SETTINGS_MODULE": "yiwang.settings.dev", "DEBUG": "0", "PYTHONUNBUFFERED": "1",
                "CELERY_TASK_ALWAYS_EAGER": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    database_url, drop_database = _database_url(tmp_dir)
    env["DATABASE_URL"] = database_url
    _prepare_static_and_messages(env)
    _manage(env, "migrate", "--noinput", "-v0")
    has_load_demo = (ROOT / "yiwang" / "core" / "management" / "commands" / "load_demo.py").exists()
    if has_load_demo:
        _manage(env, "load_demo")
    else:
        _manage(env, "import_catalog", "data/catalog")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],  # noqa: S603
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_healthy(url, proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        drop_database()


# --- the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_factory(browser, live_server_url):
    contexts = []

    def make(*, width=1280, height=900, locale="zh-CN"):
        context = browser.new_context(base_url=live_server_url, viewport={"width": width, "height": height},
                                      locale=locale, extra_http_headers={"Accept-Language": locale})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(context_factory):
    return context_factory().new_page()


@pytest.fixture(scope="session")
def axe_path() -> Path:
    for candidate in AXE_CANDIDATES:
        if candidate.exists():
            return candidate
    pytest.fail("axe-core is missing: run `npm ci` (it is a devDependency)")


def _format_violations(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


@pytest.fixture
def audit(axe_path):
    """audit(page, name): a full-page screenshot into e2e/artifacts/<name>.png and an axe-core run that
    must report no violation (all of axe's default rules: WCAG 2.x A/AA and best practices)."""

    def run(page, name: str):
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(axe_path))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        assert result["testEngine"]["name"] == "axe-core" and result["passes"], "axe did not run"
        violations = result["violations"]
        assert not violations, f"axe found violations on {name} ({page.url}):\n{_format_violations(violations)}"
        return result

    return run
