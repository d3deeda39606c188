"""``/metrics`` in Prometheus format: requests, advices, risks, plugin failures, refusals, database errors.

Under gunicorn each worker is its own process, so the counts live in files in
``PROMETHEUS_MULTIPROC_DIR`` (``advisor.ops.gunicorn_config`` sets it up and marks dead workers)
and ``/metrics`` adds them up across workers with prometheus-client's MultiProcessCollector;
without that variable (one process: tests, ``flask run``) the process's own registry is served.

Off by default: ``METRICS_ENABLED`` serves it to anyone who reaches it (keep it off the public
site, as ``deploy/nginx`` does), ``METRICS_TOKEN`` additionally asks for
``Authorization: Bearer <METRICS_TOKEN>``. Labels are route templates and rule-pack ids, never a
path (paths carry private ids) and never an answer.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event

from ..model import Advice, PluginFailure
from .requestlog import KNOWN_METHODS, UNMATCHED_ROUTE

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
TOKEN_MIN_LENGTH = 24
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; an advice takes ~20 ms on two workers, alternatives and pages up to a few hundred."""

REQUESTS = Counter("advisor_http_requests", "HTTP requests answered, by route template, method and status.",
                   ["route", "method", "status"])
LATENCY = Histogram("advisor_http_request_duration_seconds",
                    "Time from the request reaching the app to its response, by route template, method and status.",
                    ["route", "method", "status"], buckets=LATENCY_BUCKETS)
ADVICES = Counter("advisor_advices", "Advices made, by recommended form.", ["form"])
RISKS = Counter("advisor_risks", "Risks raised in advices, by risk id.", ["risk"])
PLUGIN_FAILURES = Counter("advisor_plugin_failures", "Plugin calls that failed during an advice (the advice "
                          "was marked incomplete, or refused in strict mode), by plugin and hook.", ["plugin", "hook"])
PLUGIN_OVERRUNS = Counter("advisor_plugin_overruns", "Plugin calls abandoned because the advice's time budget "
                          "ran out, by plugin and hook.", ["plugin", "hook"])
RATE_LIMITED = Counter("advisor_rate_limit_refusals",
                       "Requests refused with 429 by the rate limits, by route template.", ["route"])
DATABASE_ERRORS = Counter("advisor_database_errors", "Errors raised by the database driver, by exception class.",
                          ["error"])

bp = Blueprint("metrics", __name__)

_children: dict[tuple[int, tuple[str, ...]], Any] = {}
MAX_CHILDREN = 10_000
"""Label values are few (route templates, statuses, forms, risk ids); the cap is a safety net."""


def child(metric: Counter | Histogram, *values: str) -> Any:
    """``metric.labels(*values)``, kept: prometheus-client checks and locks on every call (~4 µs,
    a dozen times per advice request); the child it returns is the same object every time."""
    key = (id(metric), values)
    found = _children.get(key)
    if found is None:
        found = metric.labels(*values)
        if len(_children) < MAX_CHILDREN:
            _children[key] = found
    return found


@bp.get("/metrics")
def metrics() -> Response:
    """The counters of every worker of this instance, in Prometheus' text format."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    if not (config.get("METRICS_ENABLED") or token):
        abort(404)
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), str(token).encode()):
            return Response("Send the metrics token as 'Authorization: Bearer <METRICS_TOKEN>'.\n", 401,
                            {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    response = Response(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def check_token(token: object) -> None:
    """A guessable token would open every counter to the internet: refuse it at start."""
    if token is None or token == "":
        return
    if not isinstance(token, str) or len(token) < TOKEN_MIN_LENGTH or not token.isascii() \
            or any(c.isspace() for c in token) or len(set(token)) < 8:
        raise ValueError(
            f"METRICS_TOKEN must be at least {TOKEN_MIN_LENGTH} ASCII characters without spaces and not "
            "one character repeated; make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def _registry() -> CollectorRegistry:
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)
    return registry


# --- What is counted ---------------------------------------------------------------------------


def count_advice(advice: Advice, *, refused: bool = False) -> None:
    """An advice the engine made; a refused one (strict mode) counts only its plugin failures."""
    if not refused:
        child(ADVICES, advice.recommended).inc()
        for risk in advice.risks:
            child(RISKS, risk.id).inc()
    count_plugin_failures(advice.failed_plugins)


def count_plugin_failures(failures: Iterable[PluginFailure]) -> None:
    for failure in failures:
        counter = PLUGIN_OVERRUNS if is_overrun(failure) else PLUGIN_FAILURES
        counter.labels(failure.plugin, failure.hook).inc()


def is_overrun(failure: PluginFailure) -> bool:
    """Whether a failure is a call the time budget abandoned or skipped rather than one that raised."""
    return failure.kind == "time"


_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
"""The requests counter's and the latency histogram's children per (route, method, status):
one look-up per request instead of two, each building its key."""


def _request_children_for(route: str, method: str, status: int) -> tuple[Any, Any]:
    key = (route, method, status)
    found = _request_children.get(key)
    if found is None:
        found = (child(REQUESTS, route, method, str(status)), child(LATENCY, route, method, str(status)))
        if len(_request_children) < MAX_CHILDREN:
            _request_children[key] = found
    return found


def _count_request(response: Response) -> Response:
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy look-up
    rule = req.url_rule
    route = rule.rule if rule is not None else UNMATCHED_ROUTE
    if route == "/metrics":
        return response  # the scrape itself is not traffic
    status = response.status_code
    method = req.method if req.method in KNOWN_METHODS else "other"
    requests, latency = _request_children_for(route, method, status)
    requests.inc()
    started = g.get("request_started_at")
    if started is not None:
        latency.observe(time.perf_counter() - started)
    if status == 429:
        child(RATE_LIMITED, route).inc()
    return response


def _count_database_error(context: object) -> None:
    error = getattr(context, "original_exception", None)
    DATABASE_ERRORS.labels(type(error).__name__ if error is not None else "unknown").inc()


def init_app(app: Flask) -> None:
    """Count this app's requests, advices and database errors, and serve ``/metrics``."""
    app.config.setdefault("METRICS_ENABLED", False)
    app.config.setdefault("METRICS_TOKEN", None)
    check_token(app.config["METRICS_TOKEN"])
    app.register_blueprint(bp)
    app.after_request(_count_request)
    advisor = app.extensions.get("advisor")
    if advisor is not None:
        engine = advisor.engine
        engine.observers.append(lambda advice: count_advice(advice, refused=engine.strict and advice.incomplete))
    database = app.extensions.get("advisor_db")
    if database is not None:
        event.listen(database.engine, "handle_error", _count_database_error)
