"""Pack errors an author can act on: every problem at once, each with its line and its fix.

marshmallow reports every shape error of a file in one nested dict; this module turns that
into a flat list of :class:`Problem` (file, line, item, field, message) and adds what to do:
"did you mean 'contributions'?" for a misspelled key, the closest allowed value for a typo in
``severity``, how to write a number or a text for a wrong type. Lines come from
:mod:`advisor.tomllines`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields

from .tomllines import KeyLines, Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: ``file:line: item: field: message``."""

    file: str
    message: str
    item: str | None = None
    field: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def detail(self) -> str:
        """The message with its field, without file and item."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        return ": ".join(part for part in (self.where, self.item, self.field, self.message) if part)


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a misspelled `word`, if one is close enough."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``": did you mean 'x'?"`` or nothing."""
    close = suggestion(word, candidates)
    return f": did you mean '{close}'?" if close else ""


def dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def flatten(messages: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every (path, message) in marshmallow's nested error messages."""
    if isinstance(messages, Mapping):
        for key, inner in messages.items():
            if key == "_schema":
                yield from flatten(inner, path)
            elif key in ("value", "key") and path and set(messages) <= {"value", "key"}:
                yield from flatten(inner, path)  # a Dict field's value or key: the path says enough
            else:
                yield from flatten(inner, path + (key,))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield path, message.rstrip(".")
    elif isinstance(messages, list):
        for inner in messages:
            yield from flatten(inner, path)
    else:
        yield path, str(messages)


def known_keys(schema: Schema, parent: Path) -> list[str]:
    """The keys the schema allows at `parent` (a path into the data)."""
    current: Schema | None = schema
    for part in parent:
        if isinstance(part, int):
            continue
        field = current.fields.get(part) if current is not None else None
        while isinstance(field, fields.List):
            field = field.inner
        if not isinstance(field, fields.Nested):
            return []
        current = field.schema
    return list(current.fields) if current is not None else []


def value_at(raw: Any, path: Path) -> Any:
    for part in path:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


_TYPE_FIXES = {
    "not a valid number": "write a number without quotes, e.g. 1.5",
    "not a valid integer": "write a whole number without quotes, e.g. 10",
    "not a valid string": "write it as text in quotes",
    "not a valid boolean": "write true or false, without quotes",
    "not a valid list": "write a list in square brackets: [\"a\", \"b\"]",
    "not a valid mapping type": "write a table: { key = value }",
    "invalid input type": "write a table, e.g. { nl = \"…\", en = \"…\" }",
    "shorter than minimum length 1": "it must not be empty",
}


def _fix(message: str, path: Path, raw: Any, schema: Schema) -> str:
    """The message in the house's wording, with what to do about it."""
    text = message[0].lower() + message[1:] if message else message
    if text == "unknown field":
        options = known_keys(schema, path[:-1])
        close = suggestion(str(path[-1]), options)
        if close:
            return f"unknown field: did you mean '{close}'?"
        return f"unknown field (allowed here: {', '.join(options)})" if options else text
    if text == "missing data for required field":
        return f"missing data for required field: add '{path[-1]} = …'"
    one_of = re.match(r"must be one of: (.*)", text)
    if one_of:
        value = value_at(raw, path)
        allowed = [choice.strip() for choice in one_of.group(1).split(",")]
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        return f"must be one of: {', '.join(allowed)}, not '{value}'{hint}" if value is not None else text
    fix = _TYPE_FIXES.get(text)
    return f"{text}: {fix}" if fix else text


def shape_problems(
    messages: Mapping[str, Any], raw: Mapping[str, Any], schema: Schema, file: str, lines: KeyLines,
    item_names: Mapping[str, str],
) -> list[Problem]:
    """Every shape error of a file, with its line and fix; a misspelled required key is reported
    once (as the unknown key, with the suggestion), not also as missing."""
    found = list(flatten(messages))
    suggested: set[Path] = set()
    for path, message in found:
        if message.lower() == "unknown field":
            close = suggestion(str(path[-1]), known_keys(schema, path[:-1]))
            if close:
                suggested.add(path[:-1] + (close,))
    problems = []
    for path, message in found:
        if message.lower().startswith("missing data") and path in suggested:
            continue
        item, field_path = _item(path, raw, item_names)
        problems.append(Problem(
            file, _fix(message, path, raw, schema), item, dotted(field_path) or None,
            lines.line_of(path) or 1,
        ))
    return sorted(problems, key=lambda p: (p.line or 0, p.field or ""))


def item_label(section: str, index: int, raw: Mapping[str, Any], item_names: Mapping[str, str]) -> str:
    entry = value_at(raw, (section, index))
    name = entry.get("id") if isinstance(entry, Mapping) else None
    return f"{item_names[section]} '{name}'" if isinstance(name, str) else f"{item_names[section]} #{index + 1}"


def _item(path: Path, raw: Mapping[str, Any], item_names: Mapping[str, str]) -> tuple[str | None, Path]:
    if len(path) >= 2 and path[0] in item_names and isinstance(path[1], int):
        return item_label(str(path[0]), path[1], raw, item_names), path[2:]
    return None, path
