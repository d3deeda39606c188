"""Versions on the wire: ETag on every stored record, If-Match on PATCH/DELETE (412 with the
current version), Idempotency-Key on creates, closed rounds, expiry honoured by reads; on SQLite
and PostgreSQL, documented in the served spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from advisor import storage
from advisor.storage.models import Assessment, Collaboration
from tests.conftest import ROOT

BASE = "/api/v1/assessments"
REQUIRED = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
            "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}


@pytest.fixture
def app(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules"))


@pytest.fixture
def api(app):
    return app.test_client()


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    return response.json


def test_assessment_etag_follows_every_change(api):
    created = api.post(BASE, json={"answers": {"scope": "ongoing_task"}})
    assert created.headers["ETag"] == '"1"'
    url = f"{BASE}/{created.json['id']}"
    assert api.get(url).headers["ETag"] == '"1"'
    changed = api.patch(url, json={"answers": {"horizon": "years"}})
    assert changed.headers["ETag"] == '"2"' and api.get(url).headers["ETag"] == '"2"'


def test_patch_with_a_stale_if_match_is_412_with_the_current_version_and_changes_nothing(api):
    url = f"{BASE}/{api.post(BASE, json={'answers': REQUIRED}).json['id']}"
    seen = api.get(url).headers["ETag"]
    assert api.patch(url, json={"answers": {"trust": "high"}}, headers={"If-Match": seen}).status_code == 200
    stale = api.patch(url, json={"answers": {"trust": "low"}}, headers={"If-Match": seen})
    body = problem(stale, 412)
    assert stale.headers["ETag"] == '"2"' and body["current_version"] == 2
    assert api.get(url).json["answers"]["trust"] == "high"
    # The current version, a list that holds it, and * all pass; a weak tag never matches.
    assert api.patch(url, json={"answers": {"trust": "low"}}, headers={"If-Match": '"7", "2"'}).status_code == 200
    assert api.patch(url, json={"label": "x"}, headers={"If-Match": "*"}).status_code == 200
    problem(api.patch(url, json={"label": "y"}, headers={"If-Match": 'W/"4"'}), 412)
    problem(api.patch(url, json={"label": "y"}, headers={"If-Match": '"not-ours"'}), 412)
    problem(api.patch(url, json={"label": "y"}, headers={"If-Match": 'W/"", ""'}), 412)   # was a 500
    problem(api.patch(url, json={"label": "y"}, headers={"If-Match": '"²"'}), 412)
    assert api.patch(url, json={"label": "no precondition"}).status_code == 200   # as before


def test_delete_honours_if_match(api):
    url = f"{BASE}/{api.post(BASE, json={'answers': REQUIRED}).json['id']}"
    api.patch(url, json={"label": "changed"})
    problem(api.delete(url, headers={"If-Match": '"1"'}), 412)
    assert api.get(url).status_code == 200
    assert api.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    problem(api.get(url), 404)


def test_a_retried_create_with_an_idempotency_key_returns_the_first_record(api, app):
    headers = {"Idempotency-Key": "c0ffee00-0000-4000-8000-000000000001"}
    first = api.post(BASE, json={"answers": REQUIRED, "label": "Noord"}, headers=headers)
    again = api.post(BASE, json={"answers": REQUIRED, "label": "Noord"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    other = api.post(BASE, json={"answers": REQUIRED, "label": "Zuid"}, headers={**headers, "Accept-Language": "en"})
    assert problem(other, 409)["errors"] == {"Idempotency-Key": ["used before with another body"]}
    assert api.post(BASE, json={"answers": REQUIRED}, headers={"Idempotency-Key": "x" * 256}).status_code == 400
    # The same key on another route is another request; without a key every POST creates.
    assert api.post("/api/v1/collaborations", json={"name": "Noord"}, headers=headers).status_code == 201
    unkeyed = [api.post(BASE, json={"answers": REQUIRED}).json["id"] for _ in range(2)]
    assert unkeyed[0] != unkeyed[1]
    with app.app_context():
        assert storage.get_session().query(Assessment).count() == 3
    # Erased since: the key does not make a second record.
    api.delete(f"{BASE}/{first.json['id']}")
    problem(api.post(BASE, json={"answers": REQUIRED, "label": "Noord"}, headers=headers), 409)


def test_responses_and_collaborations_have_versions_and_idempotent_creates(api):
    key = {"Idempotency-Key": "resp-1"}
    created = api.post("/api/v1/collaborations", json={"name": "Wijk"}, headers={"Idempotency-Key": "c-1"})
    assert created.headers["ETag"] == '"1"'
    again = api.post("/api/v1/collaborations", json={"name": "Wijk"}, headers={"Idempotency-Key": "c-1"})
    assert again.json["id"] == created.json["id"]
    token, cid = created.json["invitation"]["token"], created.json["id"]
    answers = {"label": "Gemeente", "answers": REQUIRED}
    first = api.post(f"/api/v1/invitations/{token}/responses", json=answers, headers=key)
    second = api.post(f"/api/v1/invitations/{token}/responses", json=answers, headers=key)
    assert first.status_code == second.status_code == 201 and first.json["id"] == second.json["id"]
    assert len(api.get(f"/api/v1/collaborations/{cid}").json["respondents"]) == 1
    url = f"/api/v1/invitations/{token}/responses/{first.json['id']}"
    assert api.get(url).headers["ETag"] == first.headers["ETag"] == '"1"'
    problem(api.patch(url, json={"answers": {"trust": "low"}}, headers={"If-Match": '"5"'}), 412)
    assert api.patch(url, json={"answers": {"trust": "low"}}, headers={"If-Match": '"1"'}).headers["ETag"] == '"2"'
    # A response changes the collaboration's version too: its overview shows the responses.
    collaboration = api.get(f"/api/v1/collaborations/{cid}")
    assert collaboration.headers["ETag"] == '"3"'
    problem(api.patch(f"/api/v1/collaborations/{cid}", json={"name": "x"}, headers={"If-Match": '"1"'}), 412)
    problem(api.delete(url, headers={"If-Match": '"1"'}), 412)
    assert api.delete(url, headers={"If-Match": '"2"'}).status_code == 204


def test_a_response_of_a_closed_round_cannot_be_changed_through_the_invitation(api):
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk"}).json
    token, cid = collaboration["invitation"]["token"], collaboration["id"]
    response = api.post(f"/api/v1/invitations/{token}/responses", json={"label": "Gemeente", "answers": REQUIRED}).json
    assert api.post(f"/api/v1/collaborations/{cid}/rounds", json={}).status_code == 201
    url = f"/api/v1/invitations/{token}/responses/{response['id']}"
    body = problem(api.patch(url, json={"answers": {"horizon": "permanent"}}, headers={"Accept-Language": "en"}), 409)
    assert "closed" in body["detail"]
    problem(api.patch(f"/api/v1/collaborations/{cid}/responses/{response['id']}", json={"label": "Nieuw"}), 409)
    assert api.get(url).json["answers"]["horizon"] == "years"


def age(app, model, record_id: str, days: int) -> None:
    with app.app_context():
        session = storage.get_session()
        session.execute(update(model).where(model.id == record_id)
                        .values(updated_at=datetime.now(UTC) - timedelta(days=days)))
        session.commit()


def test_expired_records_are_not_readable_before_the_purge(make_store_app):
    app = make_store_app(RULES_DIR=str(ROOT / "rules"), RETENTION_DAYS=30)
    api = app.test_client()
    old, recent = (api.post(BASE, json={"answers": REQUIRED}).json for _ in range(2))
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk"}).json
    age(app, Assessment, old["id"], 31)
    age(app, Assessment, recent["id"], 29)
    age(app, Collaboration, collaboration["id"], 31)
    problem(api.get(f"{BASE}/{old['id']}"), 404)
    problem(api.patch(f"{BASE}/{old['id']}", json={"label": "revived?"}), 404)
    assert api.get(f"{BASE}/{recent['id']}").status_code == 200
    problem(api.get(f"/api/v1/collaborations/{collaboration['id']}"), 404)
    problem(api.get(f"/api/v1/invitations/{collaboration['invitation']['token']}"), 404)
    assert app.test_cli_runner().invoke(args=["assessments", "purge"]).exit_code == 0
    with app.app_context():
        assert storage.get_session().query(Assessment).count() == 1


def test_the_spec_documents_etag_if_match_and_idempotency_key(api):
    spec = api.get("/api/v1/openapi.json").json
    server = spec["servers"][0]["url"]              # the paths are relative to it (/api/v1)
    paths = {server + path: item for path, item in spec["paths"].items()}
    item = paths["/api/v1/assessments/{assessment_id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    for method in ("patch", "delete"):
        assert "If-Match" in [p["name"] for p in item[method]["parameters"]]
        assert "412" in item[method]["responses"]
    for path in ("/api/v1/assessments", "/api/v1/collaborations",
                 "/api/v1/collaborations/{collaboration_id}/responses", "/api/v1/invitations/{token}/responses"):
        post = paths[path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in post["parameters"]], path
        assert {"ETag", "Idempotent-Replayed", "Location"} <= set(post["responses"]["201"]["headers"]), path
    patch = paths["/api/v1/invitations/{token}/responses/{respondent_id}"]["patch"]
    assert "409" in patch["responses"] and "412" in patch["responses"]


def test_the_purge_forgets_idempotency_keys_after_a_day_even_without_retention(make_store_app):
    from advisor.storage.models import IdempotencyKey

    app = make_store_app(RULES_DIR=str(ROOT / "rules"), RETENTION_DAYS=0)
    api = app.test_client()
    headers = {"Idempotency-Key": "nightly-run-1"}
    first = api.post(BASE, json={"answers": REQUIRED}, headers=headers).json
    with app.app_context():
        session = storage.get_session()
        session.execute(update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        session.commit()
    # An expired key no longer answers with the first record, even before the purge.
    second = api.post(BASE, json={"answers": REQUIRED, "label": "new"}, headers=headers)
    assert second.status_code == 201 and second.json["id"] != first["id"]
    with app.app_context():
        session = storage.get_session()
        session.execute(update(IdempotencyKey).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        session.commit()
    result = app.test_cli_runner().invoke(args=["assessments", "purge"])
    assert result.exit_code == 0 and "Forgot 1 idempotency key(s) older than 24 hours." in result.output
    with app.app_context():
        assert storage.get_session().query(IdempotencyKey).count() == 0
