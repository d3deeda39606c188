"""The request id and the request log line, in the app: one line per request with the route
template, status, duration and rule set, as JSON through the formatter gunicorn is given."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from advisor.ops.logconfig import LOGCONFIG
from tests.conftest import MINI_PACKS

ANSWERS = {"answers": {"scope": "ongoing_task", "partners": 3}}


@pytest.fixture
def mini_client(make_app):
    return make_app(RULES_DIR=str(MINI_PACKS)).test_client()


def request_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "advisor.request"]


def test_every_response_has_a_request_id_and_a_sane_one_sent_is_kept(mini_client):
    made = {mini_client.get("/api/v1/health").headers["X-Request-ID"] for _ in range(3)}
    assert len(made) == 3 and all(len(rid) == 32 for rid in made)
    sent = "nginx-3f2a9c0d1e4b5a6f"
    assert mini_client.get("/api/v1/health", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent
    for insane in ("short", "x" * 300, "has spaces in it", "quote\"and;semicolon-1234"):
        answered = mini_client.get("/api/v1/health", headers={"X-Request-ID": insane}).headers["X-Request-ID"]
        assert answered != insane and len(answered) == 32
    # Errors too, and routes that do not exist.
    assert mini_client.post("/api/v1/advice", data="{").headers["X-Request-ID"]
    assert mini_client.get("/nothing/here").headers["X-Request-ID"]


def test_one_line_per_request_with_route_template_status_duration_and_ruleset(mini_client, caplog):
    caplog.set_level(logging.INFO, logger="advisor.request")
    ruleset = mini_client.get("/api/v1/health").json["ruleset"]
    caplog.clear()
    created = mini_client.post("/api/v1/assessments", json={"label": "Team Noord", **ANSWERS},
                               headers={"X-Request-ID": "proxy-id-0000001"})
    assessment_id = created.json["id"]
    mini_client.get(f"/api/v1/assessments/{assessment_id}?lang=en")
    mini_client.post("/api/v1/advice", json={"answers": {"scope": "nope"}})
    records = request_records(caplog)
    assert [(r.method, r.route, r.status) for r in records] == [
        ("POST", "/api/v1/assessments", 201),
        ("GET", "/api/v1/assessments/<assessment_id>", 200),
        ("POST", "/api/v1/advice", 422),
    ]
    assert records[0].request_id == "proxy-id-0000001"
    assert all(r.ruleset == ruleset and r.duration_ms >= 0 for r in records)
    assert all(assessment_id not in r.getMessage() and assessment_id not in str(vars(r)) for r in records)


def test_server_errors_are_logged_as_errors(make_app, caplog):
    app = make_app(RULES_DIR=str(MINI_PACKS))

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    caplog.set_level(logging.INFO, logger="advisor.request")
    assert app.test_client().get("/boom").status_code == 500
    [record] = request_records(caplog)
    assert (record.route, record.status, record.levelno) == ("/boom", 500, logging.ERROR)


def test_the_gunicorn_log_config_writes_request_lines_as_json(mini_client):
    stream = io.StringIO()
    config = {**LOGCONFIG, "handlers": {"stderr": {**LOGCONFIG["handlers"]["stderr"], "stream": stream}},
              "loggers": {}, "root": {"level": "INFO", "handlers": ["stderr"]}}
    before = logging.getLogger().handlers[:], logging.getLogger().level
    logging.config.dictConfig(config)
    try:
        mini_client.post("/api/v1/advice", json=ANSWERS, headers={"X-Request-ID": "abc-123-def-456"})
        logging.getLogger("advisor.storage").warning("inside no request")
    finally:
        root = logging.getLogger()
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in before[0]:
            root.addHandler(handler)
        root.setLevel(before[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_line = next(line for line in lines if line["logger"] == "advisor.request")
    assert request_line["message"] == "request" and request_line["level"] == "INFO"
    assert {"time", "pid", "request_id", "method", "route", "status", "duration_ms", "ruleset"} <= set(request_line)
    assert (request_line["request_id"], request_line["route"], request_line["status"]) == (
        "abc-123-def-456", "/api/v1/advice", 200)
    other = next(line for line in lines if line["logger"] == "advisor.storage")
    assert "request_id" not in other
