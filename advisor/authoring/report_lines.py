"""Text lines shared by the authoring reports (``rules test --coverage``, ``rules impact``)."""

from __future__ import annotations

from collections.abc import Sequence


def listed(label: str, items: Sequence[str], indent: str = "  ") -> list[str]:
    """``label: a, b, c`` as one report line, or no line at all when there is nothing to list."""
    return [f"{indent}{label}: {', '.join(items)}"] if items else []
