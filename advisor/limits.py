"""Abuse limits per client with Flask-Limiter: writes and advice are limited, reads are not.

Counts live in memory per worker by default (``memory://``); give ``RATELIMIT_STORAGE_URI`` a
``redis://`` URL to share them across gunicorn workers and hosts.
"""

from __future__ import annotations

import time

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from .api import API_PREFIX
from .api.problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_DEFAULT", "120 per minute;2000 per hour")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    return Limiter(
        get_remote_address,
        app=app,
        default_limits_exempt_when=lambda: request.method in SAFE_METHODS,
        on_breach=_too_many_requests,
    )


def _too_many_requests(limit: RequestLimit):
    """Problem details with Retry-After for the API; pages get the HTML error page."""
    if not request.path.startswith(API_PREFIX):
        return None
    retry_after = max(1, int(limit.reset_at - time.time()))
    return problem(
        429, "Too Many Requests", f"At most {limit.limit} from one client; try again later.",
        headers={"Retry-After": str(retry_after)},
    )
