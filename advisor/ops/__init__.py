"""Running the service: metrics for Prometheus, one JSON log line per request, gunicorn's set-up.

``init_app(app)`` wires the request id, the request log and the metrics into an app; the gunicorn
side (JSON logs, metrics added up across workers) is ``advisor/ops/gunicorn_config.py``. Nothing
is imported here at package level, so gunicorn's master can read its config without loading the
app or prometheus-client before ``PROMETHEUS_MULTIPROC_DIR`` is set.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import metrics, requestlog

    requestlog.init_app(app)
    metrics.init_app(app)


__all__ = ["init_app"]
