"""Security headers on pages and API (errors included), session cookies, and proxy headers.

- Every response carries a Content-Security-Policy that forbids framing and inline scripts,
  ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` (a resume link holds
  a secret in its path, so no Referer may carry it away).
- The session cookie is HttpOnly and SameSite=Lax, and Secure when ``SESSION_COOKIE_SECURE``.
- ``X-Forwarded-*`` headers count only with ``PROXY_COUNT``: then the assessment's private URL is
  https as the client sees it.
"""

from __future__ import annotations

import pytest
from werkzeug.http import parse_dict_header

from tests.conftest import MINI_PACKS

ADMIN_TOKEN = "headers-test-admin-token-0123456789"
PAGES = ["/", "/steps/1", "/nothing-here", "/a/doesnotexistdoesnotexist1234"]
API = [
    ("GET", "/api/v1/health", None),
    ("GET", "/api/v1/questionnaire", None),
    ("GET", "/api/v1/openapi.json", None),
    ("GET", "/api/v1/docs", None),
    ("GET", "/api/v1/nothing-here", None),                       # 404 problem
    ("PUT", "/api/v1/advice", {}),                              # 405 problem
    ("POST", "/api/v1/advice", {"answers": {"scope": "x"}}),    # 422 problem
    ("POST", "/api/v1/advice", {"answers": {"scope": "ongoing_task", "partners": 3}}),
    ("POST", "/api/v1/assessments", {"answers": {"partners": 3}}),
    ("GET", "/api/v1/assessments/doesnotexistdoesnotexist1234", None),
    ("GET", "/api/v1/admin/assessments.csv", None),             # 401 problem
]


def csp_directives(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request.path}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def assert_hardened(response) -> None:
    path = response.request.path
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == "'none'", path
    assert csp["script-src"] == "'self'", path           # no inline script, no CDN
    assert csp["object-src"] == "'none'", path
    assert csp["default-src"] == "'self'", path
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["Referrer-Policy"] == "same-origin", path


@pytest.fixture
def client(make_app):
    return make_app(RULES_DIR=str(MINI_PACKS), ADMIN_TOKEN=ADMIN_TOKEN).test_client()


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_the_security_headers(client, path):
    assert_hardened(client.get(path))


@pytest.mark.parametrize("method, path, body", API)
def test_api_sends_the_security_headers_on_answers_and_errors(client, method, path, body):
    response = client.open(path, method=method, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert_hardened(response)


def test_rate_limited_and_oversized_answers_are_hardened_too(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS), RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute",
                      MAX_CONTENT_LENGTH=100).test_client()
    answers = {"answers": {"scope": "ongoing_task", "partners": 3}}
    assert client.post("/api/v1/advice", json=answers).status_code == 200
    limited = client.post("/api/v1/advice", json=answers)
    assert limited.status_code == 429
    assert_hardened(limited)
    big = client.post("/api/v1/assessments", data="x" * 200, content_type="application/json")
    assert big.status_code == 413
    assert_hardened(big)


# --- Session cookies -------------------------------------------------------------------------


def session_cookie(response) -> dict[str, str | None]:
    """The attributes of the session cookie a response sets (name lower-cased)."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return {key.lower(): value for key, value in parse_dict_header(header.replace(";", ",")).items()}
    raise AssertionError(f"no session cookie in {response.headers.getlist('Set-Cookie')}")


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = session_cookie(client.get("/steps/1"))  # the form's CSRF token lives in the session
    assert "httponly" in cookie and cookie["samesite"] == "Lax"
    assert "secure" not in cookie  # plain http (development); see the next test for production


def test_session_cookie_is_secure_when_configured(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS), SESSION_COOKIE_SECURE=True).test_client()
    cookie = session_cookie(client.get("/steps/1", base_url="https://localhost"))
    assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "Lax"


def test_session_cookie_secure_from_the_environment(monkeypatch, tmp_path):
    from advisor import create_app

    for key, value in {"RULES_DIR": str(MINI_PACKS), "INSTANCE_DIR": str(tmp_path), "PLUGINS_ENTRY_POINTS": "false",
                       "SESSION_COOKIE_SECURE": "true", "PROXY_COUNT": "1", "SECRET_KEY": "x" * 32}.items():
        monkeypatch.setenv(f"ADVISOR_{key}", value)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["PROXY_COUNT"] == 1


# --- Behind a reverse proxy ---------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wijzer.example.nl", "X-Forwarded-For": "203.0.113.9"}


def test_behind_one_proxy_the_private_url_is_https(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS), PROXY_COUNT=1).test_client()
    response = client.post("/api/v1/assessments", json={"answers": {"partners": 3}}, headers=FORWARDED)
    assert response.status_code == 201
    url = response.json["url"]
    assert url == f"https://wijzer.example.nl/api/v1/assessments/{response.json['id']}"
    assert response.headers["Location"] == url
    assert client.get(url, headers=FORWARDED).status_code == 200


def test_without_proxy_count_forwarded_headers_are_ignored(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS)).test_client()
    response = client.post("/api/v1/assessments", json={"answers": {"partners": 3}}, headers=FORWARDED)
    assert response.json["url"].startswith("http://localhost/api/v1/assessments/")


@pytest.mark.parametrize("path", ["/api/v1/_fails", "/_fails"])
def test_an_unexpected_error_is_hardened_too(make_app, path):
    app = make_app(RULES_DIR=str(MINI_PACKS))

    def fails():
        raise RuntimeError("a bug")

    app.add_url_rule(path, "fails", fails)
    response = app.test_client().get(path)
    assert response.status_code == 500 and "a bug" not in response.get_data(as_text=True)
    assert_hardened(response)
