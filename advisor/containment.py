"""Calling plugins during an advice: every failure contained and named, every call bounded in time.

The engine calls each implementation of a per-advice hook itself (not through pluggy's one-shot
hook call), so a plugin that raises - ``SystemExit`` and ``KeyboardInterrupt`` included -,
returns the wrong shape, or takes too long costs only its own contribution: the advice is
marked incomplete and names the plugin.

Time: an advice has a budget (``ADVICE_TIME_BUDGET_MS``). A Python plugin call gets what is
left of it; on the main thread (gunicorn's sync workers, the dev server's request thread is
not) an interval timer (``signal.setitimer``) interrupts a call that overruns, elsewhere a call
that returned late is discarded. Calls after the budget is spent are skipped and named. Rule
packs are data compiled at start-up, checked and bounded in size there: they always run.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .model import (
    MAX_POINTS,
    SEVERITY_ORDER,
    Contribution,
    PluginFailure,
    RiskDefinition,
    RiskFinding,
    SuccessCondition,
)

log = logging.getLogger("advisor.engine")
trace_log = logging.getLogger("advisor.trace")

CONTAINED = (Exception, SystemExit, KeyboardInterrupt)
"""What a plugin may raise without failing the advice (``GeneratorExit`` is left alone)."""


class PluginTimeout(BaseException):
    """Raised inside a plugin call that overran the budget. A BaseException, so a plugin's own
    ``except Exception`` cannot swallow it."""


class ShapeError(TypeError):
    """A plugin returned data of the wrong shape."""


@dataclass(frozen=True, slots=True)
class Impl:
    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]
    checked: bool = False
    """True for rule packs: their results were checked when the pack was compiled."""
    unchecked: Callable[..., Any] | None = None
    """A rule pack's ``unchecked_risks``: which of its risks the skipped answers decide."""


class TimeBudget:
    """The time one advice (or one what-if search) may spend in Python plugins."""

    def __init__(self, milliseconds: float | None) -> None:
        self.milliseconds = milliseconds if milliseconds and milliseconds > 0 else None
        self.deadline = time.monotonic() + self.milliseconds / 1000 if self.milliseconds else math.inf
        self.exceeded = False
        """True once a call overran or was skipped: what was asked is not complete."""

    def remaining(self) -> float:
        """Seconds left (``inf`` without a budget)."""
        return self.deadline - time.monotonic()

    def describe(self) -> str:
        return f"the advice's time budget ({self.milliseconds:g} ms, ADVICE_TIME_BUDGET_MS)"

    @contextmanager
    def bounding(self) -> Iterator[bool]:
        """Run the block under a timer that raises :class:`PluginTimeout` when the budget ends.

        Yields whether the timer is armed: only on the main thread, and only when no other
        interval timer is running (then the caller checks the clock after the call instead).
        """
        seconds = self.remaining()
        if (seconds == math.inf or threading.current_thread() is not threading.main_thread()
                or signal.getitimer(signal.ITIMER_REAL)[0] > 0):
            yield False
            return

        def interrupt(signum: int, frame: Any) -> None:
            raise PluginTimeout

        previous = signal.signal(signal.SIGALRM, interrupt)
        try:
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))
            yield True
        finally:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            finally:  # even when the timer fires right here, the previous handler comes back
                signal.signal(signal.SIGALRM, previous)


