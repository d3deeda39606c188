"""The writes and advice limit classes, counted with the `limits` library directly.

Flask-Limiter resolved, filtered, sorted and re-read every limit on every request (~230 µs of an
advice's ~900 in bench/request_costs); the two classes need much less: per window of the
client's limit one fixed-window increment in the storage, which returns the new count. The
remaining budget follows from that count, and the reset from the counter's expiry, so the
``RateLimit`` headers cost no second read of the count. Keys are those Flask-Limiter made
(``LIMITER/<client>/<class>/<amount>/<multiples>/<granularity>``): workers of a previous release
sharing a Redis keep sharing one count.

Flask-Limiter still owns the storage and its in-memory fallback: while its storage is marked
dead the counts go to its fallback memory storage, a failing storage marks it dead (logged by
``advisor.limits``), and it is tried again after 1, 2, 4 ... 32 s, as Flask-Limiter does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import current_app, g
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from limits.storage import Storage

log = logging.getLogger("advisor.limits")

KEY_NAMESPACE = "LIMITER"
MAX_BACKEND_CHECKS = 5
"""Retry a dead storage after 2**n seconds, n = 0..5, then from 1 s again (Flask-Limiter's)."""


@dataclass(frozen=True)
class Window:
    """One window of a limit class, with what its key and headers need, worked out once."""

    scope: str
    item: RateLimitItem
    amount: int
    expiry: int
    key_suffix: str
    name: str
    policy: str


class Counted:
    """A window as counted for this request: the count after it, and the second its window ends.
    (A plain class with slots: made per window per request, a frozen dataclass costs more.)"""

    __slots__ = ("window", "key", "count", "reset_at")

    def __init__(self, window: Window, key: str, count: int, reset_at: float) -> None:
        self.window, self.key, self.count, self.reset_at = window, key, count, reset_at

    @property
    def breached(self) -> bool:
        return self.count > self.window.amount

    @property
    def remaining(self) -> int:
        return max(self.window.amount - self.count, 0)

    def state(self, now: float) -> str:
        """This window's item of the ``RateLimit`` header."""
        return f"{self.window.name};r={self.remaining};t={max(0, int(self.reset_at - now))}"


def windows(scope: str, limit: str) -> tuple[Window, ...]:
    """The windows of `limit` (``"600 per minute;20000 per hour"``) for one class, shortest first
    (the order Flask-Limiter counted and listed them in)."""
    result = []
    for item in sorted(parse_many(limit)):
        expiry = item.get_expiry()
        name = f'"{scope}-{expiry}s"'
        suffix = f"/{scope}/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"
        result.append(Window(scope, item, item.amount, expiry, suffix, name, f"{name};q={item.amount};w={expiry}"))
    return tuple(result)


class ClassLimits:
    """Counts requests of one class per client against its windows, in Flask-Limiter's storage."""

    def __init__(self, limiter: Limiter, public: Mapping[str, str], keyed: Mapping[str, str]) -> None:
        self.limiter = limiter
        self.public = {scope: windows(scope, limit) for scope, limit in public.items()}
        self.keyed = {key: {scope: windows(scope, limit) for scope in public} for key, limit in keyed.items()}
        self._last_check = 0.0
        self._checks = 0

    def windows_for(self, scope: str, api_key: str | None) -> tuple[Window, ...]:
        return self.public[scope] if api_key is None else self.keyed[api_key][scope]

    def count(self, client: str, scope_windows: Sequence[Window], cost: int = 1) -> list[Counted]:
        """Add `cost` to each window (up to the first one it breaches, as Flask-Limiter did).
        A storage that fails falls back to memory; without a fallback the request goes
        uncounted (``RATELIMIT_SWALLOW_ERRORS``) rather than failing."""
        try:
            return _count_in(self._storage(), client, scope_windows, cost)
        except Exception:
            limiter = self.limiter
            if limiter._in_memory_fallback_enabled and not limiter._storage_dead:
                limiter._storage_dead = True
                self._checks, self._last_check = 0, time.time()
                return _count_in(limiter.limiter.storage, client, scope_windows, cost)
            if not limiter._swallow_errors:
                raise
            log.exception("rate limit storage failed: this request was not counted")
            return []

    def charge(self, counted: Sequence[Counted], cost: int) -> None:
        """Charge `cost` more on windows already counted (a batch's items), in the same storage."""
        if cost <= 0 or not counted:
            return
        try:
            storage = self._storage()
            for each in counted:
                storage.incr(each.key, each.window.expiry, amount=cost)
        except Exception:
            log.exception("rate limit storage failed: a batch's items were not charged")

    def _storage(self) -> Storage:
        """The storage to count in: the configured one, or while it is dead the fallback, with a
        check now and then whether it came back."""
        limiter = self.limiter
        if limiter._storage_dead and limiter._in_memory_fallback_enabled:
            now = time.time()
            if now - self._last_check > 2 ** self._checks:
                self._last_check = now
                self._checks = 0 if self._checks >= MAX_BACKEND_CHECKS else self._checks + 1
                if limiter._storage is not None and limiter._storage.check():
                    limiter._storage_dead = False
                    self._checks = 0
        return limiter.limiter.storage


def _count_in(storage: Storage, client: str, scope_windows: Sequence[Window], cost: int) -> list[Counted]:
    counted = []
    for window in scope_windows:
        key = f"{KEY_NAMESPACE}/{client}{window.key_suffix}"
        count = storage.incr(key, window.expiry, amount=cost)
        # A counter this request started ends a full window from now: no second read needed.
        expires = time.time() + window.expiry if count == cost else storage.get_expiry(key)
        counted.append(Counted(window, key, count, int(expires + 1)))  # rounded up, as Flask-Limiter did
        if count > window.amount:
            break
    return counted


def counted_limits() -> list[Counted]:
    """The windows this request counted against (empty when none did)."""
    return list(g.get("advisor_rate_limits") or ())


def charge(counted: Sequence[Counted], cost: int) -> None:
    """Charge `cost` more on windows this request counted (a batch's items)."""
    classes = current_app.extensions.get("advisor_limits")
    if classes is not None:
        classes.charge(counted, cost)
