"""Worked cases as data: given answers, the forms that may be advised and the risks that must
(not) appear. Domain experts write them in TOML to test their rules without Python; ``rules
test`` and the test suite run them through the engine. Pure Python, no Flask.

A case file holds ``[[cases]]`` tables::

    [[cases]]
    id = "household-help-by-phone"
    story = "Three professionals arrange help for one household by phone."
    expect_form = ["informal"]             # the acceptable forms (a single id is fine too)
    expect_risks = ["person_dependence"]   # must appear
    forbid_risks = ["bureaucracy"]         # must not appear
    [cases.answers]
    scope = "individual_cases"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .engine import AnswersError, Engine
from .model import Advice
from .packerrors import did_you_mean, flatten
from .tomllines import KeyLines


class CaseFileError(ValueError):
    """A case file that cannot be read; the message names the file, the case and the field."""


class _FormList(fields.Field):
    """One form id or a list of them."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise ValidationError("must be a form id or a non-empty list of form ids")
        return items


class CaseSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1))
    story = fields.String(load_default="")
    answers = fields.Dict(keys=fields.String(), required=True)
    expect_form = _FormList(required=True)
    expect_risks = fields.List(fields.String(), load_default=list)
    forbid_risks = fields.List(fields.String(), load_default=list)
    as_of = fields.Date(load_default=None)
    """Judge the case with the rules in force on this date (``as_of = 2027-01-01``); default: today."""


class CaseFileSchema(Schema):
    class Meta:
        unknown = RAISE

    cases = fields.List(fields.Nested(CaseSchema), required=True)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    story: str
    answers: Mapping[str, Any]
    expect_form: tuple[str, ...]
    expect_risks: tuple[str, ...] = ()
    forbid_risks: tuple[str, ...] = ()
    file: str = ""
    as_of: date | None = None
    lines: Mapping[str, int] = field(default_factory=dict)
    """Where the case and its fields start in the file: ``""`` (the case), ``"expect_form"``, …"""

    def where(self, name: str = "") -> str:
        """``file:line`` of the case or of one of its fields, for messages."""
        line = self.lines.get(name) or self.lines.get("")
        return f"{self.file}:{line}" if line else self.file


