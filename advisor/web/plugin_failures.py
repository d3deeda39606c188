"""Which rule plugins an incomplete advice is missing, as a manager reads it on the advice page.

The API gives every failure (plugin, hook, error) for the developer; the page names each plugin
once, with what went wrong in plain words, so a manager knows whose rules the advice lacks and
what to tell the administrator.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import PluginFailure

TIMED_OUT = ("abandoned:", "not called:")
"""How the contained hook call words a plugin that overran the advice's time budget."""


def failure_kind(failure: PluginFailure) -> str:
    """``"load"`` (never loaded), ``"time"`` (overran the time budget) or ``"error"`` (raised)."""
    if failure.hook == "load":
        return "load"
    return "time" if failure.error.startswith(TIMED_OUT) else "error"


def failed_plugins_view(failures: Iterable[PluginFailure]) -> list[dict[str, str]]:
    """Each failed plugin once, in the order it failed, with the first way it failed."""
    by_plugin: dict[str, dict[str, str]] = {}
    for failure in failures:
        by_plugin.setdefault(failure.plugin, {"plugin": failure.plugin, "kind": failure_kind(failure)})
    return list(by_plugin.values())
