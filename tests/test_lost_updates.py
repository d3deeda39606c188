"""No lost updates: simultaneous writes to one record, with real threads on a SQLite file and on
PostgreSQL. Every change that was acknowledged is found afterwards.

The threads share one app (as gunicorn's threads would) but each request has its own app
context, session and database connection; a barrier releases them together.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ROOT

BASE = "/api/v1/assessments"
REQUIRED = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
            "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
# Twelve optional questions of the built-in rules: each writer sets a different one.
CHANGES = [("goal_consensus", "high"), ("funding_risk", "yes"), ("enforcement", "often"),
           ("decision_making", "consent"), ("leadership_backing", "partly"), ("power_balance", "one_dominant"),
           ("procurement", "partly"), ("partner_benefit", "some"), ("trust", "low"), ("key_people", "yes"),
           ("turnover", "high"), ("common_language", "partly")]
ROUNDS = 20


@pytest.fixture
def app(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules"))


def together(app, requests: list) -> list:
    """Send the (method, url, json, headers) requests at once, one thread each; the responses."""
    barrier = threading.Barrier(len(requests))

    def send(request):
        method, url, body, headers = request
        client = app.test_client()
        barrier.wait()
        return client.open(url, method=method, json=body, headers=headers or {})

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_simultaneous_patches_to_one_assessment_lose_no_acknowledged_change(app):
    client = app.test_client()
    acknowledged = found = 0
    missing: list[tuple[int, str]] = []
    etags = set()
    for number in range(ROUNDS):
        created = client.post(BASE, json={"answers": REQUIRED}).json
        url = f"{BASE}/{created['id']}"
        responses = together(app, [("PATCH", url, {"answers": {qid: value}}, None) for qid, value in CHANGES])
        assert {r.status_code for r in responses} == {200}, [r.get_data(as_text=True) for r in responses][:2]
        acknowledged += len(responses)
        stored = client.get(url)
        for qid, value in CHANGES:
            if stored.json["answers"].get(qid) == value:
                found += 1
            else:
                missing.append((number, qid))
        etags.add(stored.headers.get("ETag"))
        assert stored.json["advice"]["recommended"]                  # advice on the merged answers
    assert (acknowledged, found, missing) == (ROUNDS * len(CHANGES), ROUNDS * len(CHANGES), [])
    assert etags == {f'"{1 + len(CHANGES)}"'}   # one version per change


def test_simultaneous_patches_to_one_response_lose_no_acknowledged_change(app):
    client = app.test_client()
    collaboration = client.post("/api/v1/collaborations", json={"name": "Wijk Zuid"}).json
    token = collaboration["invitation"]["token"]
    response = client.post(f"/api/v1/invitations/{token}/responses",
                           json={"label": "Gemeente", "answers": REQUIRED}).json
    url = f"/api/v1/invitations/{token}/responses/{response['id']}"
    responses = together(app, [("PATCH", url, {"answers": {qid: value}}, None) for qid, value in CHANGES])
    assert {r.status_code for r in responses} == {200}, [r.get_data(as_text=True) for r in responses][:2]
    stored = client.get(url).json["answers"]
    assert {qid: stored.get(qid) for qid, _ in CHANGES} == dict(CHANGES)


def test_simultaneous_responses_to_one_collaboration_are_all_kept(app):
    client = app.test_client()
    collaboration = client.post("/api/v1/collaborations", json={"name": "Wijk West"}).json
    token = collaboration["invitation"]["token"]
    labels = [f"Partner {n}" for n in range(8)]
    responses = together(app, [("POST", f"/api/v1/invitations/{token}/responses",
                                {"label": label, "answers": REQUIRED}, None) for label in labels])
    assert {r.status_code for r in responses} == {201}, [r.get_data(as_text=True) for r in responses][:2]
    overview = client.get(f"/api/v1/collaborations/{collaboration['id']}").json
    assert sorted(r["label"] for r in overview["respondents"]) == labels


def test_racing_round_closes_close_one_round_and_the_rest_are_409(app):
    client = app.test_client()
    collaboration = client.post("/api/v1/collaborations", json={"name": "Wijk Oost"}).json
    token = collaboration["invitation"]["token"]
    assert client.post(f"/api/v1/invitations/{token}/responses",
                       json={"label": "Gemeente", "answers": REQUIRED}).status_code == 201
    url = f"/api/v1/collaborations/{collaboration['id']}/rounds"
    responses = together(app, [("POST", url, {"note": f"close {n}"}, None) for n in range(4)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.get_data(as_text=True) for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.mimetype == "application/problem+json" and refused.json["status"] == 409
    history = client.get(f"/api/v1/collaborations/{collaboration['id']}/history").json
    assert [entry["round"] for entry in history["rounds"]] == [1, 2]


def test_simultaneous_creates_with_one_idempotency_key_make_one_record(app):
    headers = {"Idempotency-Key": "5f0c7a7e-2a51-4d44-9d1b-0c2f6b7f1e11"}
    body = {"answers": REQUIRED, "label": "retried"}
    responses = together(app, [("POST", BASE, body, headers) for _ in range(6)])
    assert {r.status_code for r in responses} == {201}, [r.get_data(as_text=True) for r in responses][:2]
    assert len({r.json["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 5
    with app.app_context():
        from advisor.storage import Assessment, get_session

        assert get_session().query(Assessment).count() == 1