@dataclass(slots=True)
class CaseResult:
    case: Case
    problems: list[str] = field(default_factory=list)
    advice: Advice | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def load_cases(path: Path) -> list[Case]:
    """Read one case file; raises :class:`CaseFileError` naming the file, line, case and field."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{name}: cannot be read ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseFileError(f"{name}: is not valid TOML ({exc})") from None
    lines = KeyLines(text)
    if "pack" in raw and "cases" not in raw:
        raise CaseFileError(f"{name}:{lines.line_of(('pack',))}: is a rule pack, not a file of worked cases: "
                            "put it in the plugins folder and give 'rules test' the case files")
    try:
        data = CaseFileSchema().load(raw)
    except ValidationError as exc:
        path_of_error = next(flatten(exc.messages))[0]
        line = lines.line_of(path_of_error) or 1
        raise CaseFileError(f"{name}:{line}: {_where(exc.messages, raw)}") from None
    fields_with_lines = ("expect_form", "expect_risks", "forbid_risks", "answers")
    cases = [
        Case(id=c["id"], story=c["story"], answers=c["answers"], expect_form=tuple(c["expect_form"]),
             expect_risks=tuple(c["expect_risks"]), forbid_risks=tuple(c["forbid_risks"]), file=name,
             as_of=c["as_of"],
             lines={key: line for key in ("",) + fields_with_lines
                    if (line := lines.line_of(("cases", index) + ((key,) if key else ()))) is not None})
        for index, c in enumerate(data["cases"])
    ]
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise CaseFileError(f"{case.where('')}: case '{case.id}': id: used by more than one case "
                                f"(the first is at {seen[case.id].where('')}): give each case an id of its own")
        seen[case.id] = case
    return cases


def _where(messages: Mapping[Any, Any], raw: Mapping[str, Any]) -> str:
    key, detail = next(iter(messages.items()))
    if key == "cases" and isinstance(detail, Mapping):
        index, inner = next(iter(detail.items()))
        entries = raw.get("cases")
        entry = entries[index] if isinstance(entries, list) and isinstance(index, int) else {}
        label = f"case '{entry['id']}'" if isinstance(entry, Mapping) and "id" in entry else f"case #{index + 1}"
        if isinstance(inner, Mapping):
            field_name, text = next(iter(inner.items()))
            return f"{label}: {field_name}: {_text(text)}"
        return f"{label}: {_text(inner)}"
    return f"{key}: {_text(detail)}"


def _text(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return str(detail[0]).rstrip(".").lower()
    if isinstance(detail, Mapping):
        key, inner = next(iter(detail.items()))
        return f"{key}: {_text(inner)}"
    return str(detail)


def run_case(engine: Engine, case: Case, lang: str = "en") -> CaseResult:
    """Advise on the case's answers and compare with what the case expects."""
    result = CaseResult(case)
    problem = result.problems.append
    unknown_forms = [f for f in case.expect_form if f not in engine.forms]
    if unknown_forms:
        problem(f"{case.where('expect_form')}: expect_form: unknown form '{unknown_forms[0]}' "
                f"(known: {', '.join(engine.forms)}){did_you_mean(unknown_forms[0], engine.forms)}")
    for name in ("expect_risks", "forbid_risks"):
        unknown = [r for r in getattr(case, name) if r not in engine.risk_definitions]
        if unknown:
            problem(f"{case.where(name)}: {name}: unknown risk '{unknown[0]}' (is a plugin missing or the id "
                    f"misspelled?){did_you_mean(unknown[0], engine.risk_definitions)}")
    both = sorted(set(case.expect_risks) & set(case.forbid_risks))
    if both:
        problem(f"{case.where('forbid_risks')}: risk '{both[0]}' is both expected and forbidden: keep it in one list")
    try:
        advice = engine.advise(case.answers, lang, as_of=case.as_of)
    except AnswersError as exc:
        result.problems.extend(f"{case.where('answers')}: {k}: {', '.join(v)}" for k, v in exc.errors.items())
        return result
    result.advice = advice
    if not unknown_forms and advice.recommended not in case.expect_form:
        problem(f"{case.where('expect_form')}: expected form {' or '.join(case.expect_form)}, got "
                f"{advice.recommended}: if {advice.recommended} is right, write expect_form = "
                f"\"{advice.recommended}\"; if not, change the points of the rules below")
    raised = {risk.id for risk in advice.risks}
    missing = [r for r in case.expect_risks if r not in raised and r in engine.risk_definitions]
    if missing:
        problem(f"{case.where('expect_risks')}: expected risk(s) {', '.join(missing)} did not appear: check "
                "the risk's 'when' against these answers, or drop it from expect_risks")
    forbidden = [r for r in case.forbid_risks if r in raised]
    if forbidden:
        problem(f"{case.where('forbid_risks')}: forbidden risk(s) {', '.join(forbidden)} appeared: narrow "
                "the risk's 'when', or drop it from forbid_risks")
    if advice.incomplete:
        failed = ", ".join(f"{f.plugin}.{f.hook}: {f.error}" for f in advice.failed_plugins)
        problem(f"a plugin failed, the advice is incomplete: {failed}")
    return result


def _num(value: float) -> str:
    return f"{value:+g}"


def describe(advice: Advice) -> list[str]:
    """The lines that explain an advice: ranking, contributions per rule, risks."""
    tie = " (lightest form chosen within the tie margin)" if advice.tie_break else ""
    lines = ["ranking: " + ", ".join(f"{r.form} {r.score:g}" for r in advice.ranking) + tie]
    for item in advice.explanation:
        points = ", ".join(f"{form} {_num(p)}" for form, p in item.contributions.items())
        lines.append(f"  {item.pack}/{item.rule}: {points}")
    lines.append("risks: " + (", ".join(r.id for r in advice.risks) or "none"))
    return lines


def report_lines(results: Sequence[CaseResult], *, verbose: bool = False) -> list[str]:
    """A readable report: one line per case, the reasons under every failure, a summary."""
    lines = []
    for result in results:
        case = result.case
        if result.passed:
            lines.append(f"PASS {case.id}" + (f" ({result.advice.recommended})" if result.advice else ""))
            if verbose and case.story:
                lines.append(f"     {case.story}")
            continue
        lines.append(f"FAIL {case.id} ({case.where()})")
        if case.story:
            lines.append(f"     {case.story}")
        for problem in result.problems:
            lines.append(f"     - {problem}")
        if result.advice is not None:
            lines.extend(f"     {line}" for line in describe(result.advice))
    failed = sum(1 for r in results if not r.passed)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return lines
