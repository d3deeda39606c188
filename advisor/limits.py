"""Abuse limits per client with Flask-Limiter: writes and advice are limited, reads are not.

Counts live in memory per worker by default (``memory-sweep://``, below); give
``RATELIMIT_STORAGE_URI`` a ``redis://`` URL to share them across gunicorn workers and hosts.
When Redis cannot be reached the limits fall back to counting in memory per worker (and go back
to Redis when it returns), so a Redis outage never turns requests into 500s.

The in-memory default is ``memory-sweep://``: the `limits` package's memory storage, except that
expired counters are swept at most once a second on the request's own thread. The stock
``memory://`` storage starts a new timer thread every 10 ms while requests keep coming; without
those threads two gunicorn workers on one core served 10-20 % more ``POST /api/v1/advice``
(bench/load, alternating runs with ``ADVISOR_RATELIMIT_STORAGE_URI=memory://``). Counters are
exact either way: the storage drops an expired counter whenever it is read; the sweep only
frees the counters of clients that left.
"""

from __future__ import annotations

import time

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

from .api import API_PREFIX
from .api.admin import admin_token_matches
from .api.problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_BLUEPRINT = "api_v1_admin"
SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    """`limits`' memory storage without a timer thread: the expiry it would schedule on a new
    thread every 10 ms runs at most once per `SWEEP_SECONDS`, on the thread that counts.

    Overrides the storage's private scheduling method (``__schedule_expiry``, name-mangled);
    ``tests/test_limits.py`` fails if a `limits` release renames it and threads return.
    """

    STORAGE_SCHEME = ["memory-sweep"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.next_sweep = time.monotonic() + SWEEP_SECONDS

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - the parent's mangled name
        now = time.monotonic()
        if now >= self.next_sweep:
            self.next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_DEFAULT", "120 per minute;2000 per hour")
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory-sweep://")
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
    if admin is not None:  # wrong admin tokens count per client; a right one always passes
        limiter.shared_limit(app.config["RATELIMIT_ADMIN_FAILURES"], scope="admin-token",
                             deduct_when=lambda r: r.status_code == 401, exempt_when=admin_token_matches,
                             on_breach=_too_many_requests)(admin)
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
