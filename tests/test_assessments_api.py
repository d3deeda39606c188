"""/api/v1/assessments through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.conftest import MINI_PACKS
from tests.storage_fixtures import closed_port

COMPLETE = {"scope": "ongoing_task", "partners": 30}
DRAFT = {"partners": 30}
BASE = "/api/v1/assessments"


@pytest.fixture
def api(store_app):
    return store_app.test_client()


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


def test_create_complete_gives_201_private_url_and_advice(api):
    response = api.post(BASE, json={"answers": COMPLETE, "label": "Wijkteam", "lang": "en"})
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"] == body["url"] == f"http://localhost{BASE}/{body['id']}"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(body["id"]) >= 22
    assert (body["status"], body["label"], body["lang"]) == ("complete", "Wijkteam", "en")
    assert body["advice"]["recommended"] == "program" and body["advice"]["lang"] == "en"
    assert body["ruleset"] == body["advice"]["ruleset"]
    assert body["completeness"] == {"answered": 2, "total": 2, "required_missing": []}
    assert body["created_at"] == body["updated_at"] and body["expires_at"] > body["updated_at"]


def test_draft_is_stored_without_advice(api):
    body = api.post(BASE, json={"answers": DRAFT}).json
    assert body["status"] == "draft" and body["advice"] is None
    assert body["completeness"]["required_missing"] == ["scope"]
    assert body["lang"] == "nl" and body["label"] is None


def test_language_follows_accept_language_when_not_given(api):
    body = api.post(BASE, json={"answers": COMPLETE}, headers={"Accept-Language": "en"}).json
    assert body["lang"] == "en"


def test_read_gives_back_what_was_stored(api):
    created = api.post(BASE, json={"answers": COMPLETE}).json
    response = api.get(f"{BASE}/{created['id']}")
    assert response.status_code == 200 and response.json == created
    assert response.headers["Cache-Control"] == "no-store"


def test_patch_resumes_a_draft_and_null_removes_an_answer(api):
    url = api.post(BASE, json={"answers": DRAFT}).json["url"]
    resumed = api.patch(url, json={"answers": {"scope": "ongoing_task"}})
    assert resumed.status_code == 200
    assert resumed.json["status"] == "complete" and resumed.json["advice"]["recommended"] == "program"
    assert resumed.json["answers"] == COMPLETE
    removed = api.patch(url, json={"answers": {"scope": None}}).json
    assert removed["status"] == "draft" and removed["advice"] is None and removed["answers"] == DRAFT


def test_patch_label_keeps_the_advice_as_given(api):
    created = api.post(BASE, json={"answers": COMPLETE}).json
    patched = api.patch(created["url"], json={"label": "Renamed"}).json
    assert patched["label"] == "Renamed" and patched["advice"] == created["advice"]
    assert patched["updated_at"] > created["updated_at"]
    assert api.patch(created["url"], json={"label": None}).json["label"] is None


def test_delete_erases_for_good(api):
    url = api.post(BASE, json={"answers": COMPLETE}).json["url"]
    response = api.delete(url)
    assert response.status_code == 204 and response.data == b""
    problem(api.get(url), 404)
    problem(api.patch(url, json={"label": "x"}), 404)
    problem(api.delete(url), 404)
    problem(api.get(f"{url}/replay"), 404)


@pytest.mark.parametrize("path", ["/doesnotexistdoesnotexist1234", "/x", "/" + "a" * 300])
def test_unknown_id_is_a_404_problem(api, path):
    body = problem(api.get(BASE + path, headers={"Accept-Language": "en"}), 404)
    assert "No assessment with this id" in body["detail"]


@pytest.mark.parametrize(
    "payload, field, reason",
    [
        ({"answers": {"scope": "forever"}}, "answers.scope", "unknown option"),
        ({"answers": {"bogus": "x"}}, "answers.bogus", "unknown question"),
        ({"answers": {"partners": 0}}, "answers.partners", "between 1 and 500"),
        ({}, "answers", "Missing data"),
        ({"answers": []}, "answers", "Not a valid mapping"),
        ({"answers": {}, "label": "x" * 201}, "label", "Longer than maximum"),
        ({"answers": {}, "lang": "fr"}, "lang", "Must be one of"),
        ({"answers": {}, "id": "mine"}, "id", "Unknown field"),
    ],
)
def test_create_refusals_are_422_by_field(api, payload, field, reason):
    body = problem(api.post(BASE, json=payload, headers={"Accept-Language": "en"}), 422)
    assert reason in body["errors"][field][0]


def test_patch_refusals_are_422_by_field(api):
    url = api.post(BASE, json={"answers": COMPLETE}).json["url"]
    assert "answers.scope" in problem(api.patch(url, json={"answers": {"scope": "forever"}}), 422)["errors"]
    assert "status" in problem(api.patch(url, json={"status": "complete"}), 422)["errors"]
    assert api.get(url).json["answers"] == COMPLETE


def test_bodies_that_are_not_json(api):
    problem(api.post(BASE, data="answers=1", content_type="application/x-www-form-urlencoded"), 415)
    problem(api.post(BASE, data='{"answers": ', content_type="application/json"), 400)
    url = api.post(BASE, json={"answers": DRAFT}).json["url"]
    problem(api.patch(url, data="label=x", content_type="text/plain"), 415)


def test_wrong_method_is_405_with_allow(api):
    url = api.post(BASE, json={"answers": DRAFT}).json["url"]
    response = api.put(url, json={})
    problem(response, 405)
    assert "PATCH" in response.headers["Allow"]


# --- Replay ------------------------------------------------------------------------------------

CHANGED_PACK = (MINI_PACKS / "core.toml").read_text().replace(
    'version = "0.1.0"', 'version = "0.2.0"'
).replace(
    "contributions = { program = 2 }", "contributions = { informal = 2 }"
) + """
[[risks]]
id = "isolation"
severity = "info"
when = { partners = { min = 20 }, recommended = "informal" }
title = { nl = "Eilandjes", en = "Islands" }
why = { nl = "w", en = "w" }
advice = { nl = "a", en = "a" }
"""


def test_replay_on_the_same_rules_changes_nothing(api):
    url = api.post(BASE, json={"answers": COMPLETE}).json["url"]
    replay = api.get(f"{url}/replay").json
    assert replay["ruleset_changed"] is False
    assert replay["advice"] == replay["stored_advice"]
    assert replay["changes"] == {
        "form_changed": False, "recommended_before": "program", "recommended_after": "program",
        "risks_added": [], "risks_removed": [], "packs_added": [], "packs_removed": [], "packs_updated": [],
    }


def test_replay_on_changed_rules_shows_what_changed(make_store_app, write_pack):
    before = make_store_app().test_client()
    created = before.post(BASE, json={"answers": COMPLETE, "lang": "en"}).json

    after = make_store_app(RULES_DIR=str(write_pack("core.toml", CHANGED_PACK))).test_client()
    stored = after.get(f"{BASE}/{created['id']}").json
    assert stored["advice"] == created["advice"]  # the advice as it was given, whatever the rules now
    response = after.get(f"{BASE}/{created['id']}/replay")
    assert response.status_code == 200
    replay = response.json
    assert replay["ruleset_changed"] is True
    assert replay["stored_ruleset"] == created["ruleset"]
    assert replay["current_ruleset"]["fingerprint"] != created["ruleset"]["fingerprint"]
    assert replay["stored_advice"] == created["advice"]
    assert replay["advice"]["recommended"] == "informal" and replay["lang"] == "en"
    changes = replay["changes"]
    assert (changes["form_changed"], changes["recommended_before"], changes["recommended_after"]) == (True, "program", "informal")
    assert changes["risks_added"] == [{"id": "isolation", "severity": "info", "title": "Islands"}]
    assert changes["risks_removed"] == [{"id": "bureaucracy", "severity": "warning", "title": "B"}]
    assert changes["packs_updated"] == [{"id": "core", "before": "0.1.0", "after": "0.2.0"}]
    assert after.get(f"{BASE}/{created['id']}/replay?lang=nl").json["advice"]["risks"][0]["title"] == "Eilandjes"
    assert after.get(f"{BASE}/{created['id']}").json == stored  # a replay stores nothing


def test_replay_when_stored_answers_no_longer_fit(make_store_app, write_pack):
    before = make_store_app().test_client()
    created = before.post(BASE, json={"answers": COMPLETE}).json
    stricter = CHANGED_PACK.replace("max = 500", "max = 20")
    after = make_store_app(RULES_DIR=str(write_pack("core.toml", stricter))).test_client()
    replay = after.get(f"{BASE}/{created['id']}/replay").json
    assert replay["advice"] is None
    assert "between 1 and 20" in replay["answer_errors"]["answers.partners"][0]
    assert replay["changes"]["form_changed"] is True and replay["changes"]["recommended_after"] is None


def test_replay_bad_language_is_422(api):
    url = api.post(BASE, json={"answers": DRAFT}).json["url"]
    assert "query.lang" in problem(api.get(f"{url}/replay?lang=xx"), 422)["errors"]


# --- The database down --------------------------------------------------------------------------


def test_database_down_gives_503_problems_while_advice_keeps_working(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS),
                   DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/postgres")
    client = app.test_client()
    response = client.post(BASE, json={"answers": COMPLETE}, headers={"Accept-Language": "en"})
    body = problem(response, 503)
    assert "database cannot be reached" in body["detail"] and response.headers["Retry-After"]
    problem(client.get(f"{BASE}/doesnotexistdoesnotexist1234"), 503)
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and health.json["checks"]["database"].startswith("unreachable")
    assert client.post("/api/v1/advice", json={"answers": COMPLETE}).status_code == 200


# --- The spec ----------------------------------------------------------------------------------


def test_spec_documents_every_route_and_error(store_app):
    spec = store_app.test_client().get("/api/v1/openapi.json").json
    validate(spec)
    server = spec["servers"][0]["url"]
    paths = {server + path: item for path, item in spec["paths"].items()}
    assert set(paths[BASE]) == {"post"}
    assert set(paths[BASE + "/{assessment_id}"]) >= {"get", "patch", "delete"}
    assert set(paths[BASE + "/{assessment_id}"]["patch"]["responses"]) >= {"200", "400", "404", "413", "415", "422", "503"}
    assert set(paths[BASE + "/{assessment_id}"]["delete"]["responses"]) >= {"204", "404", "503"}
    assert set(paths[BASE + "/{assessment_id}/replay"]["get"]["responses"]) >= {"200", "404", "422", "503"}
    assert "Location" in paths[BASE]["post"]["responses"]["201"]["headers"]


def test_responses_match_their_schemas(api):
    from advisor.api.assessment_schemas import AssessmentSchema, ReplaySchema

    created = api.post(BASE, json={"answers": COMPLETE})
    assert AssessmentSchema().validate(created.json) == {}
    assert AssessmentSchema().validate(api.post(BASE, json={"answers": DRAFT}).json) == {}
    assert ReplaySchema().validate(api.get(created.json["url"] + "/replay").json) == {}


# --- The built-in rules ----------------------------------------------------------------------------

REAL_ANSWERS = {
    "scope": "ongoing_task", "horizon": "years", "change_type": "system_change",
    "domains": ["care", "welfare", "youth"], "budget": "structural", "partners": 12,
    "decision_making": "not_arranged", "funding_risk": "yes", "key_people": "yes", "turnover": "high",
}


def test_resumed_assessment_on_the_built_in_rules_stores_the_advice_post_advice_gives(make_store_app):
    from tests.conftest import ROOT

    client = make_store_app(RULES_DIR=str(ROOT / "rules")).test_client()
    first_half = {key: REAL_ANSWERS[key] for key in ("scope", "horizon", "change_type")}
    draft = client.post(BASE, json={"answers": first_half, "lang": "en"}).json
    assert draft["status"] == "draft"
    assert set(draft["completeness"]["required_missing"]) == {"domains", "budget", "partners"}
    rest = {key: value for key, value in REAL_ANSWERS.items() if key not in first_half}
    resumed = client.patch(draft["url"], json={"answers": rest}).json
    stateless = client.post("/api/v1/advice", json={"answers": REAL_ANSWERS, "lang": "en"}).json
    assert resumed["status"] == "complete"
    assert resumed["advice"]["recommended"] == stateless["recommended"]
    assert resumed["advice"]["risks"] == stateless["risks"] and resumed["advice"]["risks"]
    assert resumed["advice"]["explanation"] == stateless["explanation"]
    assert client.get(f"{draft['url']}/replay").json["changes"]["form_changed"] is False