class HookCaller:
    """Calls per-advice hooks for the engine and checks what Python plugins return."""

    def __init__(
        self, forms: Mapping[str, Any], risk_definitions: Mapping[str, RiskDefinition],
        owners: Mapping[tuple[str, str], str], *, trace: bool = False,
    ) -> None:
        self.forms = forms
        self.risk_definitions = risk_definitions
        self.owners = owners
        self.trace = trace

    def call(
        self, impls: Sequence[Impl], hook_name: str, kind: type, failures: list[PluginFailure],
        budget: TimeBudget, **kwargs: Any,
    ) -> list[tuple[str, Sequence[Any]]]:
        """Call every implementation of a per-advice hook; contain and record failures.

        Returns ``(plugin, items)`` per plugin that answered, in hook order.
        """
        results: list[tuple[str, Sequence[Any]]] = []
        trace = self.trace
        for impl in impls:
            started = time.perf_counter() if trace else 0.0
            try:
                if impl.checked:
                    value = impl.function(*[kwargs[name] for name in impl.argnames])
                    items = value if type(value) is list else self.check(impl.plugin, kind, value)
                else:
                    items = self._call_bounded(impl, kind, budget, kwargs)
            except PluginTimeout:
                budget.exceeded = True
                self._failed(impl.plugin, hook_name, f"abandoned: it overran {budget.describe()}", failures, kind="time")
                continue
            except _Skipped:
                budget.exceeded = True
                self._failed(impl.plugin, hook_name, f"not called: {budget.describe()} was spent", failures, kind="time")
                continue
            except CONTAINED as exc:
                self._failed(impl.plugin, hook_name, f"{type(exc).__name__}: {exc}", failures,
                             exc_info=not isinstance(exc, ShapeError))
                continue
            if trace:
                trace_log.info(
                    "%s.%s(%s) -> %r [%.1f us]", impl.plugin, hook_name,
                    ", ".join(f"{n}={_short(kwargs[n])}" for n in impl.argnames), items,
                    (time.perf_counter() - started) * 1e6,
                )
            if items:
                results.append((impl.plugin, items))
        return results

    def _call_bounded(self, impl: Impl, kind: type, budget: TimeBudget, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        if budget.remaining() <= 0:
            raise _Skipped
        args = [kwargs[name] for name in impl.argnames]
        with budget.bounding():
            value = impl.function(*args)
        if budget.remaining() < 0:
            raise PluginTimeout  # returned late (no timer off the main thread): its result is not used
        return self.check(impl.plugin, kind, value)

    @staticmethod
    def _failed(plugin: str, hook_name: str, error: str, failures: list[PluginFailure], *,
                exc_info: bool = False, kind: str = "error") -> None:
        log.error("plugin '%s' failed in %s: %s", plugin, hook_name, error, exc_info=exc_info)
        failures.append(PluginFailure(plugin, hook_name, error, kind))

    def check(self, plugin: str, kind: type, value: Any) -> Sequence[Any]:
        """`value` if it is a list of well-formed `kind` items; raises :class:`ShapeError`."""
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise ShapeError(f"returned {type(value).__name__}, expected a list of {kind.__name__}")
        for item in value:
            if not isinstance(item, kind):
                raise ShapeError(f"returned {type(item).__name__} in the list, expected {kind.__name__}")
            if kind is Contribution:
                self._check_contribution(item)
            elif kind is RiskFinding:
                self._check_risk(plugin, item)
            elif kind is SuccessCondition:
                _check_id("condition", item.id)
                _check_text(f"condition '{item.id}'", "text", item.text)
                _check_source(f"condition '{item.id}'", item.source)
        return value

    def _check_contribution(self, item: Contribution) -> None:
        name = f"rule '{item.rule}'"  # any id that prints is fine: the wire form is its str()
        if not isinstance(item.contributions, Mapping) or not item.contributions:
            raise ShapeError(f"{name}: contributions must map form ids to points")
        for form_id, points in item.contributions.items():
            if not isinstance(form_id, str) or form_id not in self.forms:
                raise ShapeError(f"{name} gives points to unknown form {form_id!r}")
            if not is_points(points):
                raise ShapeError(
                    f"{name} gives {points!r} to '{form_id}', expected a number from "
                    f"-{MAX_POINTS:,} to {MAX_POINTS:,}")
        _check_text(name, "because", item.because)
        _check_source(name, item.source)
        _check_reads(name, item.reads)

    def _check_risk(self, plugin: str, item: RiskFinding) -> None:
        _check_id("risk", item.id)
        definition = self.risk_definitions.get(item.id)
        if definition is None or self.owners[("risk", item.id)] != plugin:
            raise ShapeError(f"raised risk '{item.id}', which it did not declare in register_risks")
        if not isinstance(item.severity, str) or item.severity not in SEVERITY_ORDER:
            raise ShapeError(f"risk '{item.id}' has unknown severity {item.severity!r}")
        for field in ("title", "why", "advice"):
            _check_text(f"risk '{item.id}'", field, getattr(item, field))
        _check_source(f"risk '{item.id}'", item.source)
        _check_reads(f"risk '{item.id}'", item.reads)


def is_points(value: Any) -> bool:
    """A number of points a rule may give: finite and within ±MAX_POINTS, so sums stay finite."""
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and -MAX_POINTS <= value <= MAX_POINTS)


class _Skipped(BaseException):
    """The budget was spent before this call."""


def _check_id(noun: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ShapeError(f"returned a {noun} whose id is {value!r}, expected a non-empty string")


def _check_text(name: str, field: str, text: Any) -> None:
    if (not isinstance(text, Mapping) or not text
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in text.items())):
        raise ShapeError(f"{name}: {field} is {_short(text)}, expected a text such as "
                         "{'nl': '...', 'en': '...'}")


def _check_source(name: str, source: Any) -> None:
    if not isinstance(source, str):
        raise ShapeError(f"{name}: source is {_short(source)}, expected a string")


def _check_reads(name: str, reads: Any) -> None:
    if not isinstance(reads, (tuple, list)) or not all(isinstance(qid, str) for qid in reads):
        raise ShapeError(f"{name}: reads is {_short(reads)}, expected a list of question ids")


def _short(value: Any) -> str:
    text = repr(dict(value) if isinstance(value, Mapping) else value)
    return text if len(text) <= 300 else text[:297] + "..."
