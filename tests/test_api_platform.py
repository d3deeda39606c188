"""What a Dutch public-sector platform needs of the API (issue 21 items 1, 5, 8, 9): API-Version
and the spec's ADR metadata, the rule-set precondition, problem types with invalidParams,
language, CORS and absolute URLs from PUBLIC_URL. Through the Flask test client."""

from __future__ import annotations

import pytest

from advisor.api.adr import API_SEMVER
from advisor.api.problem_types import TYPES
from tests.conftest import ROOT

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
SEMVER = r"^\d+\.\d+\.\d+$"


@pytest.fixture
def app(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules"))


@pytest.fixture
def api(app):
    return app.test_client()


# --- 1. ADR: version header and the spec's metadata ------------------------------------------


def test_every_api_response_carries_the_full_version(api):
    draft = api.post("/api/v1/assessments", json={"answers": {"scope": "individual_cases"}})
    responses = [
        api.get("/api/v1/questionnaire"), api.post("/api/v1/advice", json={"answers": ANSWERS}),
        draft, api.delete(f"/api/v1/assessments/{draft.json['id']}"),              # 201, 204
        api.get("/api/v1/nowhere"), api.put("/api/v1/advice", json={}),             # 404, 405
        api.post("/api/v1/advice", json={"answers": {}}),                            # 422
        api.get("/api/v1/openapi.json"), api.get("/api/v1/health"),
    ]
    for response in responses:
        assert response.headers["API-Version"] == API_SEMVER, (response.request.path, response.status)
    assert api.get("/").headers.get("API-Version") is None        # pages are not the API


def test_the_spec_has_semver_contact_and_the_versioned_server(make_app):
    spec = make_app(API_CONTACT_NAME="Team Sociaal Domein", API_CONTACT_EMAIL="api@gemeente.example",
                    PUBLIC_URL="https://wijzer.gemeente.example").test_client().get("/api/v1/openapi.json").json
    assert spec["info"]["version"] == API_SEMVER
    assert spec["info"]["contact"] == {"name": "Team Sociaal Domein", "email": "api@gemeente.example",
                                       "url": "https://wijzer.gemeente.example/api/v1/docs"}
    assert spec["servers"][0]["url"] == "https://wijzer.gemeente.example/api/v1"
    assert all(not path.startswith("/api/") for path in spec["paths"])
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["operationId"] and operation["description"], (method, path)
            for status, response in operation["responses"].items():
                if status[0] in "23":
                    assert "API-Version" in response["headers"], (method, path, status)


def test_a_degraded_health_is_problem_details(app):
    app.extensions["advisor"].health_checks["database"] = lambda: "unreachable"
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    body = response.json
    assert body["type"] == "/api/v1/problems/service-unavailable" and body["status"] == 503
    assert body["checks"]["database"] == "unreachable" and body["checks"]["engine"] == "ok"
    assert "database" in body["detail"]


# --- 5. The rule-set precondition ------------------------------------------------------------


def test_advice_on_the_expected_rules_or_412_with_the_current_fingerprint(api):
    current = api.get("/api/v1/forms").headers["Advisor-Ruleset"]
    assert api.post("/api/v1/advice", json={"answers": ANSWERS, "ruleset": current}).status_code == 200
    assert api.post("/api/v1/advice", json={"answers": ANSWERS}, headers={"If-Match": f'"{current}"'}).status_code == 200
    assert api.post("/api/v1/advice", json={"answers": ANSWERS}, headers={"If-Match": "*"}).status_code == 200
    stale = "0" * 64
    for response in (api.post("/api/v1/advice", json={"answers": ANSWERS, "ruleset": stale}),
                     api.post("/api/v1/advice", json={"answers": ANSWERS}, headers={"If-Match": f'"{stale}"'})):
        assert response.status_code == 412 and response.mimetype == "application/problem+json"
        assert response.json["currentRuleset"] == current == response.headers["Advisor-Ruleset"]
        assert response.json["type"] == "/api/v1/problems/ruleset-changed"


def test_rule_dependent_responses_name_the_rule_set(api):
    current = api.get("/api/v1/plugins").json["ruleset"]["fingerprint"]
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "en"}).json
    for response in (api.get("/api/v1/questionnaire"), api.get("/api/v1/forms"),
                     api.post("/api/v1/assessments", json={"answers": ANSWERS}),
                     api.get(f"/api/v1/collaborations/{collaboration['id']}"),
                     api.get(f"/api/v1/invitations/{collaboration['invitation']['token']}")):
        assert response.headers["Advisor-Ruleset"] == current, response.request.path


# --- 8. Errors a machine can tell apart --------------------------------------------------------


