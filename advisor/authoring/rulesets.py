"""Engines for rule sets other than the app's own: the two sides of ``rules impact`` and a
Python module under ``rules check``, each started exactly as the app's configuration starts
its plugins, so a check or a comparison sees what start-up would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..engine import Engine
from ..plugins import load_plugins
from ..rulepack import RulePack


def engine_for(config: Mapping[str, Any], packs: Sequence[RulePack] = (),
               extra: Sequence[tuple[str, object]] = ()) -> Engine:
    """An engine as the app's configuration starts it, with `packs` replacing the loaded packs
    with their ids and `extra` plugins added; raises :class:`PluginLoadError` as start-up does."""
    loaded = load_plugins(
        Path(config["RULES_DIR"]) if config.get("RULES_DIR") else None,
        Path(config["PLUGINS_DIR"]) if config.get("PLUGINS_DIR") else None,
        allow=config["PLUGINS_ALLOW"], deny=config["PLUGINS_DENY"],
        extra=[(n, p) for n, p in config.get("PLUGINS_EXTRA", ()) if n not in dict(extra)] + list(extra),
        entry_points=config["PLUGINS_ENTRY_POINTS"], replace=packs,
    )
    return Engine(loaded, tie_margin=float(config["TIE_MARGIN"]))
