"""Abuse limits per client with Flask-Limiter: writes and advice are limited, reads are not.

Two limit classes, each one budget per client across all its routes (application-wide limits,
not one count per route): **writes** (every POST, PUT, PATCH and DELETE, pages included,
``RATELIMIT_WRITES``) and **advice** (``POST /api/v1/advice`` and what lies under it: stateless,
so it has its own, higher limit, ``RATELIMIT_ADVICE``). A client is its address, or, when it sends
one of the ``API_KEYS`` as a bearer token (compared in constant time), that key, with the key's
own limit for both classes. Every limited response carries the IETF ``RateLimit-Policy`` and
``RateLimit`` headers (draft-ietf-httpapi-ratelimit-headers); a 429 also ``Retry-After``.

Counts live in memory per worker by default (``memory-sweep://``, below): with N workers a
client can get up to N times a limit through. Give ``RATELIMIT_STORAGE_URI`` a ``redis://`` URL
to share them across gunicorn workers and hosts, with short socket timeouts (a stalled Redis
costs a request at most ``REDIS_TIMEOUT_SECONDS`` once). When Redis cannot be reached the limits
fall back to counting in memory per worker, and go back to Redis when it returns; both are
logged, and a Redis outage never turns requests into 500s.

The in-memory default is ``memory-sweep://``: the `limits` package's memory storage, except that
expired counters are swept at most once a second on the request's own thread. The stock
``memory://`` storage starts a new timer thread every 10 ms while requests keep coming; without
those threads two gunicorn workers on one core served 10-20 % more ``POST /api/v1/advice``
(bench/load, alternating runs with ``ADVISOR_RATELIMIT_STORAGE_URI=memory://``). Counters are
exact either way: the storage drops an expired counter whenever it is read; the sweep only
frees the counters of clients that left.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from functools import lru_cache
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, g, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.datastructures import Headers
from werkzeug.exceptions import TooManyRequests

from .api import API_PREFIX
from .api.admin import admin_token_matches, weak_secret_problem
from .api.problems import problem
from .header_names import add_in_one_pass, set_header
from .limit_classes import ClassLimits, Counted
from .reasons import N_

log = logging.getLogger("advisor.limits")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_BLUEPRINT = "api_v1_admin"
ADVICE_PATH = f"{API_PREFIX}v1/advice"
ADVICE_UNDER = f"{ADVICE_PATH}/"
SWEEP_SECONDS = 1.0
WRITES_LIMIT = "120 per minute;2000 per hour"
ADVICE_LIMIT = "600 per minute;20000 per hour"
REDIS_TIMEOUT_SECONDS = 0.25
"""Socket and connect timeout for a Redis limit storage: a paused Redis used to stall every
request (``/health`` included) for 5-10 s; now a request waits this long once, then the limits
count in memory until Redis answers again."""


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
    config = app.config
    config.setdefault("RATELIMIT_STORAGE_URI", "memory-sweep://")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", False)  # Flask-Limiter's X-RateLimit-*: we send the IETF ones
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    config.setdefault("RATELIMIT_ADMIN_FAILURES", "10 per minute")
    if str(config["RATELIMIT_STORAGE_URI"]).startswith(("redis", "rediss")):
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_timeout", REDIS_TIMEOUT_SECONDS)
        options.setdefault("socket_connect_timeout", REDIS_TIMEOUT_SECONDS)
        config["RATELIMIT_STORAGE_OPTIONS"] = options
    legacy = config.get("RATELIMIT_DEFAULT")  # before 1.1: one limit for both classes, and still so when set
    public = {"writes": _checked_limit("RATELIMIT_WRITES", legacy or config.get("RATELIMIT_WRITES") or WRITES_LIMIT),
              "advice": _checked_limit("RATELIMIT_ADVICE", legacy or config.get("RATELIMIT_ADVICE") or ADVICE_LIMIT)}
    keys = check_api_keys(config.get("API_KEYS"))
    config["RATELIMIT_DEFAULT"] = None  # never per-route defaults: the classes below are the limits
    config["RATELIMIT_WRITES"], config["RATELIMIT_ADVICE"] = public["writes"], public["advice"]  # as in force

    # Flask-Limiter keeps the storage, its in-memory fallback and the admin-token limit; the
    # two classes are counted by ClassLimits (advisor/limit_classes.py), one increment a window.
    limiter = Limiter(get_remote_address, app=app, on_breach=_too_many_requests)
    classes = ClassLimits(limiter, public, keys)
    app.extensions["advisor_limits"] = classes
    admin = app.blueprints.get(ADMIN_BLUEPRINT)
    if admin is not None:  # wrong admin tokens count per client; a right one always passes
        limiter.shared_limit(config["RATELIMIT_ADMIN_FAILURES"], scope="admin-token",
                             key_func=get_remote_address,
                             deduct_when=lambda r: r.status_code == 401, exempt_when=admin_token_matches,
                             on_breach=_too_many_requests)(admin)
    _replace_check(app, limiter, _class_check(limiter, classes, keys))
    _watch_storage(app, limiter)
    _send_ratelimit_headers(app, limiter)
    return limiter


def limit_class_of_request() -> str | None:
    """``"advice"``, ``"writes"`` or None (reads are not limited)."""
    return limit_class_of(request.method, request.path)


def limit_class_of(method: str, path: str) -> str | None:
    if method in SAFE_METHODS:
        return None
    if path == ADVICE_PATH or path.startswith(ADVICE_UNDER):
        return "advice"
    return "writes"


def check_api_keys(keys: Any) -> dict[str, str]:
    """``API_KEYS`` (key -> limit, e.g. ``{"<key>": "6000 per minute"}``) checked at start-up:
    keys must be strong secrets, limits must parse. Raises ValueError saying which and why."""
    if not keys:
        return {}
    if not isinstance(keys, Mapping):
        raise ValueError("API_KEYS must map each key to its limit, e.g. "
                         '{"<key>": "6000 per minute"} (JSON in ADVISOR_API_KEYS)')
    checked = {}
    for number, (key, limit) in enumerate(keys.items(), start=1):
        reason = weak_secret_problem(key)
        if reason is not None:
            raise ValueError(f"API_KEYS: key #{number} {reason}")
        checked[key] = _checked_limit(f"API_KEYS: the limit of key #{number}", limit)
    return checked


def _checked_limit(name: str, value: Any) -> str:
    try:
        if not isinstance(value, str) or not parse_many(value):
            raise ValueError
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a limit such as '600 per minute;20000 per hour'") from None
    return value


def _api_key(keys: Mapping[str, str]) -> str | None:
    """The configured API key this request sends as a bearer token, or None. Every key is
    compared (in constant time), so the time taken does not tell which key came close."""
    if not keys:
        return None
    if "api_key" not in g:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        found = None
        if scheme.lower() == "bearer":
            sent = given.strip().encode("utf-8", "surrogateescape")
            for key in keys:
                if hmac.compare_digest(sent, key.encode("utf-8")):
                    found = key
        g.api_key = found
    return g.api_key


def client_identity(keys: Mapping[str, str]) -> str:
    """Who a count belongs to: the API key (as a digest: keys never reach the storage), or the
    client's address (the proxy's client address with ``PROXY_COUNT``)."""
    key = _api_key(keys)
    return _key_identity(key) if key is not None else get_remote_address()


@lru_cache(maxsize=256)
def _key_identity(key: str) -> str:
    return "key:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _class_check(limiter: Limiter, classes: ClassLimits, keys: Mapping[str, str]):
    """The before-request hook of the two classes: count, and answer a breach with a 429."""

    def check_limit_class() -> Response | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if req.method in SAFE_METHODS or not limiter.enabled or req.url_rule is None:
            return None  # reads, and unrouted requests (404, 405), are not counted
        scope = limit_class_of(req.method, req.path)
        api_key = _api_key(keys)
        client = _key_identity(api_key) if api_key is not None else (req.remote_addr or "127.0.0.1")  # get_remote_address()
        counted = classes.count(client, classes.windows_for(scope, api_key))
        g.advisor_rate_limits = counted
        for each in counted:
            if each.breached:
                return _refuse(scope, each)
        return None

    return check_limit_class


def _replace_check(app: Flask, limiter: Limiter, check) -> None:
    """Put the classes' check where Flask-Limiter's per-request hooks were, and confine those
    hooks to the admin blueprint, the one place a Flask-Limiter limit is left: elsewhere they
    resolved and filtered limits on every request only to find none. (A disabled limiter
    registered no hooks; the check, registered anyway, then counts nothing.)"""
    ours = limiter._check_request_limit
    before = app.before_request_funcs.setdefault(None, [])
    if ours in before:
        before[before.index(ours)] = check
        app.before_request_funcs.setdefault(ADMIN_BLUEPRINT, []).insert(0, ours)  # before its token check
    else:
        before.append(check)
    for funcs in (app.after_request_funcs, app.teardown_request_funcs):
        hooks = funcs.get(None, [])
        for hook in [h for h in hooks if _belongs_to(h, limiter)]:
            hooks.remove(hook)
            funcs.setdefault(ADMIN_BLUEPRINT, []).append(hook)


def _belongs_to(hook: Any, limiter: Limiter) -> bool:
    """Whether a request hook is one of `limiter`'s (a bound method, or a partial over it)."""
    return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())


