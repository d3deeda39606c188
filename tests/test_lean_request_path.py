"""The lean request path (issue 19, decision 4): an advice request does no session, CSRF,
locale or database work, counts its rate limit with one increment per window, loads its body
without webargs' layers, and still gets every header and problem detail it got before."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields
from sqlalchemy import event

from advisor.api.adr import API_SEMVER
from advisor.api.blueprint import Blueprint
from advisor.security import API_POLICY
from tests.conftest import MINI_PACKS

ANSWERS = {"answers": {"scope": "ongoing_task", "partners": 3}, "lang": "en"}
ORIGIN = "https://portal.gemeente.example"


def limited_app(make_app, **config):
    return make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, **config)


def assert_every_api_header(response, app) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == API_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["API-Version"] == API_SEMVER
    assert headers["Advisor-Ruleset"] == app.extensions["advisor"].engine.ruleset.fingerprint
    assert headers["Content-Language"] == "en"
    assert "Accept-Language" in response.vary
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", headers["X-Request-ID"])
    assert headers["RateLimit-Policy"].startswith('"advice-60s";q=')
    assert re.match(r'"advice-60s";r=\d+;t=\d+', headers["RateLimit"])
    for header in ("API-Version", "Content-Security-Policy", "RateLimit", "Content-Language"):
        assert len(headers.getlist(header)) == 1, header


def test_an_advice_sets_no_session_cookie_and_keeps_every_header(make_app):
    app = limited_app(make_app)
    response = app.test_client().post("/api/v1/advice", json=ANSWERS)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary   # the session was never read
    assert_every_api_header(response, app)


def test_a_refused_advice_keeps_every_header_and_its_problem_details(make_app):
    app = limited_app(make_app)
    response = app.test_client().post("/api/v1/advice", json={"answers": {"scope": 3}, "lang": "en"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["status"] == 422 and response.json["errors"]
    assert "Set-Cookie" not in response.headers
    assert_every_api_header(response, app)


def test_an_advice_with_a_session_cookie_sent_still_sets_none(make_app):
    """A browser that holds a page session sends its cookie to the API too: the API neither
    rewrites it nor varies on it."""
    app = limited_app(make_app)
    client = app.test_client()
    client.set_cookie("session", "something-a-page-left")
    response = client.post("/api/v1/advice", json=ANSWERS)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert_every_api_header(response, app)


def test_cors_headers_stay_with_the_lean_path(make_app):
    app = limited_app(make_app, CORS_ORIGINS=[ORIGIN])
    response = app.test_client().post("/api/v1/advice", json=ANSWERS, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert {"Origin", "Accept-Language"} <= set(response.vary)
    assert_every_api_header(response, app)


def test_an_advice_does_no_database_work_and_asks_no_page_locale(make_app):
    app = limited_app(make_app)
    statements = []
    event.listen(app.extensions["advisor_db"].engine, "before_cursor_execute",
                 lambda *args, **kwargs: statements.append(args[2]))
    babel = app.extensions["babel"]
    asked = []
    selector = babel.locale_selector
    babel.locale_selector = lambda: asked.append(1) or selector()
    client = app.test_client()
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert client.post("/api/v1/advice", json={"answers": {"scope": 3}}).status_code == 422
    assert statements == [] and asked == []
    assert client.get("/").status_code == 200 and asked   # the pages do ask (the contrast)


def test_the_limit_classes_count_once_per_window_in_the_storage(make_app):
    app = limited_app(make_app, RATELIMIT_ADVICE="5 per minute;50 per hour")
    limiter = next(iter(app.extensions["limiter"]))
    increments = []
    storage = limiter.storage
    original = storage.incr
    storage.incr = lambda key, expiry, amount=1: increments.append(key) or original(key, expiry, amount)
    client = app.test_client()
    client.post("/api/v1/advice", json=ANSWERS)
    client.get("/api/v1/forms")   # reads are not counted
    client.post("/api/v1/nowhere", json=ANSWERS)  # nor is what no route answers
    # The keys Flask-Limiter used: a Redis shared with workers of the previous release agrees.
    assert increments == ["LIMITER/127.0.0.1/advice/5/1/minute", "LIMITER/127.0.0.1/advice/50/1/hour"]


# --- The advice body, loaded directly, answers as webargs did -----------------------------------


class Body(Schema):
    answers = fields.Dict(required=True, metadata={"description": "answers"})
    lang = fields.String(metadata={"description": "language"})


def two_routes() -> Flask:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/")
    api = Api(app)
    blp = Blueprint("b", __name__, url_prefix="/b")
    schema = Body()

    @blp.route("/webargs", methods=["POST"])
    @blp.arguments(schema)
    def through_webargs(body):
        return {"got": body}

    @blp.route("/direct", methods=["POST"])
    @blp.json_body(schema)
    def direct(body):
        return {"got": body}

    api.register_blueprint(blp)
    return app


@pytest.mark.parametrize("body, content_type", [
    (b'{"answers": {"a": 1}, "lang": "en"}', "application/json"),
    (b'{"answers": {"a": 1}, "answers": {}}', "application/json"),
    (b'{"answers": NaN}', "application/json"),
    (b'{"answers" {}}', "application/json"),
    (b'\xff\xfe', "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"answers": 3, "extra": 1}', "application/json"),
    (b"{}", "application/json"),
    (b"", "application/json"),
    (b'{"answers": {}}', "text/plain"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
])
def test_the_direct_body_load_answers_exactly_as_webargs(body, content_type):
    client = two_routes().test_client()
    webargs = client.post("/b/webargs", data=body, content_type=content_type)
    direct = client.post("/b/direct", data=body, content_type=content_type)
    assert (direct.status_code, direct.get_json()) == (webargs.status_code, webargs.get_json())


def test_the_direct_body_load_is_documented_exactly_as_arguments():
    spec = two_routes().test_client().get("/openapi.json").get_json()
    webargs, direct = spec["paths"]["/b/webargs"]["post"], spec["paths"]["/b/direct"]["post"]
    webargs.pop("operationId", None), direct.pop("operationId", None)
    assert direct == webargs


# --- The advice request's short load path gives the schema's result, or defers to it ----------

LOAD_CASES = [
    {"answers": {"scope": "ongoing_task", "partners": 3}},
    {"answers": {"scope": "ongoing_task"}, "lang": "EN"},
    {"answers": {"scope": "ongoing_task"}, "lang": "En", "alternatives": True, "ruleset": "abc"},
    {"answers": {}, "lang": "nl", "alternatives": False},
    {"answers": {"x" * 200: ["a", "b"]}},
    {"answers": {"x" * 201: 1}},
    {"answers": {"": 1}},
    {"answers": {f"q{i}": i for i in range(500)}},
    {"answers": {f"q{i}": i for i in range(501)}},
    {"answers": {"scope": None}},
    {"answers": None},
    {"answers": []},
    {"answers": "scope"},
    {"lang": "en"},
    {},
    {"answers": {"a": 1}, "lang": "de"},
    {"answers": {"a": 1}, "lang": "ＥＮ"},
    {"answers": {"a": 1}, "lang": None},
    {"answers": {"a": 1}, "lang": 3},
    {"answers": {"a": 1}, "alternatives": 1},
    {"answers": {"a": 1}, "alternatives": "yes"},
    {"answers": {"a": 1}, "alternatives": None},
    {"answers": {"a": 1}, "ruleset": 7},
    {"answers": {"a": 1}, "ruleset": None},
    {"answers": {"a": 1}, "extra": True},
    [{"answers": {}}],
    "answers",
    None,
]


@pytest.mark.parametrize("data", LOAD_CASES)
def test_the_short_load_of_an_advice_request_equals_the_schemas(data):
    from marshmallow import ValidationError

    from advisor.api.views import ADVICE_REQUEST, ADVICE_REQUEST_LOAD

    def outcome(load):
        try:
            return "ok", load(data)
        except ValidationError as error:
            return "error", error.messages

    assert ADVICE_REQUEST_LOAD is not ADVICE_REQUEST.load   # the short path is in use
    assert outcome(ADVICE_REQUEST_LOAD) == outcome(ADVICE_REQUEST.load)


ITEM_CASES = [
    {"ref": "dossier-1", "answers": {"scope": "ongoing_task", "partners": 3}},
    {"ref": "d", "answers": {}, "lang": "EN"},
    {"ref": "x" * 200, "answers": {"a": ["b"]}, "lang": "nl"},
    {"ref": "x" * 201, "answers": {}},
    {"ref": "", "answers": {}},
    {"ref": None, "answers": {}},
    {"ref": 7, "answers": {}},
    {"answers": {}},
    {"ref": "d"},
    {"ref": "d", "answers": {"a": None}},
    {"ref": "d", "answers": {"": 1}},
    {"ref": "d", "answers": {f"q{i}": i for i in range(501)}},
    {"ref": "d", "answers": {}, "lang": "fr"},
    {"ref": "d", "answers": {}, "lang": None},
    {"ref": "d", "answers": {}, "alternatives": True},
    ["ref"],
    None,
]


@pytest.mark.parametrize("data", ITEM_CASES)
def test_the_short_load_of_a_batch_item_equals_the_schemas(data):
    from marshmallow import ValidationError

    from advisor.api.batch import ITEM, ITEM_LOAD

    def outcome(load):
        try:
            return "ok", load(data)
        except ValidationError as error:
            return "error", error.messages

    assert ITEM_LOAD is not ITEM.load
    assert outcome(ITEM_LOAD) == outcome(ITEM.load)


@pytest.mark.parametrize("status, headers", [
    (200, {"Content-Length": "2", "X-A": "1"}),
    (200, {"X-A": "1"}),  # no Content-Length: Werkzeug counts the body
    (201, {"Content-Length": "2", "Location": "/api/v1/assessments/x"}),  # made absolute
    (200, {"Content-Length": "2", "Content-Location": "/ü"}),
    (204, {"Content-Length": "2"}),  # no Content-Length on a 204
    (304, {"Content-Length": "2", "Content-Type": "application/json", "ETag": '"a"'}),
])
def test_the_sent_headers_are_werkzeugs_copy(make_app, status, headers):
    """The app's response class copies the headers without Werkzeug's checks only where its
    copy would be Werkzeug's: every other response gets Werkzeug's own fixes."""
    from flask import Response

    app = make_app(RULES_DIR=str(MINI_PACKS))
    environ = {"wsgi.url_scheme": "http", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
               "PATH_INFO": "/api/v1/assessments", "QUERY_STRING": "", "HTTP_HOST": "localhost"}
    ours = app.response_class(b"{}", status, headers)
    werkzeugs = Response(b"{}", status, headers)
    assert list(ours.get_wsgi_headers(environ)) == list(werkzeugs.get_wsgi_headers(environ))
    assert list(ours.headers) == list(werkzeugs.headers)  # the response's own are left alone


def test_page_headers_come_from_the_one_pass_too(make_app):
    """Pages keep their security headers and Cache-Control; embedded pages over HTTPS keep
    their cross-site cookies, from the same pass as the API's headers."""
    app = make_app(RULES_DIR=str(MINI_PACKS))
    page = app.test_client().get("/")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "API-Version" not in page.headers
    embedded = app.test_client().get("/embed/?lang=en", base_url="https://localhost")
    assert "X-Frame-Options" not in embedded.headers
    assert embedded.headers["Cache-Control"] == "no-store"
    for cookie in embedded.headers.getlist("Set-Cookie"):
        assert "SameSite=None" in cookie and "Secure" in cookie