def test_each_error_class_has_its_own_type_and_a_page_explaining_it(api):
    seen = {
        400: api.post("/api/v1/advice", data="{", content_type="application/json"),
        404: api.get("/api/v1/assessments/nope"),
        405: api.put("/api/v1/advice", json={}),
        406: api.get("/api/v1/forms", headers={"Accept": "text/html"}),
        415: api.post("/api/v1/advice", data="x", content_type="text/plain"),
        422: api.post("/api/v1/advice", json={"answers": {}}),
    }
    for status, response in seen.items():
        assert response.status_code == status
        kind = response.json["type"]
        assert kind == next(t.uri for t in TYPES if t.status == status)
        page = api.get(kind)
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert kind.rsplit("/", 1)[1] in page.get_data(as_text=True)
    assert len({t.uri for t in TYPES}) == len(TYPES)
    listing = api.get("/api/v1/problems").get_data(as_text=True)
    assert all(t.uri in listing for t in TYPES)
    assert api.get("/api/v1/problems/no-such-type").status_code == 404


def test_invalid_params_name_fields_as_json_pointers_and_keep_v1_errors(make_app):
    api = make_app(PLUGINS_DIR=str(ROOT / "plugins" / "youth-care")).test_client()
    response = api.post("/api/v1/advice", json={"answers": {**ANSWERS, "youth.child_voice": "maybe"}},
                        headers={"Accept-Language": "en"})
    body = response.json
    assert response.status_code == 422
    assert body["errors"]["answers.youth.child_voice"][0].startswith("unknown option 'maybe'")   # v1 as it was
    assert body["invalidParams"] == [{"name": "/answers/youth.child_voice",
                                      "reason": body["errors"]["answers.youth.child_voice"][0]}]
    nested = api.post("/api/v1/assessments", json={"answers": {"": "x"}, "label": 5, "extra": 1}).json
    names = {param["name"] for param in nested["invalidParams"]}
    assert {"/label", "/extra", "/answers/"} <= names     # "/answers/": the empty question id
    query = api.get("/api/v1/forms?lang=fr").json
    assert query["invalidParams"] == [{"name": "lang", "reason": query["errors"]["query.lang"][0]}]


def test_problems_in_the_request_language(api):
    dutch = api.post("/api/v1/advice", json={"answers": {}}, headers={"Accept-Language": "nl"}).json
    also_dutch = api.post("/api/v1/advice?lang=NL", json={"answers": {}})
    english = api.post("/api/v1/advice?lang=EN", json={"answers": {}})
    unasked = api.post("/api/v1/advice", json={"answers": {}})
    assert dutch["title"] == "Ongeldige invoer"
    assert dutch["detail"] == "Sommige antwoorden passen niet bij de vragenlijst: zie errors."
    assert also_dutch.json == dutch and also_dutch.headers["Content-Language"] == "nl"
    assert english.json["title"] == "Invalid input" and english.headers["Content-Language"] == "en"
    assert english.json["detail"] == "Some answers do not fit the questionnaire: see errors."
    assert unasked.json == dutch and unasked.headers["Content-Language"] == "nl"   # as every text: DEFAULT_LANG
    missing = api.get("/api/v1/assessments/nope", headers={"Accept-Language": "nl-NL"}).json
    assert missing["title"] == "Niet gevonden" and missing["detail"].startswith("Geen beoordeling met deze id")


# --- 9. Language, CORS, absolute URLs -------------------------------------------------------


@pytest.mark.parametrize("ask, expected", [
    ({"query_string": {"lang": "en"}}, "en"), ({"query_string": {"lang": "EN"}}, "en"),
    ({"headers": {"Accept-Language": "en-GB,en;q=0.9"}}, "en"), ({}, "nl"),
    ({"headers": {"Accept-Language": "nl, en;q=0.5"}}, "nl"),
])
def test_lang_and_accept_language_alike_on_every_route(api, ask, expected):
    assessment = api.post("/api/v1/assessments", json={"answers": {"scope": "individual_cases"}, "lang": "nl"}).json
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "nl"}).json
    for path in ("/api/v1/questionnaire", "/api/v1/forms", f"/api/v1/collaborations/{collaboration['id']}",
                 f"/api/v1/assessments/{assessment['id']}/replay"):
        response = api.get(path, **ask)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        wanted = expected if ask else ("nl" if "collaborations" in path or "assessments" in path else expected)
        assert response.json["lang"] == wanted == response.headers["Content-Language"], path
        assert "Accept-Language" in response.headers["Vary"]
    advice = api.post("/api/v1/advice", json={"answers": ANSWERS}, **ask)
    assert advice.json["lang"] == expected == advice.headers["Content-Language"]


def test_the_collaboration_answers_in_the_asked_language_and_says_so(api):
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "nl"}).json
    token = collaboration["invitation"]["token"]
    api.post(f"/api/v1/invitations/{token}/responses", json={"label": "Gemeente", "answers": ANSWERS})
    english = api.get(f"/api/v1/collaborations/{collaboration['id']}", headers={"Accept-Language": "en"}).json
    dutch = api.get(f"/api/v1/collaborations/{collaboration['id']}").json
    assert (english["lang"], dutch["lang"]) == ("en", "nl")
    assert english["combined"]["advice"]["lang"] == "en" and dutch["combined"]["advice"]["lang"] == "nl"


