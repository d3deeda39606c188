"""The served OpenAPI spec: valid, complete, honoured by the app (schemathesis), and its docs page."""

from __future__ import annotations

import re
import tempfile
from html.parser import HTMLParser

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from advisor import create_app
from tests import schemathesis_hooks  # noqa: F401 - registers the NDJSON serializer
from tests.conftest import BASE_CONFIG, MINI_PACKS

SPEC_URL = "/api/v1/openapi.json"
DOCS_URL = "/api/v1/docs"
PROBLEM = "application/problem+json"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# Routes that serve the spec and its page rather than the API itself.
DOC_ENDPOINT_PREFIXES = ("api-docs.", "api_docs_files.", "api_docs_problems.")


def full_paths(spec: dict) -> dict:
    """The spec with its paths as the URLs they are served at: the server URL (/api/v1) + path."""
    server = spec["servers"][0]["url"]
    assert server == "/api/v1"
    return {**spec, "paths": {server + path: item for path, item in spec["paths"].items()}}


@pytest.fixture
def spec(app) -> dict:
    response = app.test_client().get(SPEC_URL)
    assert response.status_code == 200 and response.mimetype == "application/json"
    validate(response.json)
    return full_paths(response.json)


def test_spec_is_valid_openapi(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["version"] == "1.1.0"


def test_every_api_route_is_in_the_spec(app, spec):
    documented = {(path, method.upper()) for path, ops in spec["paths"].items()
                  for method in set(ops) & METHODS}
    routes = set()
    for rule in app.url_map.iter_rules():
        assert not rule.rule.startswith("/api/") or rule.rule.startswith("/api/v1/"), rule.rule
        if not rule.rule.startswith("/api/v1") or rule.endpoint.startswith(DOC_ENDPOINT_PREFIXES):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes, "no API routes found"
    assert routes - documented == set()
    assert documented - routes == set()


def test_every_operation_documents_its_errors_as_problem_details(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            responses = operation["responses"]
            if method in ("post", "put", "patch"):
                assert "requestBody" in operation, f"{method} {path}"
                assert {"400", "413", "415", "422"} <= set(responses), f"{method} {path}"
            if method not in ("get", "head", "options"):  # the rate limits count writes
                assert "429" in responses and "Retry-After" in responses["429"]["headers"], \
                    f"{method} {path}"
            if "{" in path:
                assert "404" in responses, f"{method} {path}"
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" in response:
                    schema = next(iter(response["content"].values()))["schema"]
                    if schema == {"$ref": "#/components/schemas/Problem"}:
                        assert list(response["content"]) == [PROBLEM], f"{method} {path} {status}"
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == [PROBLEM]


def test_spec_documents_the_loaded_questionnaire_as_answers(app, spec):
    schemas = spec["components"]["schemas"]
    request = schemas["AdviceRequest"]["properties"]["answers"]
    assert request["allOf"] == [{"$ref": "#/components/schemas/CompleteAnswers"}]
    questions = [q for step in app.test_client().get("/api/v1/questionnaire").json["steps"]
                 for q in step["questions"]]
    complete, draft = schemas["CompleteAnswers"], schemas["Answers"]
    assert list(complete["properties"]) == [q["id"] for q in questions]
    assert complete["required"] == [q["id"] for q in questions if q["required"]]
    assert "required" not in draft and draft["additionalProperties"] is False
    json_type = {"choice": "string", "multi": "array", "integer": "integer"}
    for question in questions:
        prop = complete["properties"][question["id"]]
        assert prop["type"] == json_type[question["kind"]] and "nullable" not in prop
        nullable_enum = {"enum": [*prop["enum"], None]} if "enum" in prop else {}
        assert draft["properties"][question["id"]] == {**prop, "nullable": True, **nullable_enum}
        option_ids = [o["id"] for o in question["options"]]
        if question["kind"] == "choice":
            assert prop["enum"] == option_ids
        if question["kind"] == "multi":
            assert prop["items"]["enum"] == option_ids and prop["uniqueItems"] is True
        if question["kind"] == "integer":
            assert (prop.get("minimum"), prop.get("maximum")) == (question["min"], question["max"])
    answer = schemas["Trigger"]["properties"]["answer"]
    assert [variant["type"] for variant in answer["oneOf"]] == ["string", "array", "integer"]


def test_spec_documents_the_ruleset_header(spec):
    ok = spec["paths"]["/api/v1/advice"]["post"]["responses"]["200"]
    assert ok["headers"]["Advisor-Ruleset"]["schema"] == {"type": "string"}
    assert "503" in spec["paths"]["/api/v1/advice"]["post"]["responses"]


def test_advice_carries_the_ruleset_header(app):
    client = app.test_client()
    questionnaire = client.get("/api/v1/questionnaire?lang=en").json
    answers = {}
    for step in questionnaire["steps"]:
        for question in step["questions"]:
            if question["required"]:
                answers[question["id"]] = _first_valid(question)
    response = client.post("/api/v1/advice", json={"answers": answers, "lang": "en"})
    assert response.status_code == 200, response.json
    assert response.headers["Advisor-Ruleset"] == response.json["ruleset"]["fingerprint"]
    assert response.headers["Advisor-Ruleset"] == questionnaire["ruleset"]["fingerprint"]


def _first_valid(question: dict):
    if question["kind"] == "choice":
        return question["options"][0]["id"]
    if question["kind"] == "multi":
        return [question["options"][0]["id"]]
    return question["min"] if question["min"] is not None else 1


# --- Contract: schemathesis against the WSGI app -----------------------------------------------


# schemathesis' fixture-based loader (schemathesis.pytest.from_fixture) fails on pytest 9
# (`Function` has no `_nodeid`), so the fuzzed app is built once for this module, as in
# schemathesis' own examples, in a temporary instance folder removed at exit.
_contract_instance = tempfile.TemporaryDirectory(prefix="advisor-contract-")
# The admin export is on (with its token) so that it is fuzzed too; rate limits are off.
_CONTRACT_ADMIN_TOKEN = "contract-admin-token-0123456789abcdef"
_contract_app = create_app({**BASE_CONFIG, "INSTANCE_DIR": _contract_instance.name,
                            "ADMIN_TOKEN": _CONTRACT_ADMIN_TOKEN})
contract = schemathesis.openapi.from_wsgi(SPEC_URL, _contract_app)


@contract.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_spec(case):
    """No generated request gets a 5xx, and every response conforms to the spec; schemathesis
    also checks that the admin routes refuse requests without the token."""
    headers = {"Authorization": f"Bearer {_CONTRACT_ADMIN_TOKEN}"} if "/admin/" in case.path else None
    case.call_and_validate(headers=headers)


def test_the_contract_covers_every_api_operation(app):
    """Assessments and the admin export included: nothing in the spec escapes the fuzzer."""
    fuzzed = {(op.path, op.method.upper()) for op in (r.ok() for r in contract.get_all_operations())}
    served = {(path, method.upper()) for path, ops in app.test_client().get(SPEC_URL).json["paths"].items()
              for method in set(ops) & METHODS}
    assert {"/assessments", "/assessments/{assessment_id}/replay", "/advice/batch",
            "/admin/assessments.csv", "/admin/assessments.json"} <= {p for p, _ in fuzzed}
    assert served <= fuzzed


# --- The docs page -----------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[name] for name in ("src", "href") if attrs.get(name)]
        self.inline_styles += "style" in attrs or tag == "style"
        self.inline_scripts += any(name.startswith("on") for name in attrs)
        self._in_script_without_src = tag == "script" and not attrs.get("src")

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._in_script_without_src = False


EXTERNAL = re.compile(r"https?://", re.I)


def test_docs_page_works_offline_without_inline_script(app):
    client = app.test_client()
    page = client.get(DOCS_URL)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    links = _Links()
    links.feed(html)
    assert links.inline_scripts == 0 and links.inline_styles == 0
    assert not EXTERNAL.search(html)
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    loaded = {}
    for url in links.urls:
        assert url.startswith("/api/v1/docs/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        loaded[url.rsplit("/", 1)[-1]] = response
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-init.js"} <= set(loaded)
    init = loaded["swagger-init.js"].get_data(as_text=True)
    assert not EXTERNAL.search(init) and "validatorUrl: null" in init
    css = loaded["swagger-ui.css"].get_data(as_text=True)
    assert "@import" not in css
    assert all(ref.strip("'\" ").startswith("data:") for ref in re.findall(r"url\(([^)]*)\)", css))


def test_docs_page_passes_swagger_ui_config_without_inline_script(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), OPENAPI_SWAGGER_UI_CONFIG={"docExpansion": "none"})
    html = app.test_client().get(DOCS_URL).get_data(as_text=True)
    assert 'data-config="{&#34;docExpansion&#34;: &#34;none&#34;}"' in html


def test_missing_docs_asset_is_a_problem_404(app):
    response = app.test_client().get("/api/v1/docs/assets/nothing.js")
    assert response.status_code == 404 and response.mimetype == PROBLEM


# --- CORS --------------------------------------------------------------------------------------

ORIGIN = "https://portal.example.org"


def test_cors_is_off_by_default(app):
    client = app.test_client()
    response = client.get("/api/v1/health", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/v1/advice", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_configured_origins_on_the_api_only(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), CORS_ORIGINS=[ORIGIN])
    client = app.test_client()
    response = client.post("/api/v1/advice", json={"answers": {"scope": "ongoing_task"}},
                           headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Advisor-Ruleset" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/advice", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    error = client.get("/api/v1/forms?lang=xx", headers={"Origin": ORIGIN})
    assert error.status_code == 422 and error.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = client.get("/api/v1/health", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    outside_api = client.get("/static/nothing", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in outside_api.headers


def test_cors_origins_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_RULES_DIR", str(MINI_PACKS))
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("ADVISOR_PLUGINS_ENTRY_POINTS", "false")
    monkeypatch.setenv("ADVISOR_CORS_ORIGINS", f"{ORIGIN}, https://b.example")
    app = create_app()
    assert app.config["CORS_ORIGINS"] == [ORIGIN, "https://b.example"]
    response = app.test_client().get("/api/v1/health", headers={"Origin": "https://b.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://b.example"


def test_boolean_flags_take_json_booleans_only(client):
    """Found by the contract test: marshmallow's Boolean took 0 and "yes" where the spec says boolean."""
    questionnaire = client.get("/api/v1/questionnaire").json
    answers = {q["id"]: _first_valid(q) for step in questionnaire["steps"]
               for q in step["questions"] if q["required"]}
    for flag in (0, 1, "true", "yes", None):
        response = client.post("/api/v1/advice", json={"answers": answers, "alternatives": flag})
        assert response.status_code == 422 and "alternatives" in response.json["errors"], flag
    assert client.post("/api/v1/advice", json={"answers": answers, "alternatives": True}).status_code == 200


def test_the_rate_limit_answers_as_documented(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute")
    client = app.test_client()
    spec = full_paths(client.get(SPEC_URL).json)
    documented = spec["paths"]["/api/v1/advice"]["post"]["responses"]["429"]
    client.post("/api/v1/advice", json={"answers": {}})
    response = client.post("/api/v1/advice", json={"answers": {}})
    assert response.status_code == 429 and list(documented["content"]) == [response.mimetype]
    assert int(response.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/questionnaire").status_code == 200  # reads are not limited
