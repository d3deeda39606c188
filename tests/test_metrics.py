"""``/metrics``: off by default, behind METRICS_TOKEN when set, and counting what an operator graphs
(requests by route template and status, advices by form, risks by id, plugin failures and
overruns by plugin, rate-limit refusals, database errors). Counters live in the process, so
every test compares before and after."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from advisor import hookimpl
from advisor.model import Contribution
from tests.conftest import MINI_PACKS
from tests.storage_fixtures import closed_port

ANSWERS = {"answers": {"scope": "ongoing_task", "partners": 30}}
"""On the mini pack: program, and the bureaucracy risk (20 partners or more, program)."""
TOKEN = "metrics-token-for-the-tests-0123456789"


def samples(client, headers=None) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metrics_app(make_app):
    return make_app(RULES_DIR=str(MINI_PACKS), METRICS_ENABLED=True)


def test_metrics_are_off_by_default(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS)).test_client()
    assert client.get("/metrics").status_code == 404


def test_a_metrics_token_is_required_when_set(make_app):
    client = make_app(RULES_DIR=str(MINI_PACKS), METRICS_TOKEN=TOKEN).test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and "advisor_http_requests_total" in allowed.text
    assert allowed.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("weak", ["short-token", "x" * 40, "a b c d e f g h i j k l m n o p", "ä" * 30])
def test_a_weak_metrics_token_stops_the_start(make_app, weak):
    with pytest.raises(ValueError, match="METRICS_TOKEN must be at least 24"):
        make_app(RULES_DIR=str(MINI_PACKS), METRICS_TOKEN=weak)


def test_requests_advices_and_risks_are_counted(metrics_app):
    client = metrics_app.test_client()
    before = samples(client)
    for _ in range(3):
        assert client.post("/api/v1/advice", json=ANSWERS).status_code == 200
    assert client.post("/api/v1/advice", json={"answers": {"scope": "nope"}}).status_code == 422
    after = samples(client)
    route = "/api/v1/advice"

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("advisor_http_requests_total", route=route, method="POST", status="200") == 3
    assert delta("advisor_http_requests_total", route=route, method="POST", status="422") == 1
    assert delta("advisor_http_request_duration_seconds_count", route=route, method="POST", status="200") == 3
    assert delta("advisor_http_request_duration_seconds_bucket", route=route, method="POST", status="200",
                 le="+Inf") == 3
    assert delta("advisor_advices_total", form="program") == 3
    assert delta("advisor_risks_total", risk="bureaucracy") == 3
    # The scrape itself is not traffic.
    assert delta("advisor_http_requests_total", route="/metrics", method="GET", status="200") == 0


def test_routes_are_counted_by_template_never_by_private_path(metrics_app):
    client = metrics_app.test_client()
    created = client.post("/api/v1/assessments", json={"label": "Wijkteam", "answers": {"scope": "ongoing_task"}})
    assert created.status_code == 201
    assessment_id = created.json["id"]
    assert client.get(f"/api/v1/assessments/{assessment_id}").status_code == 200
    assert client.get("/no/such/page/secret-looking-path").status_code == 404
    text = client.get("/metrics").text
    assert 'route="/api/v1/assessments/<assessment_id>"' in text
    assert 'route="<unmatched>"' in text
    assert assessment_id not in text and "secret-looking-path" not in text and "Wijkteam" not in text


def test_labels_stay_few_whatever_a_client_sends(metrics_app):
    client = metrics_app.test_client()
    for method in ("FOOBAR", "BREW", "X-" + "A" * 50):
        client.open("/api/v1/advice", method=method)
    text = client.get("/metrics").text
    assert 'method="other"' in text
    assert "FOOBAR" not in text and "BREW" not in text and "AAAA" not in text


class Failing:
    @hookimpl
    def score_forms(self, answers):
        raise RuntimeError("broken rule")


class Overrunning:
    @hookimpl
    def assess_risks(self, answers):
        time.sleep(1)  # past the advice's time budget (300 ms below): the engine abandons it
        return []


class WordyFailing:
    """Raises with words an overrun might use: it raised all the same, and counts as a failure."""

    @hookimpl
    def score_forms(self, answers):
        raise TimeoutError("abandoned: the upstream time budget ran out")


class Scoring:
    @hookimpl
    def score_forms(self, answers):
        return [Contribution(rule="always", contributions={"informal": 1}, because={"nl": "x", "en": "x"})]


def test_plugin_failures_and_overruns_are_counted_by_plugin(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), METRICS_ENABLED=True, ADVICE_TIME_BUDGET_MS=300,
                   PLUGINS_EXTRA=[("failing", Failing()), ("overrunning", Overrunning()), ("scoring", Scoring()),
                                  ("wordy", WordyFailing())])
    client = app.test_client()
    before = samples(client)
    advice = client.post("/api/v1/advice", json=ANSWERS)
    assert advice.status_code == 200 and advice.json["incomplete"] is True
    after = samples(client)
    failures = ("advisor_plugin_failures_total", {"plugin": "failing", "hook": "score_forms"})
    overruns = ("advisor_plugin_overruns_total", {"plugin": "overrunning", "hook": "assess_risks"})
    wordy = ("advisor_plugin_failures_total", {"plugin": "wordy", "hook": "score_forms"})
    for name, labels in (failures, overruns, wordy):
        assert value(after, name, **labels) - value(before, name, **labels) == 1
    # Each counted as what it was, and a plugin that worked is in neither.
    assert value(after, "advisor_plugin_overruns_total", plugin="failing", hook="score_forms") == 0
    assert value(after, "advisor_plugin_failures_total", plugin="overrunning", hook="assess_risks") == 0
    assert not [key for key in after if key[0].startswith("advisor_plugin") and ("plugin", "scoring") in key[1]]


def test_in_strict_mode_a_refused_advice_counts_its_failure_but_not_as_an_advice(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), METRICS_ENABLED=True, PLUGINS_STRICT=True,
                   PLUGINS_EXTRA=[("failing", Failing())])
    client = app.test_client()
    before = samples(client)
    assert client.post("/api/v1/advice", json=ANSWERS).status_code == 503
    after = samples(client)
    failures, labels = "advisor_plugin_failures_total", {"plugin": "failing", "hook": "score_forms"}
    assert value(after, failures, **labels) - value(before, failures, **labels) == 1
    assert value(after, "advisor_advices_total", form="program") == value(before, "advisor_advices_total",
                                                                          form="program")


def test_rate_limit_refusals_are_counted_and_scrapes_are_not_limited(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), METRICS_ENABLED=True, RATELIMIT_ENABLED=True,
                   RATELIMIT_DEFAULT="2 per minute", RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    before = samples(client)
    statuses = [client.post("/api/v1/advice", json=ANSWERS).status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    scrapes = [client.get("/metrics").status_code for _ in range(5)]
    assert scrapes == [200] * 5
    after = samples(client)
    assert value(after, "advisor_rate_limit_refusals_total", route="/api/v1/advice") - \
        value(before, "advisor_rate_limit_refusals_total", route="/api/v1/advice") == 2


def test_database_errors_are_counted(make_app):
    url = f"postgresql+psycopg://advisor@127.0.0.1:{closed_port()}/advisor"
    client = make_app(RULES_DIR=str(MINI_PACKS), METRICS_ENABLED=True, DATABASE_URL=url).test_client()
    before = samples(client)
    refused = client.post("/api/v1/assessments", json={"answers": {"scope": "ongoing_task"}})
    assert refused.status_code == 503
    after = samples(client)
    name = "advisor_database_errors_total"
    counted = sum(v for (n, _), v in after.items() if n == name) - sum(v for (n, _), v in before.items() if n == name)
    assert counted >= 1
    assert value(after, name, error="OperationalError") > value(before, name, error="OperationalError")
