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


def test_broker_check_opens_a_real_connection():
    """Outside eager mode the check connects to the configured broker; an unreachable one fails."""
    from celery import current_app
    from kombu.exceptions import OperationalError

    conf = current_app.conf
    previous = conf.task_always_eager, conf.broker_url
    conf.task_always_eager = False
    try:
        conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
        with pytest.raises(OperationalError):
            health.check_broker()
        conf.broker_url = "memory://"
        health.check_broker()
    finally:
        conf.task_always_eager, conf.broker_url = previous
