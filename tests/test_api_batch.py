"""POST /api/v1/advice/batch (issue 21 item 3): one result or one problem per item, in order,
never failing the batch for one bad item; JSON and streamed NDJSON; the client's advice_batch()."""

from __future__ import annotations

import json

import pytest

from advisor.api.batch_schemas import BATCH_MAX_ITEMS
from tests.conftest import ROOT

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
PROGRAM = {"scope": "core_task", "horizon": "permanent", "change_type": "system_change",
           "domains": ["care", "welfare", "work_income", "education"], "partners": 25, "budget": "structural"}
NDJSON = "application/x-ndjson"


@pytest.fixture
def app(make_app):
    return make_app(RULES_DIR=str(ROOT / "rules"))


@pytest.fixture
def api(app):
    return app.test_client()


def single(api, answers, lang="en"):
    return api.post("/api/v1/advice", json={"answers": answers, "lang": lang}).json


def test_each_item_gets_the_advice_the_single_route_gives_in_order(api):
    items = [{"ref": "a", "answers": ANSWERS}, {"ref": "b", "answers": PROGRAM}, {"ref": "c", "answers": ANSWERS}]
    response = api.post("/api/v1/advice/batch", json={"items": items, "lang": "en"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert [r["ref"] for r in body["results"]] == ["a", "b", "c"]
    assert [r["status"] for r in body["results"]] == [200, 200, 200]
    assert body["results"][0]["advice"] == single(api, ANSWERS)
    assert body["results"][1]["advice"] == single(api, PROGRAM)
    assert body["results"][0]["advice"]["recommended"] != body["results"][1]["advice"]["recommended"]
    assert (body["succeeded"], body["failed"], body["lang"]) == (3, 0, "en")
    assert response.headers["Advisor-Ruleset"] == body["ruleset"]["fingerprint"]


def test_bad_items_get_their_own_problem_and_the_rest_their_advice(api):
    items = [{"ref": "ok", "answers": ANSWERS},
             {"ref": "bad-option", "answers": {**ANSWERS, "horizon": "forever"}},
             {"answers": ANSWERS},                      # no ref
             "not an object",
             {"ref": "missing", "answers": {"scope": "individual_cases"}},
             {"ref": "ok-too", "answers": PROGRAM}]
    body = api.post("/api/v1/advice/batch", json={"items": items, "lang": "en"}).json
    results = body["results"]
    assert [r["ref"] for r in results] == ["ok", "bad-option", None, None, "missing", "ok-too"]
    assert [r["status"] for r in results] == [200, 422, 422, 422, 422, 200]
    assert results[1]["problem"]["invalidParams"][0]["name"] == "/answers/horizon"
    assert results[1]["problem"]["errors"]["answers.horizon"][0].startswith("unknown option 'forever'")
    assert results[2]["problem"]["invalidParams"] == [{"name": "/ref", "reason": "Missing data for required field."}]
    assert {p["name"] for p in results[4]["problem"]["invalidParams"]} >= {"/answers/horizon", "/answers/partners"}
    assert all(r["advice"] is None for r in results[1:5]) and results[5]["advice"]["recommended"]
    assert (body["succeeded"], body["failed"]) == (2, 4)


def test_the_batch_itself_is_refused_only_when_it_is_not_a_batch(api):
    for body in ({}, {"items": []}, {"items": {"ref": "a"}},
                 {"items": [{"ref": str(n), "answers": ANSWERS} for n in range(BATCH_MAX_ITEMS + 1)]}):
        response = api.post("/api/v1/advice/batch", json=body)
        assert response.status_code == 422, body if len(str(body)) < 200 else len(body["items"])
        assert response.json["invalidParams"][0]["name"] == "/items"
    assert api.post("/api/v1/advice/batch", data="ref,answers", content_type="text/csv").status_code == 415


def test_a_full_batch_of_1000_is_answered(api):
    items = [{"ref": f"dossier-{n}", "answers": ANSWERS if n % 2 else PROGRAM} for n in range(BATCH_MAX_ITEMS)]
    body = api.post("/api/v1/advice/batch", json={"items": items}).json
    assert body["succeeded"] == BATCH_MAX_ITEMS
    assert [r["ref"] for r in body["results"]] == [item["ref"] for item in items]


def test_ndjson_streams_one_result_line_per_item_line(api):
    lines = [json.dumps({"ref": f"r{n}", "answers": ANSWERS if n % 2 else PROGRAM}) for n in range(5)]
    lines.insert(2, "{not json")
    lines.insert(4, "")
    response = api.post("/api/v1/advice/batch?lang=en", data="\n".join(lines) + "\n", content_type=NDJSON)
    assert response.status_code == 200 and response.mimetype == NDJSON
    results = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [(r["ref"], r["status"], r["line"]) for r in results] == [
        ("r0", 200, 1), ("r1", 200, 2), (None, 400, 3), ("r2", 200, 4), ("r3", 200, 6), ("r4", 200, 7)]
    assert results[1]["advice"] == single(api, ANSWERS)
    assert results[2]["problem"]["type"] == "/api/v1/problems/invalid-body"
    from advisor.api.batch_schemas import BatchResultSchema       # each line as the spec says
    assert [BatchResultSchema().validate(result) for result in results] == [{}] * len(results)


def test_ndjson_past_the_item_limit_says_where_it_stopped(make_app):
    api = make_app(RULES_DIR=str(ROOT / "rules"), BATCH_NDJSON_MAX_ITEMS=2).test_client()
    data = "\n".join(json.dumps({"ref": str(n), "answers": ANSWERS}) for n in range(4))
    results = [json.loads(line) for line in
               api.post("/api/v1/advice/batch", data=data, content_type=NDJSON).get_data(as_text=True).splitlines()]
    assert [(r["ref"], r["status"]) for r in results] == [("0", 200), ("1", 200), (None, 413)]


def test_batch_honours_the_ruleset_precondition(api):
    fingerprint = api.get("/api/v1/forms").headers["Advisor-Ruleset"]
    items = [{"ref": "a", "answers": ANSWERS}]
    assert api.post("/api/v1/advice/batch", json={"items": items, "ruleset": fingerprint}).status_code == 200
    stale = api.post("/api/v1/advice/batch", json={"items": items, "ruleset": "0" * 64})
    assert stale.status_code == 412 and stale.json["currentRuleset"] == fingerprint
    ndjson = api.post("/api/v1/advice/batch", data=json.dumps(items[0]), content_type=NDJSON,
                      headers={"If-Match": '"' + "0" * 64 + '"'})
    assert ndjson.status_code == 412


def test_responses_conform_to_the_documented_schemas(api):
    from advisor.api.batch_schemas import BatchResponseSchema

    body = api.post("/api/v1/advice/batch", json={"items": [
        {"ref": "a", "answers": ANSWERS}, {"ref": "b", "answers": {}}]}).json
    assert BatchResponseSchema().validate(body) == {}


@pytest.mark.parametrize("ndjson", [False, True])
def test_a_batch_weighs_on_the_rate_limit_by_its_items(make_app, ndjson):
    """1,000 items at 100 per request weigh 10 requests: with 15 per minute, 5 more batches of
    one fit, then 429."""
    api = make_app(RULES_DIR=str(ROOT / "rules"), RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="15 per minute").test_client()
    items = [{"ref": str(n), "answers": ANSWERS} for n in range(BATCH_MAX_ITEMS)]
    if ndjson:
        response = api.post("/api/v1/advice/batch", content_type=NDJSON,
                            data="\n".join(json.dumps(item) for item in items))
        assert len(response.get_data(as_text=True).splitlines()) == BATCH_MAX_ITEMS
    else:
        assert api.post("/api/v1/advice/batch", json={"items": items}).status_code == 200
    one = {"items": items[:1]}
    statuses = [api.post("/api/v1/advice/batch", json=one).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_alternatives_per_item_in_the_item_language(api):
    """``alternatives: true`` gives each item what the single route gives, in the item's language."""
    single = api.post("/api/v1/advice", json={"answers": PROGRAM, "lang": "en", "alternatives": True}).json
    body = api.post("/api/v1/advice/batch", json={"alternatives": True, "lang": "nl",
                                                  "items": [{"ref": "a", "answers": PROGRAM, "lang": "en"}]}).json
    assert body["results"][0]["status"] == 200, body
    assert body["results"][0]["advice"]["alternatives"] == single["alternatives"]
    assert body["results"][0]["advice"]["lang"] == "en"
