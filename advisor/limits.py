"""Abuse limits per client with Flask-Limiter: writes and advice are limited, reads are not.

Counts live in memory per worker by default (``memory://``); give ``RATELIMIT_STORAGE_URI`` a
``redis://`` URL to share them across gunicorn workers and hosts. When Redis cannot be reached
the limits fall back to counting in memory per worker (and go back to Redis when it returns),
so a Redis outage never turns requests into 500s.
"""

from __future__ import annotations

import time

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

from .api import API_PREFIX
from .api.problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_BLUEPRINT = "api_v1_admin"


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_DEFAULT", "120 per minute;2000 per hour")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_ADMIN_FAILURES", "10 per minute")
    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits_exempt_when=lambda: request.method in SAFE_METHODS,
        on_breach=_too_many_requests,
    )
    admin = app.blueprints.get(ADMIN_BLUEPRINT)
    if admin is not None:  # wrong admin tokens count per client; right ones cost nothing
        limiter.shared_limit(app.config["RATELIMIT_ADMIN_FAILURES"], scope="admin-token",
                             deduct_when=lambda r: r.status_code == 401, on_breach=_too_many_requests)(admin)
    return limiter


def _too_many_requests(limit: RequestLimit):
    """Problem details with Retry-After for the API; pages get the HTML error page."""
    if not request.path.startswith(API_PREFIX):
        return None
    retry_after = max(1, int(limit.reset_at - time.time()))
    return problem(
        429, "Too Many Requests", f"At most {limit.limit} from one client; try again later.",
        headers={"Retry-After": str(retry_after)},
    )
