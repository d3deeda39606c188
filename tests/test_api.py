"""The /api/v1 routes and every class of error, through Flask's test client."""

from __future__ import annotations

import pytest


@pytest.fixture
def api(mini_app):
    return mini_app.test_client()


def test_advice_contract(api):
    response = api.post("/api/v1/advice", json={"answers": {"scope": "ongoing_task", "partners": 30}, "lang": "en"})
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"recommended", "ranking", "margin", "tie_break", "risks", "explanation",
                         "conditions", "completeness", "ruleset"}
    assert body["recommended"] == "program"
    assert body["ranking"][0] == {"form": "program", "score": 2.0, "share": 1.0}
    assert body["explanation"][0]["rule"] == "many"
    assert body["explanation"][0]["contributions"] == {"program": 2.0}
    assert body["risks"][0]["id"] == "bureaucracy"
    assert body["completeness"] == {"answered": 2, "total": 2, "required_missing": []}
    assert response.headers["Advisor-Ruleset"] == body["ruleset"]["fingerprint"]


def test_language_from_query_then_accept_language_then_dutch(api):
    assert api.get("/api/v1/questionnaire?lang=en").json["steps"][0]["title"] == "The task"
    assert api.get("/api/v1/questionnaire", headers={"Accept-Language": "en-GB,en;q=0.8"}).json["lang"] == "en"
    assert api.get("/api/v1/questionnaire", headers={"Accept-Language": "de"}).json["lang"] == "nl"
    assert api.get("/api/v1/questionnaire").json["steps"][0]["title"] == "De opgave"


def test_questionnaire_lists_questions_with_options(api):
    steps = api.get("/api/v1/questionnaire?lang=en").json["steps"]
    scope = steps[0]["questions"][0]
    assert scope["id"] == "scope" and scope["required"] is True
    assert [o["id"] for o in scope["options"]] == ["individual_cases", "ongoing_task"]
    partners = steps[0]["questions"][1]
    assert (partners["kind"], partners["min"], partners["max"]) == ("integer", 1, 500)


def test_forms_from_light_to_heavy(api):
    forms = api.get("/api/v1/forms?lang=en").json["forms"]
    assert [f["id"] for f in forms] == ["informal", "program"]
    assert forms[0]["name"] == "Informal"


def test_plugins_and_health(api):
    plugins = api.get("/api/v1/plugins").json
    assert plugins["plugins"][0]["name"] == "core"
    assert "score_forms" in plugins["plugins"][0]["hooks"]
    health = api.get("/api/v1/health")
    assert health.status_code == 200 and health.json["status"] == "ok"


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


@pytest.mark.parametrize(
    "answers, field, reason",
    [
        ({"scope": "ongoing_task", "bogus": "x"}, "answers.bogus", "unknown question"),
        ({"scope": "forever"}, "answers.scope", "unknown option 'forever'"),
        ({"scope": ["ongoing_task"]}, "answers.scope", "must be one option id"),
        ({"scope": "ongoing_task", "partners": 501}, "answers.partners", "between 1 and 500"),
        ({"partners": 3}, "answers.scope", "this question is required"),
    ],
)
def test_answer_errors_are_422_by_field(api, answers, field, reason):
    body = problem(api.post("/api/v1/advice", json={"answers": answers}, headers={"Accept-Language": "en"}), 422)
    assert reason in body["errors"][field][0]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": {}, "lang": "fr"}, "lang"),
        ({"answers": {}, "extra": 1}, "extra"),
    ],
)
def test_body_shape_errors_are_422_by_field(api, payload, field):
    assert field in problem(api.post("/api/v1/advice", json=payload), 422)["errors"]


def test_malformed_json_is_400(api):
    problem(api.post("/api/v1/advice", data="{\"answers\": ", content_type="application/json"), 400)


def test_wrong_content_type_is_415(api):
    problem(api.post("/api/v1/advice", data="answers=1", content_type="application/x-www-form-urlencoded"), 415)


def test_oversized_body_is_413(make_app):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS), MAX_CONTENT_LENGTH=1000)
    body = '{"answers": {"scope": "' + "x" * 2000 + '"}}'
    problem(app.test_client().post("/api/v1/advice", data=body, content_type="application/json"), 413)


def test_unknown_route_and_method(api):
    problem(api.get("/api/v1/nothing-here"), 404)
    assert problem(api.get("/api/v1/advice"), 405) and api.get("/api/v1/advice").headers["Allow"]


def test_bad_query_language_is_422(api):
    assert "query.lang" in problem(api.get("/api/v1/forms?lang=xx"), 422)["errors"]
