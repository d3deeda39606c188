"""The admin export: off without ADMIN_TOKEN, 401 without the right bearer token, every assessment
in CSV and JSON with it, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hmac
import io
import json

import pytest
from openapi_spec_validator import validate

from advisor.api import admin as admin_api
from advisor.storage import service
from tests.conftest import MINI_PACKS
from tests.storage_fixtures import closed_port

TOKEN = "export-token-for-the-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CSV_URL = "/api/v1/admin/assessments.csv"
JSON_URL = "/api/v1/admin/assessments.json"
COMPLETE = {"scope": "ongoing_task", "partners": 30}
DRAFT = {"partners": 30}


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    return response.json


@pytest.fixture
def admin(make_store_app):
    return make_store_app(ADMIN_TOKEN=TOKEN).test_client()


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
def test_without_admin_token_configured_the_export_is_off(make_store_app, url):
    client = make_store_app().test_client()
    problem(client.get(url), 404)
    problem(client.get(url, headers=AUTH), 404)


@pytest.mark.parametrize("url", [CSV_URL, JSON_URL])
@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
    "Bearer wrong", f"Bearer {TOKEN.upper()}", "Bearer \u00e9\u00e9\u00e9",
])
def test_missing_or_wrong_token_is_a_401_problem(make_app, url, authorization):
    admin = make_app(RULES_DIR=str(MINI_PACKS), ADMIN_TOKEN=TOKEN).test_client()
    headers = {} if authorization is None else {"Authorization": authorization}
    response = admin.get(url, headers=headers)
    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["detail"]
    assert TOKEN not in response.get_data(as_text=True)


def test_wrong_tokens_are_rate_limited_per_client_and_never_lock_out_the_right_token(make_app):
    """Anyone behind the admin's NAT can spend the failure budget: guesses are then refused,
    the right token still works."""
    client = make_app(RULES_DIR=str(MINI_PACKS), ADMIN_TOKEN=TOKEN, RATELIMIT_ENABLED=True,
                      RATELIMIT_ADMIN_FAILURES="3 per minute").test_client()
    assert all(client.get(JSON_URL, headers=AUTH).status_code == 200 for _ in range(5))  # right tokens are free
    wrong = {"Authorization": "Bearer guess"}
    assert [client.get(JSON_URL, headers=wrong).status_code for _ in range(4)] == [401, 401, 401, 429]
    refused = client.get(CSV_URL, headers=wrong)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.mimetype == "application/problem+json"
    assert client.get(CSV_URL).status_code == 429  # no token at all counts as a guess too
    assert client.get(CSV_URL, headers=AUTH).status_code == 200
    assert client.get(JSON_URL, headers=AUTH).status_code == 200
    assert client.get(JSON_URL, headers=wrong).status_code == 429


def test_token_is_compared_in_constant_time(admin, monkeypatch):
    calls = []
    original = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or original(a, b))
    assert admin.get(JSON_URL, headers=AUTH).status_code == 200
    assert admin.get(JSON_URL, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert len(calls) == 2 and calls[0] == (TOKEN.encode(), TOKEN.encode())  # once per request


def test_json_export_has_every_assessment(admin):
    complete = admin.post("/api/v1/assessments", json={"answers": COMPLETE, "label": "Wijk Noord", "lang": "en"}).json
    draft = admin.post("/api/v1/assessments", json={"answers": DRAFT}).json
    response = admin.get(JSON_URL, headers=AUTH)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="assessments-')
    rows = {row["id"]: row for row in json.loads(response.get_data(as_text=True))}
    assert set(rows) == {complete["id"], draft["id"]}
    assert rows[complete["id"]] == {
        "id": complete["id"], "label": "Wijk Noord", "status": "complete", "lang": "en",
        "created_at": rows[complete["id"]]["created_at"], "updated_at": rows[complete["id"]]["updated_at"],
        "recommended": "program", "ruleset_fingerprint": complete["ruleset"]["fingerprint"], "answers": COMPLETE,
    }
    assert rows[draft["id"]]["recommended"] is None and rows[draft["id"]]["status"] == "draft"
    assert rows[draft["id"]]["answers"] == DRAFT and rows[draft["id"]]["label"] is None


def test_csv_export_guards_every_cell_against_formulas():
    """Every column goes through the guard (ids can start with '-'); what spreadsheets trim or
    read as operators before a formula counts as a start."""
    row = {column: "plain" for column in admin_api.COLUMNS}
    row.update(id="-2+3", status="@SUM(A1)", lang="\ufeff=1", answers={"q": "=1"})
    _, cells = csv.reader(io.StringIO("".join(admin_api.csv_lines([row]))))
    assert cells[0] == "'-2+3" and cells[2] == "'@SUM(A1)" and cells[3] == "'\ufeff=1"
    assert cells[1] == "plain" and cells[-1] == '{"q": "=1"}'
    for start in ["=", "+", "-", "@", "\t", "\r", "\n", " ", "\u00a0", "\u3000", "\uff1d", "\uff0b",
                  "\uff0d", "\uff20", "\ufeff", "\u200b", "\u200c", "\u200d", "\u2060"]:
        assert admin_api.guard_cell(start + "HYPERLINK(1)") == "'" + start + "HYPERLINK(1)", repr(start)
    for safe in ["Wijk Noord", "12", "2026-12-01T10:00:00+00:00", "", "'quoted", "ü=1"]:
        assert admin_api.guard_cell(safe) == safe


def test_csv_export_has_every_assessment_and_defuses_formulas(admin):
    labels = ["Wijk Noord", "=HYPERLINK(\"http://evil\")", "+1", "-2", "@SUM(A1)", "a,b \"quoted\"; ü", None,
              " =1", "\u00a0=1", "\uff1dSUM(1)", "\ufeff=1", "\u200b=1", "\uff0d1"]
    ids = [admin.post("/api/v1/assessments", json={"answers": COMPLETE, "label": label}).json["id"] for label in labels]
    response = admin.get(CSV_URL, headers=AUTH)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["id", "label", "status", "lang", "created_at", "updated_at", "recommended",
                             "ruleset_fingerprint", "answers"]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {admin_api.guard_cell(i) for i in ids}  # an id may start with '-': guarded too
    exported = [by_id[admin_api.guard_cell(i)]["label"] for i in ids]
    assert exported == ["Wijk Noord", "'=HYPERLINK(\"http://evil\")", "'+1", "'-2", "'@SUM(A1)",
                        "a,b \"quoted\"; ü", "", *("'" + str(label) for label in labels[7:])]
    assert all(json.loads(row["answers"]) == COMPLETE and row["recommended"] == "program" for row in rows)


def test_empty_database_exports_headers_only(admin):
    assert admin.get(JSON_URL, headers=AUTH).json == []
    assert admin.get(CSV_URL, headers=AUTH).get_data(as_text=True).strip().startswith("id,label,")


def test_export_reads_in_batches_past_equal_timestamps(admin, monkeypatch):
    """Keyset paging over (created_at, id): nothing skipped or repeated across batch borders."""
    monkeypatch.setattr(service, "EXPORT_BATCH", 3)
    ids = {admin.post("/api/v1/assessments", json={"answers": DRAFT}).json["id"] for _ in range(10)}
    exported = [row["id"] for row in admin.get(JSON_URL, headers=AUTH).json]
    assert len(exported) == 10 and set(exported) == ids


def test_export_when_the_database_is_down_is_503(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), ADMIN_TOKEN=TOKEN,
                   DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/postgres")
    client = app.test_client()
    problem(client.get(JSON_URL, headers=AUTH), 503)
    problem(client.get(CSV_URL, headers=AUTH), 503)
    problem(client.get(CSV_URL), 401)  # the token is checked before the database is asked


@pytest.mark.parametrize("token, reason", [
    ("short", "must be at least 24 characters long \\(it has 5\\)"),
    ("x" * 23, "must be at least 24 characters long"),
    ("é" * 30, "must be printable ASCII"),
    (12345, "must be text, not int"),
    ("x" * 40, "is guessable: it repeats 1 different character"),
    ("ab" * 20, "is guessable: it repeats 2 different character"),
    (" " * 30, "must not contain whitespace"),
    (TOKEN + "\n", "must not contain whitespace"),
    ("export token for the tests 0123456789", "must not contain whitespace"),
    ("\t" + TOKEN, "must not contain whitespace"),
])
def test_a_guessable_admin_token_is_refused_at_start_saying_why(make_app, token, reason):
    with pytest.raises(ValueError, match=f"ADMIN_TOKEN {reason}.*secrets.token_urlsafe"):
        make_app(RULES_DIR=str(MINI_PACKS), ADMIN_TOKEN=token)


def test_spec_documents_the_export_and_its_security(make_store_app):
    spec = make_store_app(ADMIN_TOKEN=TOKEN).test_client().get("/api/v1/openapi.json").json
    validate(spec)
    assert spec["servers"][0]["url"] == "/api/v1"
    spec["paths"] = {"/api/v1" + path: item for path, item in spec["paths"].items()}
    assert spec["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    for url in (CSV_URL, JSON_URL):
        operation = spec["paths"][url]["get"]
        assert operation["security"] == [{"adminToken": []}]
        assert {"200", "401", "404", "429", "503"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert "text/csv" in spec["paths"][CSV_URL]["get"]["responses"]["200"]["content"]
    rows = spec["paths"][JSON_URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert rows["type"] == "array"
