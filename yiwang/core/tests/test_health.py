import pytest

from yiwang.core import health


@pytest.mark.django_db
def test_healthz_reports_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(c["ok"] for c in body["checks"].values())


@pytest.mark.django_db
def test_healthz_fails_with_503_naming_the_broken_component(client, monkeypatch):
    def broken():
        raise ConnectionError("refused")

    monkeypatch.setitem(health.CHECKS, "broker", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"]


def test_broker_check_reaches_a_real_broker(settings):
    """Outside eager mode the check opens a real connection; an unreachable broker fails it."""
    from celery import current_app

    current_app.conf.task_always_eager = False
    try:
        with current_app.connection_for_write("redis://127.0.0.1:1/0") as conn, pytest.raises(Exception):
            conn.ensure_connection(max_retries=1, timeout=1)
        previous = current_app.conf.broker_url
        current_app.conf.broker_url = "memory://"
        try:
            health.check_broker()
        finally:
            current_app.conf.broker_url = previous
    finally:
        current_app.conf.task_always_eager = True