def _refuse(scope: str, counted: Counted):
    """Problem details with Retry-After for the API; pages get the HTML error page."""
    if not request.path.startswith(API_PREFIX):
        raise TooManyRequests()
    retry_after = max(1, int(counted.reset_at - time.time()))
    return problem(
        429, "Too Many Requests", TOO_MANY.get(scope, TOO_MANY_REQUESTS).format(count=counted.window.item),
        headers={"Retry-After": str(retry_after)},
    )


def _send_ratelimit_headers(app: Flask, limiter: Limiter) -> None:
    """``RateLimit-Policy`` and ``RateLimit`` on every response a limit counted, one item per
    window of the client's class: ``"advice-60s";q=600;w=60`` and ``"advice-60s";r=599;t=42``."""

    def ratelimit_headers(req: Request, response: Response, headers: Headers, names: set[str]) -> None:
        counted = g.get("advisor_rate_limits")
        if counted:
            now = time.time()
            set_header(headers, names, "RateLimit-Policy", ", ".join(each.window.policy for each in counted))
            set_header(headers, names, "RateLimit", ", ".join(each.state(now) for each in counted))

    add_in_one_pass(app, ratelimit_headers)


def _watch_storage(app: Flask, limiter: Limiter) -> None:
    """Log when the limits fall back to memory because the storage is unreachable, and when they
    return to it. Flask-Limiter switches and keeps the state (``_storage_dead``); it logs to its
    own logger, which no handler shows by default."""
    uri = _without_password(str(app.config["RATELIMIT_STORAGE_URI"]))
    state = {"dead": False}

    @app.after_request
    def storage_state(response: Response) -> Response:
        dead = bool(getattr(limiter, "_storage_dead", False))
        if dead != state["dead"]:
            state["dead"] = dead
            if dead:
                log.warning("rate limit storage %s unreachable: counting in memory per worker until it returns", uri)
            else:
                log.warning("rate limit storage %s reachable again: counting there again", uri)
        return response


def _without_password(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}{sep}***@{host}" if at and credentials else uri


TOO_MANY_REQUESTS = N_("At most {count} requests from one client; try again later.")
TOO_MANY = {"writes": N_("At most {count} writes from one client; try again later."),
            "advice": N_("At most {count} advice requests from one client; try again later.")}
"""The 429's detail per limit class, said in the request's language."""


def _too_many_requests(limit: RequestLimit):
    """The admin-token limit's 429 (Flask-Limiter's): problem details with Retry-After."""
    if not request.path.startswith(API_PREFIX):
        return None
    retry_after = max(1, int(limit.reset_at - time.time()))
    return problem(
        429, "Too Many Requests", TOO_MANY_REQUESTS.format(count=limit.limit),
        headers={"Retry-After": str(retry_after)},
    )
