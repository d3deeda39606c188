"""Linting rule packs before they are installed: the logic behind ``rules check``. Pure Python.

Errors are what would stop start-up (a broken file, an unknown option, a collision with a loaded
plugin, a question that is not namespaced). Warnings are what loads but is probably a mistake:
a question no rule reads, a rule that can never fire, an item without a source, a text without
its Dutch or English version, a rule id that another pack uses too.

"Can never fire" is decided exactly, not guessed. A ``when`` table is rewritten as an OR of
AND-groups of single-question tests (``not`` pushed down to the tests). Each single-question
test is compiled by :mod:`advisor.conditions` itself, so the check and the engine cannot disagree.
An AND-group can hold when, for every question it tests, some value of that question passes all
its tests; the values tried are every option (choice), every set of options (multi), the range
ends and every bound the conditions name plus and minus one (integer), and "skipped" when the
question is not required. ``recommended`` is tried with every form. A comparison between the
advice and an answer (``heavier_than``) is taken as possibly true; conditions too large to
expand are taken as satisfiable, so a warning is always a real contradiction.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .conditions import RECOMMENDED, ConditionError, compile_condition
from .decisiontable import table_findings
from .engine import registration_problem, unknown_step
from .model import Form, Question, RiskDefinition, Step
from .packerrors import Problem, did_you_mean, dotted, item_label
from .plugins import PluginLoadError, load_module, module_name
from .rulepack import (
    DEFAULT_MAX_RULES, ITEM_NAMES, REASONS, PackError, RulePack, load_pack, missing_languages,
)
from .validity import evaluation_date

Level = Literal["error", "warning"]
MAX_GROUPS = 4096
"""AND-groups beyond which a condition is not expanded (it is then taken as satisfiable)."""
MAX_MULTI_OPTIONS = 12
"""Multi questions with more options are not enumerated (2^n sets)."""


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    file: str
    item: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return ": ".join(part for part in (where, self.item, self.message) if part)

    @classmethod
    def of(cls, level: Level, problem: Problem) -> Finding:
        return cls(level, problem.file, problem.item, problem.detail, problem.line)


@dataclass(frozen=True, slots=True)
class Loaded:
    """What is already loaded, which the checked packs are checked against."""

    questions: Mapping[str, Question] = field(default_factory=dict)
    forms: Mapping[str, Form] = field(default_factory=dict)
    steps: Mapping[str, Step] = field(default_factory=dict)
    risks: Mapping[str, RiskDefinition] = field(default_factory=dict)
    owners: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(noun, id) to the name of the plugin that defines it."""
    packs: Sequence[RulePack] = ()
    """The loaded TOML packs: the check reads their conditions (which questions they use)."""
    kinds: Mapping[str, str] = field(default_factory=dict)
    """Plugin name to how it was loaded (builtin, entrypoint, directory, registered)."""


@dataclass(slots=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    packs: list[RulePack] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


def pack_files(paths: Iterable[Path], pattern: str = "*.toml") -> list[Path]:
    """Files to check: each file given, and the files matching `pattern` of each folder given."""
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.glob(pattern) if not _skipped(p)) if path.is_dir() else [path]
        for item in found:
            if item.resolve() not in seen:
                seen.add(item.resolve())
                files.append(item)
    return files


def _skipped(path: Path) -> bool:
    """Modules starting with '_' are not plugins (as at start-up); every TOML file is a pack."""
    return path.suffix == ".py" and path.name.startswith("_")


