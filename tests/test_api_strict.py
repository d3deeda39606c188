"""Strictness that protects data (issue 21 item 7): bodies that would be misread are refused,
through the test client on every write route, stored ones on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, reading_english

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
INVALID_BODY = "/api/v1/problems/invalid-body"


@pytest.fixture
def api(make_store_app):
    return reading_english(make_store_app(RULES_DIR=str(ROOT / "rules")).test_client())


@pytest.fixture
def collaboration(api):
    created = api.post("/api/v1/collaborations", json={"name": "Wijkaanpak Noord", "lang": "en"}).json
    token = created["invitation"]["token"]
    answered = api.post(f"/api/v1/invitations/{token}/responses", json={"label": "Gemeente", "answers": ANSWERS})
    assert answered.status_code == 201
    return created


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.json


def test_a_bare_post_does_not_close_a_round(api, collaboration):
    url = f"/api/v1/collaborations/{collaboration['id']}/rounds"
    body = problem(api.post(url), 400)
    assert body["type"] == INVALID_BODY and body["errors"] == {"body": ["a body is required"]}
    assert body["invalidParams"] == [{"name": "", "reason": "a body is required"}]
    assert api.get(f"/api/v1/collaborations/{collaboration['id']}").json["round"] == 1
    closed = api.post(url, json={})
    assert closed.status_code == 201 and closed.json["round"] == 2


def test_bodiless_patches_are_refused_and_change_nothing(api, collaboration):
    url = f"/api/v1/collaborations/{collaboration['id']}"
    for headers in ({}, {"Content-Type": "application/json"}):
        assert problem(api.patch(url, headers=headers), 400)["type"] == INVALID_BODY
    respondent = api.get(url).json["respondents"][0]
    assert problem(api.patch(respondent["url"].removeprefix("http://localhost")), 400)["type"] == INVALID_BODY
    draft = api.post("/api/v1/assessments", json={"answers": {"scope": "individual_cases"}}).json
    assert problem(api.patch(f"/api/v1/assessments/{draft['id']}"), 400)["type"] == INVALID_BODY
    assert api.get(f"/api/v1/assessments/{draft['id']}").json["answers"] == {"scope": "individual_cases"}


@pytest.mark.parametrize("body, reason", [
    (b'{"answers": {"partners": 3}, "answers": {}}', 'the key "answers" occurs twice in one object'),
    (b'{"answers": {"partners": 3, "partners": 4}}', 'the key "partners" occurs twice in one object'),
    (b'{"answers": {"partners": NaN}}', "NaN is not a JSON number"),
    (b'{"answers": {"partners": Infinity}}', "Infinity is not a JSON number"),
    (b'{"answers": {"partners": -Infinity}}', "-Infinity is not a JSON number"),
])
@pytest.mark.parametrize("path", ["/api/v1/advice", "/api/v1/assessments", "/api/v1/advice/batch"])
def test_duplicate_keys_and_non_numbers_are_400(api, path, body, reason):
    found = problem(api.post(path, data=body, content_type="application/json"), 400)
    assert found["type"] == INVALID_BODY
    assert found["errors"] == {"body": [f"Invalid JSON body: {reason}."]}


def test_duplicate_keys_never_store_the_last_value(api):
    response = api.post("/api/v1/assessments", content_type="application/json",
                        data=b'{"answers": {"scope": "individual_cases"}, "answers": {}}')
    problem(response, 400)


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/csv, image/png"])
@pytest.mark.parametrize("method, path", [("GET", "/api/v1/questionnaire"), ("GET", "/api/v1/forms"),
                                          ("POST", "/api/v1/advice")])
def test_accept_without_json_is_406(api, method, path, accept):
    response = api.open(path, method=method, json={"answers": ANSWERS}, headers={"Accept": accept})
    assert problem(response, 406)["type"] == "/api/v1/problems/not-acceptable"


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", "text/html, application/json;q=0.1",
                                    "application/problem+json"])
def test_accept_with_json_is_served(api, accept):
    assert api.get("/api/v1/forms", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "x-unknown"])
def test_an_encoding_the_service_does_not_decode_is_415(api, encoding):
    response = api.post("/api/v1/advice", json={"answers": ANSWERS}, headers={"Content-Encoding": encoding})
    found = problem(response, 415)
    assert found["type"] == "/api/v1/problems/unsupported-media-type" and encoding in found["detail"]
    identity = api.post("/api/v1/advice", json={"answers": ANSWERS}, headers={"Content-Encoding": "identity"})
    assert identity.status_code == 200
