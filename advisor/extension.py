"""The advisor as a Flask extension: one plugin manager and one engine per app."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .engine import Engine
from .plugins import PluginInfo, load_plugins

log = logging.getLogger("advisor")


@dataclass
class Advisor:
    """What the app holds of the advisor: the engine and its plugins."""

    engine: Engine
    cache: dict[Any, Any] = field(default_factory=dict)
    health_checks: dict[str, Callable[[], str]] = field(default_factory=dict)
    """Name to a check returning "ok" or a reason; storage adds its own."""

    @property
    def plugins(self) -> list[PluginInfo]:
        return self.engine.plugins


def init_app(app: Flask, extra_plugins: Iterable[tuple[str, object]] = ()) -> Advisor:
    config = app.config
    rules_dir = Path(config["RULES_DIR"]) if config.get("RULES_DIR") else None
    plugins_dir = Path(config["PLUGINS_DIR"]) if config.get("PLUGINS_DIR") else None
    loaded = load_plugins(
        rules_dir,
        plugins_dir,
        allow=config["PLUGINS_ALLOW"],
        deny=config["PLUGINS_DENY"],
        extra=list(config.get("PLUGINS_EXTRA", ())) + list(extra_plugins),
        entry_points=config["PLUGINS_ENTRY_POINTS"],
        max_rules=int(config["RULES_MAX_PER_PACK"] or 0),
    )
    if config["PLUGINS_TRACE"]:
        _show_trace()
    engine = Engine(
        loaded,
        tie_margin=float(config["TIE_MARGIN"]),
        strict=bool(config["PLUGINS_STRICT"]),
        trace=bool(config["PLUGINS_TRACE"]),
        time_budget_ms=float(config["ADVICE_TIME_BUDGET_MS"] or 0) or None,
    )
    advisor = Advisor(engine)
    app.extensions["advisor"] = advisor
    log.info("loaded %d plugins; rule set %s", len(loaded.infos), engine.ruleset.fingerprint[:12])
    return advisor


def _show_trace() -> None:
    """Tracing is for authors at a terminal: print to stderr unless logging is set up already."""
    trace_log = logging.getLogger("advisor.trace")
    trace_log.setLevel(logging.INFO)
    if not trace_log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("trace: %(message)s"))
        trace_log.addHandler(handler)


def get_advisor() -> Advisor:
    return current_app.extensions["advisor"]