def check_files(
    files: Sequence[Path],
    loaded: Loaded,
    *,
    builtin: Callable[[Path, RulePack], bool] = lambda path, pack: False,
    display: Callable[[Path], str] = str,
    max_rules: int = DEFAULT_MAX_RULES,
) -> Report:
    """Check pack files against what is loaded; a loaded pack with the same id is replaced.

    ``builtin(path, pack)`` says whether a pack counts as built-in (its questions need no
    namespace).
    """
    report = Report()
    targets: list[tuple[RulePack, bool]] = []
    for path in files:
        try:
            pack = load_pack(path, display(path), max_rules=max_rules)
        except PackError as exc:
            report.findings.extend(Finding.of("error", problem) for problem in exc.problems)
            continue
        first = next((other for other, _ in targets if other.id == pack.id), None)
        if first is not None:
            report.findings.append(Finding(
                "error", pack.file, None, f"two packs are named '{pack.id}': {first.file} and {pack.file}: "
                "give one of them another id", pack.lines.line_of(("pack", "id"))))
            continue
        targets.append((pack, builtin(path, pack)))
    report.packs = [pack for pack, _ in targets]
    _check_packs(targets, loaded, report)
    return report


def _check_packs(targets: list[tuple[RulePack, bool]], loaded: Loaded, report: Report) -> None:
    replaced = {pack.id for pack, _ in targets}
    owners = {key: owner for key, owner in loaded.owners.items() if owner not in replaced}
    tables: dict[str, dict[str, Any]] = {
        "step": {k: v for k, v in loaded.steps.items() if owners.get(("step", k))},
        "question": {k: v for k, v in loaded.questions.items() if owners.get(("question", k))},
        "form": {k: v for k, v in loaded.forms.items() if owners.get(("form", k))},
        "risk": {k: v for k, v in loaded.risks.items() if owners.get(("risk", k))},
    }
    for pack, is_builtin in targets:
        report.findings.extend(_register(pack, is_builtin, owners, tables))
    if not tables["form"]:
        report.findings.append(Finding(
            "error", ", ".join(p.file for p, _ in targets) or "(nothing)", None,
            "no collaboration forms are loaded (is the core pack missing?)"))
        return
    questions, forms, steps = tables["question"], tables["form"], tables["step"]
    compiled: list[RulePack] = []
    for pack, _ in targets:
        for index, entry in enumerate(pack.data["questions"]):
            unknown = unknown_step(entry["id"], entry.get("step") or None, steps)
            if unknown is not None:
                report.findings.append(Finding(
                    "error", pack.file, unknown[0], unknown[1] + did_you_mean(entry["step"], steps),
                    pack.lines.line_of(("questions", index, "step"))))
        try:
            pack.compile(questions, forms)
        except PackError as exc:
            report.findings.extend(Finding.of("error", problem) for problem in exc.problems)
            continue
        compiled.append(pack)
    others = [p for p in loaded.packs if p.id not in replaced]
    for pack in compiled:
        report.findings.extend(_warnings(pack, questions, forms))
    report.findings.extend(_unread_questions(compiled, others + compiled))
    report.findings.extend(_shared_ids(compiled, others + compiled))
    report.findings.sort(key=_position)


def check_module(path: Path, start: Callable[[list[tuple[str, object]]], object], display: str) -> list[Finding]:
    """Check a Python plugin module the way start-up would: import it, then ``start`` the
    engine with it added to what is loaded (hook names, collisions, its ``validate_rules``)."""
    try:
        module = load_module(path)
        start([(module_name(module), module)])
    except PluginLoadError as exc:
        return [Finding("error", display, None, line.removeprefix(f"{display}: "))
                for line in str(exc).splitlines()]
    hooks = [name for name in dir(module) if hasattr(getattr(module, name), "advisor_impl")]
    if not hooks:
        return [Finding("warning", display, None, "implements no hook: mark its functions with @hookimpl "
                                                  "(from advisor import hookimpl)")]
    return []


def _position(finding: Finding) -> tuple[int, str, int]:
    """Errors first, then by file and line, as an editor lists them."""
    return (finding.level != "error", finding.file, finding.line or 0)


