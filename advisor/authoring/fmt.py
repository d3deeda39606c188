"""``rules fmt``: one canonical layout for a rule pack, as ``opa fmt`` gives Rego one.

The layout: ``[pack]`` first, then steps, questions, forms, rules, risks and conditions, each
item's keys in the order the guide documents them; texts as inline tables
(``{ nl = "…", en = "…" }``); options one per line; a ``when`` that fits on one line inline,
a longer one as a ``[rules.when]`` sub-table with one condition per line. The data never
changes: formatting and reading back give the same pack. Comments cannot be kept (the pack
is rewritten from its data), so the command refuses to drop them unless told to.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from ..tomllines import KeyLines

LINE_WIDTH = 100
"""A ``when`` longer than this (as one line) is written as a sub-table."""

SECTIONS: dict[str, tuple[str, ...]] = {
    "pack": ("id", "version", "title", "description", "changelog"),
    "steps": ("id", "order", "title", "intro"),
    "questions": ("id", "step", "kind", "required", "situation", "order", "text", "help", "options", "min", "max"),
    "forms": ("id", "order", "name", "summary", "description", "strengths", "weaknesses"),
    "rules": ("id", "valid_from", "valid_until", "when", "contributions", "because", "source"),
    "risks": ("id", "severity", "valid_from", "valid_until", "when", "reasons", "title", "why", "advice", "source"),
    "conditions": ("id", "forms", "when", "text", "source"),
}
SUB_TABLE_KEYS = ("when",)

_BARE = re.compile(r"^[A-Za-z0-9_\-]+$")


def format_pack(data: Mapping[str, Any]) -> str:
    """The pack's data (as ``tomllib`` reads it) in the canonical layout."""
    blocks: list[str] = []
    header = data.get("pack")
    if isinstance(header, Mapping):
        blocks.append("[pack]\n" + _keys(header, SECTIONS["pack"]))
    for section, order in SECTIONS.items():
        if section == "pack":
            continue
        for entry in data.get(section) or ():
            blocks.append(_item(section, entry, order))
    for key, value in data.items():  # anything the format does not know, kept as it is
        if key not in SECTIONS:
            blocks.append(f"{_key(key)} = {_value(value)}\n" if not isinstance(value, Mapping)
                          else f"[{_key(key)}]\n" + _keys(value, ()))
    return "\n".join(blocks)


def has_comments(text: str) -> bool:
    """Whether the TOML text holds a comment (``#`` outside strings)."""
    return KeyLines(text).comments > 0


def _item(section: str, entry: Mapping[str, Any], order: Sequence[str]) -> str:
    sub_tables = {key: entry[key] for key in SUB_TABLE_KEYS
                  if isinstance(entry.get(key), Mapping) and len(_line(key, entry[key])) > LINE_WIDTH}
    simple = {key: value for key, value in entry.items() if key not in sub_tables}
    text = f"[[{section}]]\n" + _keys(simple, order)
    for key, table in sub_tables.items():
        text += f"[{section}.{_key(key)}]\n" + _keys(table, ())
    return text


def _keys(table: Mapping[str, Any], order: Sequence[str]) -> str:
    keys = [key for key in order if key in table] + [key for key in table if key not in order]
    return "".join(_line(key, table[key]) + "\n" for key in keys)


def _line(key: str, value: Any) -> str:
    if key == "options" and isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return f"{_key(key)} = [\n" + "".join(f"  {_value(v)},\n" for v in value) + "]"
    return f"{_key(key)} = {_value(value)}"


def _key(key: str) -> str:
    return key if _BARE.match(key) else _string(key)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, (date, time)):
        return value.isoformat()  # a TOML date (valid_from = 2027-01-01), not a string
    return _string(str(value))
