"""A JSON parser that refuses what Python's own accepts silently: duplicate keys and NaN/Infinity.

``json.loads`` keeps the last of two equal keys (so ``{"answers": {...}, "answers": {}}`` would
drop answers without a word) and reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not
JSON (RFC 8259). Both are refused here as a ``json.JSONDecodeError`` naming the problem, so the
API answers them with 400 like any other malformed body.
"""

from __future__ import annotations

import json
from typing import Any


class StrictJSONError(json.JSONDecodeError):
    """A body that parses in Python but is not strict JSON."""


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"the key {json.dumps(key)} occurs twice in one object", "", 0)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a JSON number", "", 0)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON (bytes as UTF-8): duplicate keys and NaN/Infinity raise
    :class:`StrictJSONError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:  # worded as webargs words it
            raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", str(exc.object), exc.start) from None
    return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_no_constants)