def _register(pack: RulePack, is_builtin: bool, owners: dict, tables: dict[str, dict[str, Any]]) -> list[Finding]:
    """Add the pack's steps, questions, forms and risks; report what start-up would refuse."""
    problems = []
    definitions = {
        "step": pack.register_steps(), "question": pack.register_questions(),
        "form": pack.register_forms(), "risk": pack.register_risks(),
    }
    sections = {"step": "steps", "question": "questions", "form": "forms", "risk": "risks"}
    for noun, items in definitions.items():
        for item in items:
            problem = registration_problem(noun, item.id, pack.id, owners.get((noun, item.id)), is_builtin)
            if problem is not None:
                collision = "two plugins" in problem[1] and "." not in item.id
                fix = f": rename it, e.g. '{pack.id}.{item.id}'" if collision else ""
                problems.append(Finding("error", pack.file, problem[0], problem[1] + fix,
                                        pack.line_of(sections[noun], item.id, "id")))
                continue
            owners[(noun, item.id)] = pack.id
            tables[noun][item.id] = item
    return problems


# --- Warnings --------------------------------------------------------------------------------


def _warnings(pack: RulePack, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> list[Finding]:
    found: list[Finding] = []

    def warn(path: tuple[str | int, ...], message: str) -> None:
        indexed = len(path) > 1 and isinstance(path[1], int)
        item = item_label(str(path[0]), int(path[1]), pack.data, ITEM_NAMES) if indexed else path[0]
        file, line = pack.file, pack.lines.line_of(path)
        if indexed and path[0] == "rules" and path[1] in pack.origins:
            file, line = pack.origins[int(path[1])]  # a row of a decision table
        found.append(Finding("warning", file, str(item), message, line))

    for table in pack.tables:
        for row, message in table_findings(table.rows, questions):
            found.append(Finding("warning", row.file, f"rule '{row.rule['id']}'", message, row.line))

    if not any(pack.data[section] for section in ITEM_NAMES):
        warn(("pack",), "the pack defines nothing: add [[questions]], [[rules]], [[risks]] or [[conditions]] "
                        "tables (see plugins/README.md)")
    for path, name, text in _texts(pack.data):
        missing = missing_languages(text)
        if missing:
            example = " and ".join(f'{lang} = "…"' for lang in missing)
            warn(path + (name,), f"{name}: no {' and no '.join(missing)} text: add {example}")
    today = evaluation_date()
    for section in ("rules", "risks", "conditions"):
        for index, entry in enumerate(pack.data[section]):
            if entry.get("valid_until") and entry["valid_until"] < today:
                warn((section, index, "valid_until"), f"expired on {entry['valid_until']}: it no longer fires; "
                     "remove it and note the change in the pack's changelog")
            if not entry.get("source", "").strip():
                warn((section, index), "no source: name the article or study it rests on")
            upside_down = _min_above_max(entry.get("when"))
            if upside_down:
                warn((section, index, "when") + upside_down[0], upside_down[1])
                continue
            extra = None
            if section == "conditions" and entry.get("forms"):
                extra = {"recommended": list(entry["forms"])}
            blocked = never_fires(entry.get("when"), questions, forms, extra=extra)
            if blocked is not None:
                warn((section, index, "when"), f"can never fire: {blocked}")
            for i, reason in enumerate(entry.get("reasons", ())):
                when = {"all": [entry["when"], reason["when"]]} if entry.get("when") else reason["when"]
                blocked = never_fires(when, questions, forms)
                if blocked is not None:
                    warn((section, index, "reasons", i, "when"), f"reasons[{i}] can never hold: {blocked}")
            if section == "risks":
                placeholder = sorted(lang for lang, text in entry["why"].items() if REASONS in text)
                if placeholder and not entry.get("reasons"):
                    warn((section, index, "why"), f"why: {REASONS} in {', '.join(placeholder)} but the risk has no reasons")
                elif placeholder and len(placeholder) != len(entry["why"]):
                    warn((section, index, "why"), f"why: {REASONS} in {', '.join(placeholder)} only; the reasons then stand "
                               "in another place in the other language")
    return found


def _min_above_max(when: Any, path: tuple[str | int, ...] = ()) -> tuple[tuple[str | int, ...], str] | None:
    """(path, message) of a range test whose min is above its max, anywhere in `when`."""
    if isinstance(when, list):
        for index, part in enumerate(when):
            found = _min_above_max(part, path + (index,))
            if found:
                return found
        return None
    if not isinstance(when, Mapping):
        return None
    low, high = when.get("min"), when.get("max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        return path, (f"can never fire: {dotted(('when',) + path)} has min {low} above max {high}: "
                      "swap them (min is the lower bound)")
    for key, value in when.items():
        found = _min_above_max(value, path + (key,))
        if found:
            return found
    return None


def _texts(data: Mapping[str, Any]) -> Iterable[tuple[tuple[str | int, ...], str, Any]]:
    """Every person-readable text of a pack: (path of its item, field, text)."""
    header = data["pack"]
    yield ("pack",), "title", header["title"]
    if "description" in header:
        yield ("pack",), "description", header["description"]
    fields_of = {
        "steps": ("title", "intro"), "questions": ("text", "help"),
        "forms": ("name", "summary", "description", "strengths", "weaknesses"),
        "rules": ("because",), "risks": ("title", "why", "advice"), "conditions": ("text",),
    }
    required = {"title", "text", "name", "because", "why", "advice"}
    for section, names in fields_of.items():
        for index, entry in enumerate(data[section]):
            for name in names:
                if name in entry or name in required:
                    yield (section, index), name, entry.get(name)
            for position, option in enumerate(entry.get("options", ()) if section == "questions" else ()):
                yield (section, index, "options", position), f"options.{option['id']}.label", option["label"]
            for i, reason in enumerate(entry.get("reasons", ()) if section == "risks" else ()):
                yield (section, index, "reasons", i), f"reasons[{i}].why", reason["why"]


def _unread_questions(checked: Sequence[RulePack], every: Sequence[RulePack]) -> list[Finding]:
    """Questions no rule pack reads: from the compiled conditions, as the engine sees them."""
    read = set().union(*(pack.reads() for pack in every)) if every else set()
    return [
        Finding("warning", pack.file, f"question '{entry['id']}'",
                "no rule, risk or condition of a rule pack reads it (Python plugins are not inspected)",
                pack.lines.line_of(("questions", index)))
        for pack in checked for index, entry in enumerate(pack.data["questions"]) if entry["id"] not in read
    ]


def _shared_ids(checked: Sequence[RulePack], every: Sequence[RulePack]) -> list[Finding]:
    found = []
    for section, noun in (("rules", "rule"), ("conditions", "condition")):
        for pack in checked:
            for index, entry in enumerate(pack.data[section]):
                others = [o.id for o in every if o.id != pack.id
                          and any(e["id"] == entry["id"] for e in o.data[section])]
                if others:
                    found.append(Finding(
                        "warning", pack.file, f"{noun} '{entry['id']}'",
                        f"the id is also used by pack {', '.join(repr(o) for o in others)}: "
                        "explanations will be hard to tell apart", pack.lines.line_of((section, index, "id"))))
    return found


# --- Can a condition ever hold? --------------------------------------------------------------

_SKIPPED = object()


@dataclass(frozen=True, slots=True)
class _Test:
    question: str
    test: Callable[[Mapping[str, Any]], bool]
    positive: bool = True

    def holds(self, value: Any) -> bool:
        if self.question == RECOMMENDED:
            context = {RECOMMENDED: value}
        else:
            context = {} if value is _SKIPPED else {self.question: value}
        return self.test(context) is self.positive


class _TooLarge(Exception):
    pass


def never_fires(
    when: Mapping[str, Any] | None,
    questions: Mapping[str, Question],
    forms: Mapping[str, Form],
    *,
    extra: Mapping[str, Any] | None = None,
) -> str | None:
    """Why `when` (and `extra`) can never hold, or None when some answers make it hold."""
    tables = [t for t in (when, extra) if t]
    if not tables:
        return None
    bounds: dict[str, set[int]] = {}
    try:
        tree = ("and", [_tree(t, questions, forms, bounds) for t in tables])
        groups = _groups(tree, negate=False)
    except (_TooLarge, ConditionError):
        return None
    blocking: list[str] = []
    for group in groups:
        stuck = _stuck_question(group, questions, forms, bounds)
        if stuck is None:
            return None
        if stuck not in blocking:
            blocking.append(stuck)
    parts = []
    questions_named = [f"'{q}'" for q in blocking if q != RECOMMENDED]
    if questions_named:
        parts.append(f"no answer to {', '.join(questions_named)} meets all its conditions")
    if RECOMMENDED in blocking:
        parts.append("no recommended form meets all its conditions")
    return "; ".join(parts)


def _tree(when: Mapping[str, Any], questions, forms, bounds: dict[str, set[int]]) -> tuple:
    parts = []
    for key, value in when.items():
        if key in ("all", "any"):
            children = [_tree(t, questions, forms, bounds) for t in value]
            parts.append(("and" if key == "all" else "or", children))
        elif key == "not":
            parts.append(("not", _tree(value, questions, forms, bounds)))
        elif key == "recommended":
            if isinstance(value, Mapping):
                parts.append(("unknown",))
            else:
                condition = compile_condition({key: value}, questions, forms, allow_advice=True)
                parts.append(("test", _Test(RECOMMENDED, condition.test)))
        else:
            condition = compile_condition({key: value}, questions, forms, allow_advice=True)
            if isinstance(value, Mapping):
                for op in ("min", "max"):
                    if isinstance(value.get(op), int):
                        bounds.setdefault(key, set()).add(value[op])
            parts.append(("test", _Test(key, condition.test)))
    return ("and", parts)


def _groups(node: tuple, negate: bool) -> list[list[_Test]]:
    """The node as an OR of AND-groups of single-question tests."""
    kind = node[0]
    if kind == "test":
        test: _Test = node[1]
        return [[_Test(test.question, test.test, test.positive != negate)]]
    if kind == "unknown":
        return [[]]
    if kind == "not":
        return _groups(node[1], not negate)
    conjunctive = (kind == "and") != negate
    children = [_groups(child, negate) for child in node[1]]
    if not conjunctive:
        return [group for child in children for group in child]
    result: list[list[_Test]] = [[]]
    for child in children:
        if len(result) * len(child) > MAX_GROUPS:
            raise _TooLarge
        result = [left + right for left, right in itertools.product(result, child)]
    return result


def _stuck_question(group: Sequence[_Test], questions, forms, bounds) -> str | None:
    """The first question no value of which passes all the group's tests on it, or None."""
    by_question: dict[str, list[_Test]] = {}
    for test in group:
        by_question.setdefault(test.question, []).append(test)
    for qid, tests in by_question.items():
        values = _values(qid, questions, forms, bounds)
        if values is None:
            continue
        if not any(all(test.holds(value) for test in tests) for value in values):
            return qid
    return None


def _values(qid: str, questions, forms, bounds) -> list[Any] | None:
    """Every answer worth trying for one question (None: too many to try)."""
    if qid == RECOMMENDED:
        return list(forms)
    question = questions[qid]
    skipped = [] if question.required else [_SKIPPED]
    options = list(question.option_ids())
    if question.kind == "choice":
        return options + skipped
    if question.kind == "multi":
        if len(options) > MAX_MULTI_OPTIONS:
            return None
        sets = [list(combo) for size in range(1, len(options) + 1)
                for combo in itertools.combinations(options, size)]
        return sets + skipped
    low = question.min if question.min is not None else -(10**9)
    high = question.max if question.max is not None else 10**9
    points = {low, high}
    for bound in bounds.get(qid, ()):
        points.update((bound - 1, bound, bound + 1))
    return sorted(p for p in points if low <= p <= high) + skipped
