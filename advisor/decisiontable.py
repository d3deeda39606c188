"""Scoring rules from a spreadsheet: a CSV decision table next to a pack's TOML header.

One row is one rule, as in a DMN decision table with the "collect" hit policy (every row that
holds adds its points)::

    id,when scope,when partners,points informal,points project,because nl,because en,source
    by-phone,individual_cases,..5,2,,Ze bellen elkaar.,They call each other.,004 — …
    many,,20..,-1,2,Veel partners.,Many partners.,002 — …

``when <question>`` cells: empty (any answer), an option id, options separated by ``|`` (one
of them), or a number range ``10..50`` / ``10..`` / ``..50`` / ``12``. ``points <form>`` cells
are numbers (empty: no points). The rows become ordinary rules, so the loader checks them like
any rule; :func:`table_findings` adds what only a table has: rows that overlap (both fire for
some answers, their points add up) and rows that contradict each other (when both fire, one
adds and the other subtracts points for the same form).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Question
from .packerrors import Problem, did_you_mean

_RANGE = re.compile(r"^\s*(-?\d+)?\s*\.\.\s*(-?\d+)?\s*$")
_NUMBER = re.compile(r"^\s*-?\d+\s*$")
FIXED_COLUMNS = ("id", "because nl", "because en", "source")
MAX_PAIRS = 20_000
"""Row pairs beyond which overlaps are not searched (a table of 200 rows)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One rule of a table, with where it is."""

    file: str
    line: int
    rule: dict[str, Any]
    cells: Mapping[str, str] = field(default_factory=dict)
    """Question id to the raw ``when`` cell (non-empty ones)."""


@dataclass(slots=True)
class Table:
    file: str
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_table(path: Path, display: str) -> Table:
    """Read a decision table; problems name the file, the row's line and the column."""
    table = Table(display)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        table.problems.append(Problem(display, f"cannot be read ({exc.strerror}): is the file name in "
                                               "decision_tables right?", line=None))
        return table
    except UnicodeDecodeError:
        table.problems.append(Problem(display, "is not UTF-8 text: export the sheet as 'CSV UTF-8'", line=1))
        return table
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        table.problems.append(Problem(display, "is empty: the first row names the columns (id, when <question>, "
                                               "points <form>, because nl, because en, source)", line=1))
        return table
    columns = [column.strip() for column in header]
    for column in columns:
        if column not in FIXED_COLUMNS and not column.startswith(("when ", "points ")):
            known = list(FIXED_COLUMNS) + ["when <question>", "points <form>"]
            table.problems.append(Problem(display, f"unknown column '{column}' (known: {', '.join(known)})"
                                                   + did_you_mean(column, FIXED_COLUMNS), field=column, line=1))
    if "id" not in columns:
        table.problems.append(Problem(display, "has no 'id' column: every row needs an id", line=1))
        return table
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(columns, (cell.strip() for cell in row), strict=False))
        if len(row) > len(columns):
            table.problems.append(Problem(display, f"has {len(row)} cells, the header {len(columns)}: a comma "
                                                   "inside a text needs quotes around the text", line=line))
            continue
        table.rows.append(_row(display, line, values, table.problems))
    return table


def _row(file: str, line: int, values: Mapping[str, str], problems: list[Problem]) -> Row:
    when: dict[str, Any] = {}
    cells: dict[str, str] = {}
    points: dict[str, float] = {}
    for column, cell in values.items():
        if not cell:
            continue
        if column.startswith("when "):
            question = column.removeprefix("when ").strip()
            cells[question] = cell
            when[question] = _condition(cell)
        elif column.startswith("points "):
            try:
                points[column.removeprefix("points ").strip()] = float(cell.replace(",", "."))
            except ValueError:
                problems.append(Problem(file, f"'{cell}' is not a number: write points like 1.5 or -2",
                                        f"row '{values.get('id', '')}'", column, line))
    because = {lang: values[f"because {lang}"] for lang in ("nl", "en") if values.get(f"because {lang}")}
    rule: dict[str, Any] = {"id": values.get("id", ""), "contributions": points, "because": because}
    if when:
        rule["when"] = when
    if values.get("source"):
        rule["source"] = values["source"]
    return Row(file, line, rule, cells)


def _condition(cell: str) -> Any:
    found = _RANGE.match(cell)
    if found and (found.group(1) or found.group(2)):
        low, high = found.groups()
        return {**({"min": int(low)} if low else {}), **({"max": int(high)} if high else {})}
    if _NUMBER.match(cell):
        return {"min": int(cell), "max": int(cell)}
    options = [part.strip() for part in cell.split("|") if part.strip()]
    return options[0] if len(options) == 1 else options


# --- Overlap and contradiction ---------------------------------------------------------------


def table_findings(rows: Sequence[Row], questions: Mapping[str, Question]) -> list[tuple[Row, str]]:
    """(row, message) for every pair of rows that overlap or contradict each other."""
    found: list[tuple[Row, str]] = []
    pairs = itertools.combinations(rows, 2)
    for first, second in itertools.islice(pairs, MAX_PAIRS):
        both = _both(first, second, questions)
        if both is None:
            continue
        opposite = [
            form for form, points in first.rule["contributions"].items()
            if points * second.rule["contributions"].get(form, 0) < 0
        ]
        where = f"rows {first.line} and {second.line} ('{first.rule['id']}', '{second.rule['id']}')"
        when = "; ".join(both) or "any answers"
        if first.cells == second.cells:
            found.append((second, f"{where} have the same conditions: merge them into one row"))
        elif opposite:
            form = opposite[0]
            found.append((second, (
                f"{where} contradict each other: both fire when {when}, and one gives {form} "
                f"{first.rule['contributions'][form]:+g}, the other {second.rule['contributions'][form]:+g}: "
                "narrow one of the two conditions")))
        else:
            found.append((second, f"{where} overlap: both fire when {when}, and their points add up"))
    return found


def _both(first: Row, second: Row, questions: Mapping[str, Question]) -> list[str] | None:
    """A description of answers for which both rows hold, or None when no answer does."""
    described = []
    for qid in sorted(set(first.cells) | set(second.cells)):
        question = questions.get(qid)
        a, b = first.rule.get("when", {}).get(qid), second.rule.get("when", {}).get(qid)
        if question is None:
            return None  # an unknown question is an error reported elsewhere
        if a is None or b is None:
            described.append(f"{qid} = {_describe(a if a is not None else b)}")
            continue
        if question.kind == "integer":
            if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
                return None
            low = max(a.get("min", -(10**9)), b.get("min", -(10**9)))
            high = min(a.get("max", 10**9), b.get("max", 10**9))
            if low > high:
                return None
            described.append(f"{qid} = {_describe({'min': low, 'max': high})}")
        elif question.kind == "choice":
            common = [o for o in _options(a) if o in _options(b)]
            if not common:
                return None
            described.append(f"{qid} = {'|'.join(common)}")
        else:  # a multi answer can hold options of both cells at once
            described.append(f"{qid} has {_describe(a)} and {_describe(b)}")
    return described


def _options(condition: Any) -> list[str]:
    return [condition] if isinstance(condition, str) else [c for c in condition if isinstance(c, str)]


def _describe(condition: Any) -> str:
    if isinstance(condition, Mapping):
        low, high = condition.get("min"), condition.get("max")
        if low is not None and low == high:
            return str(low)
        return f"{'' if low is None or low <= -(10**9) else low}..{'' if high is None or high >= 10**9 else high}"
    return "|".join(_options(condition))
