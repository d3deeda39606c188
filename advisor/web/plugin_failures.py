"""Which rule plugins an incomplete advice is missing, as a manager reads it on the advice page.

The API gives every failure (plugin, hook, error) for the developer; the page names each plugin
once, with what went wrong in plain words, so a manager knows whose rules the advice lacks and
what to tell the administrator.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import PluginFailure

def failed_plugins_view(failures: Iterable[PluginFailure]) -> list[dict[str, str]]:
    """Each failed plugin once, in the order it failed, with the first way it failed."""
    by_plugin: dict[str, dict[str, str]] = {}
    for failure in failures:
        by_plugin.setdefault(failure.plugin, {"plugin": failure.plugin, "kind": failure.kind})
    return list(by_plugin.values())
