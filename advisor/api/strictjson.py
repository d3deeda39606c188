"""A JSON parser that refuses what Python's own accepts silently: duplicate keys and NaN/Infinity.

``json.loads`` keeps the last of two equal keys (so ``{"answers": {...}, "answers": {}}`` would
drop answers without a word) and reads ``NaN``, ``Infinity`` and ``-Infinity``, which are not
JSON (RFC 8259). Both are refused here as a ``json.JSONDecodeError`` naming the problem, so the
API answers them with 400 like any other malformed body.
"""

from __future__ import annotations

import json
from typing import Any

from ..reasons import N_, Reason

PYTHON_JSON_MESSAGES = (
    N_("Expecting value"), N_("Expecting ',' delimiter"), N_("Expecting ':' delimiter"),
    N_("Expecting property name enclosed in double quotes"), N_("Extra data"),
    N_("Unterminated string starting at"), N_("Invalid control character at"), N_("Invalid \\escape"),
    N_("Invalid \\uXXXX escape"), N_("Illegal trailing comma before end of object"),
    N_("Illegal trailing comma before end of array"),
)
"""What Python's JSON parser says (it has no message keys), for the catalogs."""


class StrictJSONError(json.JSONDecodeError):
    """A body that parses in Python but is not strict JSON."""


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(N_("the key {key} occurs twice in one object").format(key=json.dumps(key)), "", 0)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise StrictJSONError(N_("{name} is not a JSON number").format(name=name), "", 0)


def loads(text: str | bytes) -> Any:
    """Parse strict JSON (bytes as UTF-8): duplicate keys and NaN/Infinity raise
    :class:`StrictJSONError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:  # worded as webargs words it
            raise json.JSONDecodeError(N_("Bytes decoding error : {reason}").format(reason=exc.reason), str(exc.object),
                                   exc.start) from None
    return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_no_constants)


def invalid_body(error: Exception) -> Reason:
    """Why a body is not (strict) JSON, and where: "Invalid JSON body: Expecting value at line 1 column 9."."""
    if isinstance(error, RecursionError):
        reason: Any = N_("the JSON nests too deeply")
    elif isinstance(error, json.JSONDecodeError):
        reason = error.msg if isinstance(error.msg, Reason) else Reason(error.msg)
        if error.doc:
            reason = N_("{problem} at line {line} column {column}").format(
                problem=reason, line=error.lineno, column=error.colno)
    elif isinstance(error, UnicodeDecodeError):
        reason = N_("the body is not UTF-8 text")
    else:  # int() refuses numbers of thousands of digits
        reason = N_("a number has more digits than any answer can have")
    return N_("Invalid JSON body: {reason}.").format(reason=reason)
