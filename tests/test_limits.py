"""Abuse limits: too many writes from one client get 429 with Retry-After; reads stay free."""

from __future__ import annotations

import threading
import time

from advisor.limits import SweepingMemoryStorage
from tests.conftest import MINI_PACKS

ANSWERS = {"answers": {"scope": "ongoing_task", "partners": 3}}


def test_advice_is_rate_limited_per_client(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.post("/api/v1/advice", json=ANSWERS)
    assert refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another client (another address) is not affected; reads are never limited.
    other = client.post("/api/v1/advice", json=ANSWERS, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200
    assert all(client.get("/api/v1/forms").status_code == 200 for _ in range(5))


def test_proxy_headers_are_trusted_only_when_configured(make_app):
    limited = {"RULES_DIR": str(MINI_PACKS), "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "1 per minute"}
    behind_proxy = make_app(PROXY_COUNT=1, **limited).test_client()
    assert behind_proxy.post("/api/v1/advice", json=ANSWERS, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert behind_proxy.post("/api/v1/advice", json=ANSWERS, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200
    direct = make_app(**limited).test_client()
    assert direct.post("/api/v1/advice", json=ANSWERS, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert direct.post("/api/v1/advice", json=ANSWERS, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_bounded_answer_count_and_list_length(mini_app):
    client = mini_app.test_client()
    many = {f"extra.q{i}": 1 for i in range(501)}
    response = client.post("/api/v1/advice", json={"answers": many})
    assert response.status_code == 422 and "answers" in response.json["errors"]


def test_memory_counts_start_no_timer_threads_and_sweep_clients_that_left(make_app, monkeypatch):
    """The default in-memory storage counts on the request's thread; the stock memory:// one
    starts a timer thread per 10 ms of traffic (the contrast, so this test can fail)."""
    limited = {"RULES_DIR": str(MINI_PACKS), "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "100 per minute"}
    sweeping, stock = make_app(**limited), make_app(**limited, RATELIMIT_STORAGE_URI="memory://")
    storage = next(iter(sweeping.extensions["limiter"])).storage
    assert isinstance(storage, SweepingMemoryStorage)
    started: dict[str, list[threading.Thread]] = {"sweeping": [], "stock": []}
    original_start = threading.Thread.start
    for name, app in (("sweeping", sweeping), ("stock", stock)):
        monkeypatch.setattr(threading.Thread, "start",
                            lambda thread, seen=started[name]: (seen.append(thread), original_start(thread))[1])
        client = app.test_client()
        for _ in range(4):
            assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
            time.sleep(0.02)  # longer than the stock storage's 10 ms timer
    assert started["sweeping"] == []
    assert started["stock"], "the stock storage no longer starts timer threads: is the sweep still needed?"

    storage.incr("client-that-left", expiry=0.01)
    time.sleep(0.02)
    storage.next_sweep = 0.0  # due now: the next count sweeps
    assert sweeping.test_client().post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert "client-that-left" not in storage.storage
    assert storage.next_sweep > time.monotonic()
