"""The advisor as a Flask extension: one plugin manager and one engine per app."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from .engine import Engine
from .packcode import cache_for
from .plugins import LoadedPlugins, PluginInfo, PluginLoadError, load_plugins

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
    errors = config["PLUGIN_ERRORS"]
    cache = cache_for(config.get("COMPILED_PACKS_DIR"), app.instance_path)
    started = time.perf_counter()
    loaded = load_plugins(
        rules_dir,
        plugins_dir,
        allow=config["PLUGINS_ALLOW"],
        deny=config["PLUGINS_DENY"],
        extra=list(config.get("PLUGINS_EXTRA", ())) + list(extra_plugins),
        entry_points=config["PLUGINS_ENTRY_POINTS"],
        max_rules=int(config["RULES_MAX_PER_PACK"] or 0),
        errors=errors,
        cache=cache,
    )
    if config["PLUGINS_TRACE"]:
        _show_trace()
    while True:
        try:
            engine = Engine(
                loaded,
                tie_margin=float(config["TIE_MARGIN"]),
                strict=bool(config["PLUGINS_STRICT"]),
                trace=bool(config["PLUGINS_TRACE"]),
                time_budget_ms=float(config["ADVICE_TIME_BUDGET_MS"] or 0) or None,
            )
            break
        except PluginLoadError as exc:
            if not _skippable(exc, loaded, errors):
                raise
            for name, problem in exc.by_plugin.items():
                loaded.skip(name, problem)
    advisor = Advisor(engine)
    if loaded.skipped:
        names = ", ".join(f"{s.name} ({s.source})" for s in loaded.skipped)
        advisor.health_checks["plugins"] = lambda: f"degraded: broken plugins left out: {names}"
        for skipped in loaded.skipped:
            log.error("plugin '%s' left out (PLUGIN_ERRORS = \"skip\"): %s", skipped.name, skipped.error)
    app.extensions["advisor"] = advisor
    log.info("loaded %d plugins; rule set %s", len(loaded.infos), engine.ruleset.fingerprint[:12])
    if cache is not None:
        # A cold start (packs read and compiled, not taken from the cache) states its cost.
        log.info("rule packs ready in %.0f ms: %d cache entries used, %d made (%s)",
                 (time.perf_counter() - started) * 1e3, cache.hits, cache.misses, cache.folder)
    return advisor


def _skippable(exc: PluginLoadError, loaded: LoadedPlugins, errors: str) -> bool:
    """Whether every fault is a directory plugin's, which "skip" may leave out."""
    return errors == "skip" and bool(exc.by_plugin) and all(
        loaded.kind_of(name) == "directory" for name in exc.by_plugin)


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