def test_cors_varies_by_origin_lists_existing_methods_and_exposes_limits(make_app):
    api = make_app(CORS_ORIGINS=["https://portal.gemeente.example"]).test_client()
    preflight = api.options("/api/v1/advice", headers={
        "Origin": "https://portal.gemeente.example", "Access-Control-Request-Method": "POST"})
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(", ")) == {"POST", "OPTIONS"}
    assert "Origin" in preflight.headers["Vary"]
    reply = api.get("/api/v1/forms", headers={"Origin": "https://portal.gemeente.example"})
    exposed = {h.strip() for h in reply.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Retry-After", "RateLimit", "RateLimit-Policy", "Advisor-Ruleset", "API-Version"} <= exposed
    other = api.get("/api/v1/forms", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers and "Origin" in other.headers["Vary"]
    assert "Origin" in api.get("/api/v1/forms").headers["Vary"]


def test_absolute_urls_come_from_public_url_not_the_host_header(make_store_app):
    api = make_store_app(RULES_DIR=str(ROOT / "rules"), PUBLIC_URL="https://wijzer.gemeente.example/").test_client()
    forged = {"Host": "evil.example"}
    created = api.post("/api/v1/assessments", json={"answers": {"scope": "individual_cases"}}, headers=forged)
    assert created.headers["Location"].startswith("https://wijzer.gemeente.example/api/v1/assessments/")
    assert created.json["url"] == created.headers["Location"]
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk"}, headers=forged).json
    assert collaboration["invitation"]["api_url"].startswith("https://wijzer.gemeente.example/api/v1/invitations/")
    assert "evil.example" not in str(collaboration)


# --- 2. A spec generators can use ----------------------------------------------------------------


def test_the_spec_describes_and_exemplifies_everything_a_generator_reads(make_app):
    app = make_app(RULES_DIR=str(ROOT / "rules"), ADMIN_TOKEN="platform-admin-token-0123456789abcdef")
    spec = app.test_client().get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("description"), name
        for prop, doc in schema.get("properties", {}).items():
            assert doc.get("description"), f"{name}.{prop}"
            assert "anyOf" not in doc, f"{name}.{prop}"                # nullable refs: allOf
            assert set(doc) - {"description"} and not ("$ref" in doc and len(doc) > 1), f"{name}.{prop}"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                assert "example" in media, (method, path)
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values() if status[0] in "23" else ():
                    assert "example" in media, (method, path, status)
    forms = [form["id"] for form in app.test_client().get("/api/v1/forms").json["forms"]]
    assert schemas["Advice"]["properties"]["recommended"]["enum"] == forms
    assert schemas["RankedForm"]["properties"]["form"]["enum"] == forms
    for name in ("Risk", "RiskBrief", "PartialRisk", "Finding", "DriftWarning"):
        assert schemas[name]["properties"]["severity"]["enum"] == ["critical", "warning", "info"], name
    assert schemas["Advice"]["properties"]["lang"]["enum"] == ["nl", "en"]
    assert schemas["Assessment"]["properties"]["advice"] == {
        "allOf": [{"$ref": "#/components/schemas/Advice"}], "type": "object", "nullable": True,
        "description": "The advice as it was given; null for a draft."}


def test_response_schemas_are_open_and_request_schemas_closed(app):
    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    for response in ("Advice", "Assessment", "Collaboration", "Questionnaire", "Problem", "BatchResponse"):
        assert "additionalProperties" not in schemas[response], response
    for request in ("AdviceRequest", "AssessmentCreate", "AssessmentPatch", "BatchRequest", "CompleteAnswers"):
        assert schemas[request]["additionalProperties"] is False, request
    refused = app.test_client().post("/api/v1/advice", json={"answers": ANSWERS, "unknown": 1})
    assert refused.status_code == 422 and refused.json["invalidParams"][0]["name"] == "/unknown"


def test_starting_runs_no_hook_and_a_failing_plugin_leaves_the_spec_without_examples(make_app):
    from advisor import hookimpl

    calls = []

    class Failing:
        @hookimpl
        def assess_risks(self, answers, recommended, ranking, questions):
            calls.append(recommended)
            raise RuntimeError("broken plugin")

    app = make_app(PLUGINS_STRICT=True, PLUGINS_EXTRA=[("failing", Failing())])
    assert calls == []                                          # the app started without advising
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and calls               # the example advice was tried, and failed
    assert "example" not in response.json["components"]["schemas"]["Advice"]
    assert app.test_client().post("/api/v1/advice", json={"answers": ANSWERS}).status_code == 503
