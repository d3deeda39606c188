"""Rate limits in Redis: two app instances (two workers or hosts) share one count per client,
and a Redis that goes away leaves the limits in memory instead of failing the requests."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MINI_PACKS, require
from tests.storage_fixtures import closed_port

ANSWERS = {"answers": {"scope": "ongoing_task", "partners": 3}}
REDIS_SERVER = shutil.which("redis-server")


class Redis:
    """A throw-away redis-server on 127.0.0.1: no persistence, stopped after the test."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.port = port or closed_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        deadline = time.monotonic() + 60  # a readiness wait, not a timing assertion
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Redis]:
    require(REDIS_SERVER is not None, "needs redis-server: run scripts/setup-redis (apt-get install redis-server)")
    server = Redis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def limited_app(make_app, storage_uri: str, **config: object):
    return make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute",
                    RATELIMIT_STORAGE_URI=storage_uri, **config)


def test_two_app_instances_share_one_count_per_client_in_redis(make_app, redis_server):
    first = limited_app(make_app, redis_server.url).test_client()
    second = limited_app(make_app, redis_server.url).test_client()
    statuses = [first.post("/api/v1/advice", json=ANSWERS).status_code,
                second.post("/api/v1/advice", json=ANSWERS).status_code,
                first.post("/api/v1/advice", json=ANSWERS).status_code]
    assert statuses == [200, 200, 200]
    refused = second.post("/api/v1/advice", json=ANSWERS)
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    assert first.post("/api/v1/advice", json=ANSWERS).status_code == 429
    # Another client has its own count, on both instances.
    other = {"REMOTE_ADDR": "10.9.8.7"}
    assert second.post("/api/v1/advice", json=ANSWERS, environ_base=other).status_code == 200
    assert first.post("/api/v1/advice", json=ANSWERS, environ_base=other).status_code == 200


def test_without_redis_each_instance_counts_alone(make_app):
    """The contrast: memory:// counts per instance (per gunicorn worker)."""
    first = limited_app(make_app, "memory://").test_client()
    second = limited_app(make_app, "memory://").test_client()
    assert [first.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.post("/api/v1/advice", json=ANSWERS).status_code == 200


def test_redis_going_away_falls_back_to_limits_in_memory(make_app, redis_server):
    client = limited_app(make_app, redis_server.url).test_client()
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    redis_server.stop()
    statuses = [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(5)]
    assert 500 not in statuses and statuses[0] == 200
    assert statuses[-1] == 429  # still limited, per instance, while Redis is away


def test_redis_timeouts_are_short_and_falling_back_and_returning_are_logged(make_app, redis_server, tmp_path, caplog):
    """A paused Redis (SIGSTOP) used to stall each request 5-10 s without a word in the log."""
    caplog.set_level(logging.WARNING, logger="advisor.limits")
    app = make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url)
    limiter = next(iter(app.extensions["limiter"]))
    pool = limiter.storage.storage.connection_pool
    assert pool.connection_kwargs["socket_timeout"] == 0.25
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.25
    client = app.test_client()
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert "unreachable" not in caplog.text

    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        statuses = [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(3)]
        health = client.get("/api/v1/health")
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert statuses == [200, 200, 200] and health.status_code == 200
    assert f"rate limit storage {redis_server.url} unreachable: counting in memory per worker" in caplog.text

    deadline = time.monotonic() + 60  # Flask-Limiter retries the storage after 1, 2, 4 ... s
    while "reachable again" not in caplog.text:
        assert time.monotonic() < deadline, "the limits never went back to Redis"
        assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
        time.sleep(0.2)
    assert f"rate limit storage {redis_server.url} reachable again" in caplog.text


def test_a_redis_password_is_not_logged(make_app, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="advisor.limits")
    url = f"redis://:s3cret-pass@127.0.0.1:{closed_port()}"
    client = limited_app(make_app, url).test_client()
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert "unreachable" in caplog.text and "s3cret-pass" not in caplog.text and "***@127.0.0.1" in caplog.text


def test_with_redis_all_write_routes_share_one_budget_across_instances(make_app, redis_server):
    """Issue 15 item 10: one budget per client across every write route and every worker."""
    config = {"RATELIMIT_WRITES": "3 per minute", "RATELIMIT_DEFAULT": None}
    first = make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url,
                     **config).test_client()
    second = make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url,
                      **config).test_client()
    assert first.post("/api/v1/assessments", json={"answers": {}}).status_code == 201
    assert second.post("/api/v1/collaborations", json={"name": "Noord"}).status_code == 201
    assert first.post("/api/v1/collaborations", json={"name": "Zuid"}).status_code == 201
    assert second.post("/api/v1/assessments", json={"answers": {}}).status_code == 429
    assert first.post("/api/v1/assessments", json={"answers": {}}).status_code == 429
    assert second.post("/api/v1/advice", json=ANSWERS).status_code == 200  # advice: its own class
