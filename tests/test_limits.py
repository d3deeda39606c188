"""Abuse limits: too many writes from one client get 429 with Retry-After; reads stay free."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

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


# --- Limit classes, API keys, headers (issue 15 item 10, issue 21 item 4) ------------------------

KEY = "platform-key-for-the-tests-0123456789"
OTHER_KEY = "second-platform-key-abcdefghijklmnop"


def limited_app(make_app, **config):
    return make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, **config)


def test_one_budget_per_client_across_every_write_route(make_app):
    client = limited_app(make_app, RATELIMIT_WRITES="3 per minute").test_client()
    created = client.post("/api/v1/assessments", json={"answers": {"partners": 3}})
    assert created.status_code == 201
    assert client.post("/api/v1/collaborations", json={"name": "Noord"}).status_code == 201
    assert client.patch(created.json["url"], json={"answers": {"partners": 4}}).status_code == 200
    refused = [client.post("/api/v1/assessments", json={"answers": {}}, headers={"Accept-Language": "en"}),
               client.post("/api/v1/collaborations", json={"name": "Zuid"}),
               client.delete(created.json["url"])]
    assert [r.status_code for r in refused] == [429, 429, 429]
    assert "At most 3 per 1 minute writes from one client" in refused[0].json["detail"]
    assert refused[1].json["detail"] == "Hoogstens 3 per 1 minute wijzigingen van één client; probeer het later opnieuw."
    # Advice is a class of its own: the spent write budget does not touch it.
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert client.get(created.json["url"]).status_code == 200  # reads stay free


def test_advice_has_its_own_limit_and_does_not_spend_the_write_budget(make_app):
    client = limited_app(make_app, RATELIMIT_ADVICE="2 per minute", RATELIMIT_WRITES="2 per minute").test_client()
    assert [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post("/api/v1/assessments", json={"answers": {}}).status_code == 201
    assert client.post("/api/v1/assessments", json={"answers": {}}).status_code == 201
    assert client.post("/api/v1/assessments", json={"answers": {}}).status_code == 429


def test_the_default_limits_separate_advice_from_writes(make_app):
    """Out of the box a platform gets more advice than writes through (README: Limits)."""
    app = limited_app(make_app)
    response = app.test_client().post("/api/v1/advice", json=ANSWERS)
    assert response.headers["RateLimit-Policy"] == '"advice-60s";q=600;w=60, "advice-3600s";q=20000;w=3600'
    write = app.test_client().post("/api/v1/assessments", json={"answers": {}})
    assert write.headers["RateLimit-Policy"] == '"writes-60s";q=120;w=60, "writes-3600s";q=2000;w=3600'


def test_an_api_key_gets_its_own_higher_limit(make_app):
    app = limited_app(make_app, RATELIMIT_ADVICE="1 per minute", RATELIMIT_WRITES="1 per minute",
                      API_KEYS={KEY: "4 per minute", OTHER_KEY: "2 per minute"})
    client = app.test_client()
    keyed = {"Authorization": f"Bearer {KEY}"}
    assert [client.post("/api/v1/advice", json=ANSWERS, headers=keyed).status_code for _ in range(5)] == [
        200, 200, 200, 200, 429]
    # Anonymous clients from the same address keep the public limit, counted apart from the key.
    assert [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(2)] == [200, 429]
    # A wrong key is anonymous; another key has its own count and limit.
    wrong = {"Authorization": f"Bearer {KEY[:-1]}x"}
    assert client.post("/api/v1/advice", json=ANSWERS, headers=wrong).status_code == 429
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    assert [client.post("/api/v1/advice", json=ANSWERS, headers=other).status_code for _ in range(3)] == [200, 200, 429]
    # The key's limit holds for its writes too, from any address.
    far = {"REMOTE_ADDR": "10.2.3.4"}
    assert [client.post("/api/v1/assessments", json={"answers": {}}, headers=keyed, environ_base=far).status_code
            for _ in range(5)] == [201, 201, 201, 201, 429]
    policy = client.post("/api/v1/advice", json=ANSWERS, headers=keyed).headers["RateLimit-Policy"]
    assert policy == '"advice-60s";q=4;w=60'


def test_api_keys_are_compared_in_constant_time(make_app, monkeypatch):
    import hmac

    app = limited_app(make_app, API_KEYS={KEY: "4 per minute", OTHER_KEY: "2 per minute"})
    calls = []
    original = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(b) or original(a, b))
    app.test_client().post("/api/v1/advice", json=ANSWERS, headers={"Authorization": f"Bearer {KEY}"})
    assert sorted(calls) == sorted([KEY.encode(), OTHER_KEY.encode()])  # every key, once per request


@pytest.mark.parametrize("keys, message", [
    ({"short": "10 per minute"}, "API_KEYS: key #1 must be at least 24 characters long"),
    ({"a" * 30: "10 per minute"}, "API_KEYS: key #1 is guessable"),
    ({KEY: "lots"}, "API_KEYS: the limit of key #1: 'lots' is not a limit"),
    ({KEY: 100}, "API_KEYS: the limit of key #1: 100 is not a limit"),
    (["key"], "API_KEYS must map each key to its limit"),
])
def test_weak_api_keys_and_bad_limits_stop_start_up(make_app, keys, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        limited_app(make_app, API_KEYS=keys)


def test_a_bad_limit_stops_start_up(make_app):
    with pytest.raises(ValueError, match="RATELIMIT_WRITES: 'often' is not a limit"):
        limited_app(make_app, RATELIMIT_WRITES="often")


def test_api_keys_from_the_environment_are_json(monkeypatch, tmp_path):
    from advisor import create_app

    monkeypatch.setenv("ADVISOR_API_KEYS", json.dumps({KEY: "7 per minute"}))
    monkeypatch.setenv("ADVISOR_RULES_DIR", str(MINI_PACKS))
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("ADVISOR_PLUGINS_ENTRY_POINTS", "false")
    app = create_app()
    response = app.test_client().post("/api/v1/advice", json=ANSWERS, headers={"Authorization": f"Bearer {KEY}"})
    assert response.headers["RateLimit-Policy"] == '"advice-60s";q=7;w=60'


def test_ratelimit_headers_on_every_limited_response(make_app):
    client = limited_app(make_app, RATELIMIT_ADVICE="2 per minute;10 per hour").test_client()
    first = client.post("/api/v1/advice", json=ANSWERS)
    assert first.headers["RateLimit-Policy"] == '"advice-60s";q=2;w=60, "advice-3600s";q=10;w=3600'
    state = r'"advice-60s";r=(\d+);t=(\d+), "advice-3600s";r=(\d+);t=(\d+)'
    remaining = re.fullmatch(state, first.headers["RateLimit"])
    assert remaining and remaining.group(1) == "1" and remaining.group(3) == "9"
    assert 0 <= int(remaining.group(2)) <= 60 and 0 <= int(remaining.group(4)) <= 3600
    client.post("/api/v1/advice", json=ANSWERS)
    refused = client.post("/api/v1/advice", json=ANSWERS)
    assert refused.status_code == 429
    assert refused.headers["RateLimit"].startswith('"advice-60s";r=0;')
    assert "RateLimit-Policy" in refused.headers and "Retry-After" in refused.headers
    invalid = client.post("/api/v1/advice", json={"answers": {"scope": 3}}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert invalid.status_code == 422 and invalid.headers["RateLimit-Policy"].startswith('"advice-60s"')
    read = client.get("/api/v1/forms")
    assert "RateLimit" not in read.headers and "RateLimit-Policy" not in read.headers


def test_the_spec_documents_the_ratelimit_headers(make_app):
    spec = limited_app(make_app).test_client().get("/api/v1/openapi.json").json
    assert spec["servers"][0]["url"].endswith("/api/v1")   # paths are relative to it (ADR)
    for path, method in [("/advice", "post"), ("/assessments", "post")]:
        responses = spec["paths"][path][method]["responses"]
        assert {"200" if path.endswith("advice") else "201", "422", "429"} <= set(responses)
        for status, response in responses.items():
            if "$ref" in response:  # flask-smorest's shared default error
                continue
            headers = response.get("headers", {})
            assert {"RateLimit-Policy", "RateLimit"} <= set(headers), (path, status)
    assert "RateLimit" not in spec["paths"]["/forms"]["get"]["responses"]["200"].get("headers", {})
