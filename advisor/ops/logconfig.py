"""Logs as JSON lines (python-json-logger): the app's, gunicorn's error log and its access log.

``LOGCONFIG`` is a ``logging.config.dictConfig`` mapping; gunicorn takes it as ``logconfig_dict``
(``advisor/ops/gunicorn_config.py``). Every line within a request carries its ``request_id``.
gunicorn's own access line is off unless ``--access-logfile`` is given (the app already writes one
line per request, with the route and rule set); when on, it is JSON too and names the route
template instead of the path, whose ids are private.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from .requestlog import REQUEST_ID_HEADER, ROUTE_ENVIRON_KEY, UNMATCHED_ROUTE, request_id

JSON_FIELDS = "%(levelname)s %(name)s %(process)d %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = request_id()
            if rid is not None:
                record.request_id = rid
        return True


LOGCONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": RequestIdFilter}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "timestamp": "time",  # ISO 8601 in UTC, as log shippers read it
            "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
        },
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                   "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}


class JsonLogger(glogging.Logger):
    """gunicorn's logger with a structured access line (method, route template, status, time) and
    without the URIs gunicorn puts in its error lines: paths hold private ids."""

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith("Error handling request"):
            msg, args = "Error handling request (its URI is not logged)", ()
        super().exception(msg, *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith("Invalid request from ip="):
            msg = msg.partition(": ")[0] + ": (what it sent is not logged)"
        super().warning(msg, *args, **kwargs)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if self.cfg.accesslog is None:
            return  # the app's request line is the access log
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in getattr(resp, "headers", ()))
        self.access_log.info("access", extra={
            "request_id": headers.get(REQUEST_ID_HEADER.lower()),
            "method": environ.get("REQUEST_METHOD"),
            "route": environ.get(ROUTE_ENVIRON_KEY, UNMATCHED_ROUTE),
            "status": int(status),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "bytes": getattr(resp, "sent", None),
        })
