"""Declarative rule packs: a TOML file becomes a pluggy plugin like any Python plugin.

Loading has two stages. ``load_pack`` reads the file and validates its shape with marshmallow
(a missing text or a wrong type names the file, the item and the field). ``validate_rules``,
the start-up hook, then checks the pack against everything loaded (questions and forms of other
packs) and compiles its conditions into generated Python (advisor.packcode): one function tests
all rules in order, so an advice costs a few comparisons per rule. With a cache folder both
stages are kept between starts, keyed by the pack's content.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import tomllib
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from . import packcode
from .conditions import MAX_NESTING, RECOMMENDED, Condition, ConditionError, Source, compile_condition
from .hookspecs import hookimpl
from .model import (
    LANGUAGES,
    MAX_POINTS,
    Answers,
    Contribution,
    Form,
    Option,
    Question,
    RiskDefinition,
    RiskFinding,
    Step,
    SuccessCondition,
    Text as TextType,
)
from .packerrors import Problem, did_you_mean, item_label, shape_problems
from .tomllines import KeyLines, field_path
from .unchecked import OpenTest, open_expression
from .validity import evaluation_date

ID = validate.Regexp(r"^[a-z0-9][a-z0-9_\-]*$", error="must be lower-case letters, digits, '_' or '-'")
QUESTION_ID = validate.Regexp(
    r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)?$",
    error="must be lower-case letters, digits, '_' or '-', with one optional '.' namespace",
)


log = logging.getLogger("advisor.packs")

DEFAULT_MAX_RULES = 10_000
"""Rules per pack unless ``RULES_MAX_PER_PACK`` says otherwise. Each rule costs start-up time and
memory in every worker (100,000 rules: ~40 s and ~500 MiB per worker); the built-in packs have
tens."""
PARSE_RECURSION_LIMIT = 20_000
"""Python's recursion limit while TOML is read: `tomllib` recurses once per nested inline table,
and a pack nested deeper than the default limit allows must still get a message naming its
rule and field (from the condition compiler's nesting limit), not a RecursionError."""


class PackError(ValueError):
    """A pack that cannot be loaded. Its `problems` name the file, line, item and field of each
    thing wrong (all of them, not only the first); the message is one line per problem."""

    def __init__(
        self, file: str, message: str, item: str | None = None, field: str | None = None,
        *, line: int | None = None, problems: Sequence[Problem] = (),
    ):
        self.problems = list(problems) or [Problem(file, message, item, field, line)]
        first = self.problems[0]
        super().__init__("\n".join(str(problem) for problem in self.problems))
        self.file, self.item, self.field, self.line = first.file, first.item, first.field, first.line


# --- The shape of a pack ---------------------------------------------------------------------


class TextSchema(Schema):
    """A text in Dutch and/or English. A missing language is a warning of `rules check`."""

    class Meta:
        unknown = RAISE

    nl = fields.String(validate=validate.Length(min=1))
    en = fields.String(validate=validate.Length(min=1))

    @validates_schema
    def needs_a_language(self, data: dict, **kwargs: Any) -> None:
        if not data:
            raise ValidationError("give the text in at least one language (nl, en)")


class TextListSchema(Schema):
    class Meta:
        unknown = RAISE

    nl = fields.List(fields.String())
    en = fields.List(fields.String())


def Text(**kwargs: Any) -> fields.Nested:
    return fields.Nested(TextSchema, **kwargs)


class ChangelogEntrySchema(Schema):
    version = fields.String(required=True, validate=validate.Length(min=1))
    date = fields.Date()
    changes = Text(required=True)


class HeaderSchema(Schema):
    id = fields.String(required=True, validate=ID)
    version = fields.String(required=True, validate=validate.Length(min=1))
    title = Text(required=True)
    description = Text()
    changelog = fields.List(fields.Nested(ChangelogEntrySchema))
    """What changed per version, newest first: shown by ``plugins list`` and ``GET /api/v1/plugins``."""
    decision_tables = fields.List(fields.String(validate=validate.Length(min=1)))
    """CSV files (next to the pack) whose rows are more scoring rules; see advisor/decisiontable.py."""


class StepSchema(Schema):
    id = fields.String(required=True, validate=ID)
    title = Text(required=True)
    intro = Text()
    order = fields.Integer(strict=True)


class OptionSchema(Schema):
    id = fields.String(required=True, validate=ID)
    label = Text(required=True)


class QuestionSchema(Schema):
    id = fields.String(required=True, validate=QUESTION_ID)
    kind = fields.String(required=True, validate=validate.OneOf(["choice", "multi", "integer"]))
    text = Text(required=True)
    help = Text()
    required = fields.Boolean(load_default=False)
    situation = fields.Boolean(load_default=False, metadata={"description": (
        "True when the answer describes the situation (the partners, the time it runs), not a choice "
        "the collaboration makes: what would change the advice names it last.")})
    step = fields.String()
    order = fields.Integer(strict=True)
    options = fields.List(fields.Nested(OptionSchema))
    min = fields.Integer(strict=True)
    max = fields.Integer(strict=True)

    @validates_schema
    def kind_fits(self, data: dict, **kwargs: Any) -> None:
        if data.get("kind") == "integer":
            if "options" in data:
                raise ValidationError("a number question has min and max, not options", "options")
            if "min" in data and "max" in data and data["min"] > data["max"]:
                raise ValidationError(
                    f"min is larger than max ({data['min']} > {data['max']}): swap them", "min")
        elif data.get("kind") in ("choice", "multi"):
            if not data.get("options"):
                raise ValidationError("a choice question needs at least one option", "options")
            ids = [option["id"] for option in data["options"]]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValidationError(f"duplicate option id {', '.join(duplicates)}", "options")


class FormSchema(Schema):
    id = fields.String(required=True, validate=ID)
    order = fields.Integer(required=True, strict=True)
    name = Text(required=True)
    summary = Text()
    description = Text()
    strengths = fields.Nested(TextListSchema)
    weaknesses = fields.Nested(TextListSchema)


class Points(fields.Float):
    """Points for a form: a TOML number. A quoted "1.5" is a mistake to report, not to convert."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, (str, bool)):
            raise self.make_error("invalid")
        return super()._validated(value)


class _Dated(Schema):
    """``valid_from`` / ``valid_until``: TOML dates (``valid_from = 2027-01-01``), both inclusive."""

    valid_from = fields.Date()
    valid_until = fields.Date()

    @validates_schema
    def in_order(self, data: dict, **kwargs: Any) -> None:
        low, high = data.get("valid_from"), data.get("valid_until")
        if low is not None and high is not None and low > high:
            raise ValidationError(f"valid_from {low} is after valid_until {high}: swap them", "valid_from")


class RuleSchema(_Dated):
    id = fields.String(required=True, validate=ID)
    when = fields.Dict(keys=fields.String())
    contributions = fields.Dict(
        keys=fields.String(), required=True,
        values=Points(allow_nan=False, validate=validate.Range(
            -MAX_POINTS, MAX_POINTS, error=f"points must be from -{MAX_POINTS:,} to {MAX_POINTS:,}")),
        validate=validate.Length(min=1, error="give points to at least one form"),
    )
    because = Text(required=True)
    source = fields.String()


class RiskReasonSchema(Schema):
    """One way a risk can fire, with the sentence that says so; only the ones that hold are shown."""

    class Meta:
        unknown = RAISE

    when = fields.Dict(keys=fields.String(), required=True)
    why = Text(required=True)


class RiskSchema(_Dated):
    id = fields.String(required=True, validate=QUESTION_ID)
    severity = fields.String(required=True, validate=validate.OneOf(["info", "warning", "critical"]))
    when = fields.Dict(keys=fields.String())
    reasons = fields.List(fields.Nested(RiskReasonSchema), validate=validate.Length(min=1))
    title = Text(required=True)
    why = Text(required=True)
    advice = Text(required=True)
    source = fields.String()


class SuccessConditionSchema(Schema):
    id = fields.String(required=True, validate=ID)
    forms = fields.List(fields.String(), validate=validate.Length(min=1))
    when = fields.Dict(keys=fields.String())
    text = Text(required=True)
    source = fields.String()
    informal_layer = fields.Boolean(load_default=False, metadata={
        "description": "Shown in the advice's own 'keep the informal layer' place, not among the conditions."})


class PackSchema(Schema):
    class Meta:
        unknown = RAISE

    pack = fields.Nested(HeaderSchema, required=True)
    steps = fields.List(fields.Nested(StepSchema), load_default=list)
    questions = fields.List(fields.Nested(QuestionSchema), load_default=list)
    forms = fields.List(fields.Nested(FormSchema), load_default=list)
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    risks = fields.List(fields.Nested(RiskSchema), load_default=list)
    conditions = fields.List(fields.Nested(SuccessConditionSchema), load_default=list)


ITEM_NAMES = {
    "steps": "step", "questions": "question", "forms": "form", "rules": "rule",
    "risks": "risk", "conditions": "condition",
}

_PACK_SCHEMA = PackSchema()


def _first_error(messages: Any, raw: Mapping[str, Any]) -> tuple[str | None, str, str]:
    """Turn marshmallow's nested messages into (item, field, message) for the first error."""
    section, rest = next(iter(sorted(messages.items(), key=lambda kv: str(kv[0]))))
    if section in ITEM_NAMES and isinstance(rest, Mapping):
        index, detail = next(iter(rest.items()))
        entries = raw.get(section)
        entry = entries[index] if isinstance(entries, list) and isinstance(index, int) and index < len(entries) else {}
        name = entry.get("id") if isinstance(entry, Mapping) else None
        item = f"{ITEM_NAMES[section]} '{name}'" if name else f"{ITEM_NAMES[section]} #{index + 1}"
        field, message = _flatten(detail)
        return item, field, message
    field, message = _flatten(rest)
    return None, f"{section}.{field}" if field else str(section), message


def _flatten(detail: Any, prefix: str = "") -> tuple[str, str]:
    if isinstance(detail, Mapping):
        key, inner = next(iter(detail.items()))
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(key, int):
            name = f"{prefix}[{key}]"
        elif key == "value" and prefix:  # marshmallow's Dict: {key: {"value": [message]}}
            name = prefix
        return _flatten(inner, name)
    if isinstance(detail, list) and detail:
        return prefix, str(detail[0]).rstrip(".").lower()
    return prefix, str(detail)


# --- Loading ---------------------------------------------------------------------------------


def load_pack(path: Path, display_name: str | None = None, *, max_rules: int = DEFAULT_MAX_RULES,
              cache: packcode.PackCache | None = None) -> RulePack:
    """Read and shape-check one TOML pack; raises :class:`PackError` naming the file and field.

    With a `cache`, a pack read before (same bytes, same decision tables, same code) comes from
    it without reading TOML or validating again, and compiles from it too; a pack that has a
    problem is never cached, so its errors show at every start."""
    name = display_name or str(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PackError(name, f"cannot be read ({exc.strerror})") from None
    if cache is None:
        return parse_pack(content, name, folder=path.parent, max_rules=max_rules)
    entry_key = packcode.key("pack", name, hashlib.sha256(content).hexdigest())
    pack = _cached_pack(cache, entry_key, content, name, path.parent, max_rules)
    if pack is None:
        cache.misses += 1
        pack = parse_pack(content, name, folder=path.parent, max_rules=max_rules)
        try:
            tables = [(file, hashlib.sha256((path.parent / file).read_bytes()).hexdigest())
                      for file in pack.data["pack"].get("decision_tables", ())]
        except OSError:  # a table went away since it was read: do not cache what cannot be checked
            tables = None
        if tables is not None:
            cache.store_data(entry_key, {"data": pack.data, "digest": pack.digest, "origins": pack.origins,
                                         "tables": pack.tables, "table_files": tables,
                                         "own_rules": len(pack.data["rules"]) - len(pack.origins)})
    else:
        cache.hits += 1
    pack.cache = cache
    return pack


def _cached_pack(cache: packcode.PackCache, entry_key: str, content: bytes, name: str, folder: Path,
                 max_rules: int) -> RulePack | None:
    """The pack from its cache entry, or None when there is none or it no longer holds (a
    decision table changed, the rule limit was lowered below its rules)."""
    entry = cache.load_data(entry_key)
    if not isinstance(entry, dict):
        return None
    try:
        for file, digest in entry["table_files"]:
            if hashlib.sha256((folder / file).read_bytes()).hexdigest() != digest:
                return None
        if max_rules and entry["own_rules"] > max_rules:
            return None
        pack = RulePack(entry["data"], name, entry["digest"], _LazyLines(content.decode("utf-8")))
        pack.origins, pack.tables = entry["origins"], entry["tables"]
    except Exception:  # OSError of a table, or an entry of another shape: read the pack again
        return None
    return pack


class _LazyLines:
    """The keys' lines of a pack, found only when a message needs one: scanning the text costs
    as much as reading the TOML, and a valid pack rarely needs a line."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: KeyLines | None = None

    def _found(self) -> KeyLines:
        if self._lines is None:
            self._lines = _key_lines(self._text)
        return self._lines

    def line_of(self, path: Sequence[str | int]) -> int | None:
        return self._found().line_of(path)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._found(), name)


def parse_pack(content: bytes, name: str, folder: Path | None = None, *,
               max_rules: int = DEFAULT_MAX_RULES) -> RulePack:
    """Shape-check a pack's bytes; :class:`PackError` lists every problem with its line."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[:exc.start].count(b"\n") + 1
        raise PackError(name, f"is not UTF-8 text (byte 0x{content[exc.start]:02x}): save the file "
                              "with the encoding UTF-8", line=line) from None
    try:
        raw = _read_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_syntax(exc, name) from None
    except RecursionError:
        raise PackError(name, f"nests tables too deeply to be read (conditions may nest {MAX_NESTING} levels)") from None
    lines = _LazyLines(text)
    if not raw:
        raise PackError(name, "is empty: a pack starts with a [pack] table (id, version, title), then its "
                              "questions, rules or risks; see plugins/README.md", line=1)
    if "cases" in raw and "pack" not in raw:
        raise PackError(name, "is a file of worked cases ([[cases]]), not a rule pack: keep case files out of "
                              "the plugins folder and run them with 'rules test'", line=lines.line_of(("cases",)))
    rules = raw.get("rules")
    if max_rules and isinstance(rules, list) and len(rules) > max_rules:
        raise PackError(name, f"has {len(rules):,} rules, more than the {max_rules:,} allowed "
                        "(RULES_MAX_PER_PACK); split it into packs or raise the limit", None, "rules",
                        line=lines.line_of(("rules",)))
    digest = hashlib.sha256(content)
    raw, origins, tables = _with_table_rules(raw, name, folder, lines, digest)
    try:
        data = _PACK_SCHEMA.load(raw)
    except ValidationError as exc:
        problems = shape_problems(exc.messages, raw, _PACK_SCHEMA, name, lines, ITEM_NAMES)
        problems = [_at_origin(problem, origins, raw) for problem in problems]
        raise PackError(name, problems[0].message, problems=problems + _table_problems(tables)) from None
    if _table_problems(tables):
        problems = _table_problems(tables)
        raise PackError(name, problems[0].message, problems=problems)
    _check_unique_ids(data, name, lines)
    pack = RulePack(data, name, digest.hexdigest(), lines)
    pack.origins, pack.tables = origins, tables
    return pack


def _key_lines(text: str) -> KeyLines:
    """The keys' lines, with the same room for deep nesting as the TOML reader had."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, PARSE_RECURSION_LIMIT))
    try:
        return KeyLines(text)
    finally:
        sys.setrecursionlimit(limit)


def _read_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads` with room for deep nesting (Python 3.11+ recurses without C stack here)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, PARSE_RECURSION_LIMIT))
    try:
        return tomllib.loads(text)
    finally:
        sys.setrecursionlimit(limit)


def _with_table_rules(
    raw: dict[str, Any], name: str, folder: Path | None, lines: KeyLines, digest: Any,
) -> tuple[dict[str, Any], dict[int, tuple[str, int]], list[Any]]:
    """The pack with the rows of its decision tables appended to its rules, where each of those
    rules comes from (rule index -> (file, line)), and the tables read."""
    from .decisiontable import Table, read_table

    header = raw.get("pack")
    files = header.get("decision_tables") if isinstance(header, Mapping) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return raw, {}, []
    tables = []
    for position, file in enumerate(files):
        if folder is None:
            table = Table(file)
            table.problems.append(Problem(name, "decision tables can only be read from a pack file",
                                          "pack", f"decision_tables[{position}]",
                                          lines.line_of(("pack", "decision_tables"))))
        else:
            path = folder / file
            table = read_table(path, str(Path(name).parent / file))
            if path.is_file():
                digest.update(path.read_bytes())
        tables.append(table)
    own = raw.get("rules") if isinstance(raw.get("rules"), list) else []
    origins: dict[int, tuple[str, int]] = {}
    rules = list(own)
    for table in tables:
        for row in table.rows:
            origins[len(rules)] = (row.file, row.line)
            rules.append(row.rule)
    return {**raw, "rules": rules}, origins, tables


def _table_problems(tables: Sequence[Any]) -> list[Problem]:
    return [problem for table in tables for problem in table.problems]


def _at_origin(problem: Problem, origins: Mapping[int, tuple[str, int]], raw: Mapping[str, Any]) -> Problem:
    """A shape problem of a rule from a decision table, placed at its row."""
    match = re.match(r"rule (?:'(.*)'|#(\d+))$", problem.item or "")
    if not match or not origins:
        return problem
    index = int(match.group(2)) - 1 if match.group(2) else next(
        (i for i, rule in enumerate(raw["rules"]) if isinstance(rule, Mapping) and rule.get("id") == match.group(1)),
        None)
    if index is None or index not in origins:
        return problem
    file, line = origins[index]
    return replace(problem, file=file, line=line)


def _toml_syntax(exc: tomllib.TOMLDecodeError, name: str) -> PackError:
    """tomllib's message with its position as the line of the problem, and what usually fixes it."""
    message = str(exc)
    where = re.search(r" \(at line (\d+), column (\d+)\)$", message)
    if where is None:
        return PackError(name, f"is not valid TOML ({message})")
    what = message[:where.start()]
    return PackError(
        name, f"is not valid TOML: {what[0].lower()}{what[1:]} (column {where.group(2)}): check the quotes, "
              "brackets and '=' on this line (a text needs quotes: key = \"text\")",
        line=int(where.group(1)),
    )


def _check_unique_ids(data: Mapping[str, Any], name: str, lines: KeyLines | _LazyLines) -> None:
    problems = []
    for section, item_name in ITEM_NAMES.items():
        first: dict[str, int] = {}
        for index, entry in enumerate(data[section]):
            if entry["id"] in first:
                first_line = lines.line_of((section, first[entry["id"]], "id"))
                problems.append(Problem(
                    name, f"duplicate {item_name} id (the first is on line {first_line}): give each "
                          f"{item_name} an id of its own", f"{item_name} '{entry['id']}'", "id",
                    lines.line_of((section, index, "id"))))
            else:
                first[entry["id"]] = index
    if problems:
        raise PackError(name, problems[0].message, problems=problems)


# --- The pack as a plugin --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    index: int
    condition: Condition
    contribution: Contribution
    valid_from: date | None = None
    valid_until: date | None = None


def _untested(_: Mapping[str, Any]) -> bool:
    """A rule's own test: rules are tested together by the pack's generated ``score``."""
    raise TypeError("a compiled rule is tested by its pack's score function")


def _no_rules(answers: Answers, day: date | None, totals: dict[str, float]) -> list[Contribution]:
    return []


def _nothing(*_: Any) -> list[Any]:
    return []


@dataclass(frozen=True, slots=True)
class _CompiledReason:
    condition: Condition
    why: TextType


@dataclass(frozen=True, slots=True)
class _CompiledRisk:
    condition: Condition
    finding: RiskFinding
    reasons: tuple[_CompiledReason, ...]
    """Empty, or the ways the risk fires: at least one must hold, and the why names those."""
    open: OpenTest
    """The three-valued reading: the skipped questions that decide whether it fires, if any."""
    reads: tuple[str, ...]
    """Every question the risk and its reasons look at."""
    valid_from: date | None = None
    valid_until: date | None = None
    with_reasons: dict[tuple[bool, ...], RiskFinding] = field(default_factory=dict)
    """The findings made so far, by how the reasons' tests came out."""

    def held(self, tests: tuple[bool, ...]) -> RiskFinding | None:
        """The finding of a risk that holds when its reasons' `tests` (one per reason, in
        order; the pack's generated ``assess`` makes them) came out so; None when no reason holds."""
        found = self.with_reasons.get(tests)
        if found is None:
            held = [reason for reason, holds in zip(self.reasons, tests, strict=True) if holds]
            if not held:
                return None
            found = self._with_reasons(held)
            if len(self.with_reasons) < MAX_KEPT_FINDINGS:
                self.with_reasons[tests] = found
        return found

    def _with_reasons(self, held: list[_CompiledReason]) -> RiskFinding:
        """The finding whose why names the reasons that hold (the same for the same reasons:
        kept in ``with_reasons``, at most one per combination of the risk's reasons)."""
        base = self.finding
        languages = dict.fromkeys([*base.why, *(lang for reason in held for lang in reason.why)])
        why = {lang: _with_reasons(base.why.get(lang, ""), [r.why[lang] for r in held if lang in r.why])
               for lang in languages}
        reads = tuple(dict.fromkeys([*self.condition.reads, *(q for r in held for q in r.condition.reads)]))
        return RiskFinding(id=base.id, severity=base.severity, title=base.title, why=why,
                           advice=base.advice, source=base.source, reads=reads)


@dataclass(frozen=True, slots=True)
class _CompiledSuccessCondition:
    forms: frozenset[str] | None
    condition: Condition
    item: SuccessCondition


class RulePack:
    """One TOML pack, registered with pluggy; its methods are the hooks it implements."""

    def __init__(self, data: Mapping[str, Any], file: str, digest: str,
                 lines: KeyLines | _LazyLines | None = None) -> None:
        header = data["pack"]
        self.id: str = header["id"]
        self.version: str = header["version"]
        self.title: Mapping[str, str] = header["title"]
        self.changelog: list[Mapping[str, Any]] = list(header.get("changelog", ()))
        self.file = file
        self.digest = digest
        self.data = data
        self.lines = lines or KeyLines("")
        self.origins: dict[int, tuple[str, int]] = {}
        """Rules from decision tables: rule index -> (CSV file, line)."""
        self.tables: list[Any] = []
        self._steps = [_step(entry, i) for i, entry in enumerate(data["steps"])]
        self._questions = [_question(entry, i) for i, entry in enumerate(data["questions"])]
        self._forms = [_form(entry) for entry in data["forms"]]
        self._risk_definitions = [
            RiskDefinition(id=r["id"], severity=r["severity"], title=r["title"], source=r.get("source", ""))
            for r in data["risks"]
        ]
        self.cache: packcode.PackCache | None = None
        """Where the compiled module is kept between starts (None: compiled at every start)."""
        self._rules: list[_CompiledRule] = []
        self._score: Callable[[Answers, date | None, dict[str, float]], list[Contribution]] = _no_rules
        """The generated ``score`` function: the contributions of the rules that hold, in order."""
        self._forms_scored: tuple[str, ...] = ()
        self._risks: list[_CompiledRisk] = []
        self._assess: Callable[[Mapping[str, Any], date | None], list[RiskFinding]] = _nothing
        """The generated ``assess``: the findings of the risks that hold, in order."""
        self._conditions: list[_CompiledSuccessCondition] = []
        self._conditions_of: Callable[[Mapping[str, Any], str], list[SuccessCondition]] = _nothing
        """The generated ``conditions``: the success conditions that hold, in order."""
        self._unchecked: Callable[[Mapping[str, Any], date | None, Container[str]], list[tuple[int, Any]]] = _nothing
        """The generated ``unchecked``: (risk index, three-valued reading) of the risks to read so."""
        self._dated = False
        """Whether any rule or risk has a validity period (only then is the date looked at)."""

    def __repr__(self) -> str:
        return f"<RulePack {self.id} {self.version} from {self.file}>"

    def used_hooks(self) -> set[str]:
        """The hooks this pack's data gives content to (all packs validate their rules)."""
        sections = {
            "steps": "register_steps", "questions": "register_questions", "forms": "register_forms",
            "rules": "score_forms", "conditions": "success_conditions",
        }
        used = {hook for section, hook in sections.items() if self.data[section]}
        if self.data["risks"]:
            used |= {"register_risks", "assess_risks"}
        return used | {"validate_rules"}

    # Start-up hooks -----------------------------------------------------------------------

    @hookimpl
    def register_steps(self) -> list[Step]:
        return list(self._steps)

    @hookimpl
    def register_questions(self) -> list[Question]:
        return list(self._questions)

    @hookimpl
    def register_forms(self) -> list[Form]:
        return list(self._forms)

    @hookimpl
    def register_risks(self) -> list[RiskDefinition]:
        return list(self._risk_definitions)

    @hookimpl
    def validate_rules(
        self, questions: Mapping[str, Question], forms: Mapping[str, Form]
    ) -> list[str]:
        """Cross-check the pack against everything loaded, then compile its conditions."""
        try:
            self.compile(questions, forms)
        except PackError as exc:
            return [str(problem) for problem in exc.problems]
        return []

    def line_of(self, section: str, item_id: str, field: str | None = None) -> int | None:
        """The line of an item (by id) or of one of its fields, e.g. ``("rules", "r", "when.scope")``."""
        for index, entry in enumerate(self.data.get(section, ())):
            if entry.get("id") == item_id:
                return self.lines.line_of((section, index) + (field_path(field) if field else ()))
        return None

    def problem(self, section: str, index: int, message: str, field: str | None = None) -> Problem:
        """A problem of one item, with its line (its row, for a rule from a decision table)."""
        if section == "rules" and index in self.origins:
            file, line = self.origins[index]
            return Problem(file, message, item_label(section, index, self.data, ITEM_NAMES), field, line)
        return Problem(
            self.file, message, item_label(section, index, self.data, ITEM_NAMES), field,
            self.lines.line_of((section, index) + (field_path(field) if field else ())),
        )

    def compile(self, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> None:
        """Check every condition and form id against what is loaded and compile them into the
        pack's generated module (see :mod:`advisor.packcode`); raises :class:`PackError`
        listing every problem of the pack, each with its line.

        With a cache, a pack already compiled against the same definitions is not checked
        again: its entry was only written once it had no problem."""
        cache = self.cache
        entry_key = None
        if cache is not None:
            entry_key = packcode.key("code", self.digest, packcode.definitions_digest(questions, forms))
            code = cache.load_code(entry_key)
            if code is not None:
                try:
                    self._install(code, questions, forms)
                    cache.hits += 1
                    return
                except Exception:  # an entry that does not fit: compile again
                    log.warning("compiled pack cache: the entry of %s does not load; compiling again",
                                self.file, exc_info=True)
            cache.misses += 1
        source = self._generate(questions, forms)
        code = compile(source, f"<compiled pack {self.id}>", "exec")
        self._install(code, questions, forms)
        if cache is not None and entry_key is not None:
            cache.store_code(entry_key, code)
            cache.store_source(entry_key, source)

    def _generate(self, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> str:
        """The pack's module source, after checking every condition (problems raise)."""
        data = self.data
        problems: list[Problem] = []
        src = Source()
        rules: list[packcode.RuleCode] = []
        rule_reads = []
        for index, entry in enumerate(data["rules"]):
            for form_id in entry["contributions"]:
                if form_id not in forms:
                    problems.append(
                        self.problem("rules", index, _unknown_form(form_id, forms), f"contributions.{form_id}"))
            condition = self._compile(entry.get("when"), questions, forms, "rules", index, problems,
                                      allow_advice=False, source=src)
            if condition is None:
                continue
            rules.append(packcode.RuleCode(str(condition.expr),
                                           bool(entry.get("valid_from") or entry.get("valid_until")),
                                           entry["contributions"]))
            rule_reads.append(condition.reads)
        risks = []
        risk_reads = []
        opens: list[str] = []
        dated_risks: list[bool] = []
        for index, entry in enumerate(data["risks"]):
            condition = self._compile(entry.get("when"), questions, forms, "risks", index, problems,
                                      allow_advice=True, source=src)
            reasons = [
                self._compile(reason["when"], questions, forms, "risks", index, problems, allow_advice=True,
                              prefix=f"reasons[{i}]", source=src)
                for i, reason in enumerate(entry.get("reasons", ()))
            ]
            if condition is None or None in reasons:
                continue
            risks.append((str(condition.expr), [str(reason.expr) for reason in reasons if reason]))
            opened = open_expression(entry.get("when"), questions, forms, src)
            if entry.get("reasons"):
                opened = f"_and3({opened}, _or3({', '.join(open_expression(r['when'], questions, forms, src) for r in entry['reasons'])}))"
            opens.append(opened)
            risk_reads.append((condition.reads, tuple(reason.reads for reason in reasons if reason)))
            dated_risks.append(bool(entry.get("valid_from") or entry.get("valid_until")))
        conditions = []
        condition_reads = []
        for index, entry in enumerate(data["conditions"]):
            wanted = entry.get("forms")
            for position, form_id in enumerate(wanted or ()):
                if form_id not in forms:
                    problems.append(
                        self.problem("conditions", index, _unknown_form(form_id, forms), f"forms[{position}]"))
            condition = self._compile(
                entry.get("when"), questions, forms, "conditions", index, problems, allow_advice=True, source=src)
            if condition is None:
                continue
            conditions.append(str(condition.expr))
            condition_reads.append(condition.reads)
        if problems:
            raise PackError(self.file, problems[0].message, problems=problems)
        return packcode.generate(self.id, src.constants, src.names, rules, rule_reads, risks, risk_reads,
                                 conditions, condition_reads, opens, dated_risks)

    def _install(self, code: Any, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> None:
        """Bind the compiled module to this pack's contributions and texts and use it."""
        data = self.data
        rule_entries, risk_entries, condition_entries = data["rules"], data["risks"], data["conditions"]
        contributions = []
        namespace_dates = {}
        rules = []
        namespace = packcode.run(code, R=(), D={})
        rule_reads = namespace["RULE_READS"]
        if len(rule_reads) != len(rule_entries) or len(namespace["RISKS"]) != len(risk_entries) or len(
                namespace["CONDITIONS"]) != len(condition_entries):
            raise ValueError("the compiled module does not fit the pack")
        for index, (entry, reads) in enumerate(zip(rule_entries, rule_reads, strict=True)):
            contribution = Contribution(
                rule=entry["id"], contributions=MappingProxyType(dict(entry["contributions"])),
                because=entry["because"], source=entry.get("source", ""), reads=reads,
            )
            contributions.append(contribution)
            valid_from, valid_until = entry.get("valid_from"), entry.get("valid_until")
            if valid_from or valid_until:
                namespace_dates[index] = (valid_from, valid_until)
            rules.append(_CompiledRule(index, Condition(test=_untested, reads=reads), contribution,
                                       valid_from, valid_until))
        namespace["R"], namespace["D"] = tuple(contributions), namespace_dates
        risks = []
        for entry, (test, reason_tests), (reads, reasons_reads), open_test in zip(
                risk_entries, namespace["RISKS"], namespace["RISK_READS"], namespace["OPEN"], strict=True):
            compiled_reasons = tuple(
                _CompiledReason(Condition(test=reason_test, reads=reason_reads), reason["why"])
                for reason_test, reason_reads, reason in zip(
                    reason_tests, reasons_reads, entry.get("reasons", ()), strict=True)
            )
            all_reads = tuple(dict.fromkeys([*reads, *(q for r in compiled_reasons for q in r.condition.reads)]))
            risks.append(_CompiledRisk(Condition(test=test, reads=reads), RiskFinding(
                id=entry["id"], severity=entry["severity"], title=entry["title"], why=entry["why"],
                advice=entry["advice"], source=entry.get("source", ""), reads=reads,
            ), compiled_reasons, open_test, all_reads, entry.get("valid_from"), entry.get("valid_until")))
        conditions = []
        for entry, test, reads in zip(condition_entries, namespace["CONDITIONS"], namespace["CONDITION_READS"],
                                      strict=True):
            wanted = entry.get("forms")
            conditions.append(_CompiledSuccessCondition(
                frozenset(wanted) if wanted else None, Condition(test=test, reads=reads),
                SuccessCondition(id=entry["id"], text=entry["text"], source=entry.get("source", ""),
                                 informal_layer=entry["informal_layer"]),
            ))
        namespace["F"] = tuple(risk.finding for risk in risks)
        namespace["W"] = lambda index, tests: risks[index].held(tests)
        namespace["RD"] = tuple((risk.valid_from, risk.valid_until) for risk in risks)
        namespace["CF"] = tuple(entry.forms for entry in conditions)
        namespace["C"] = tuple(entry.item for entry in conditions)
        namespace["I"] = tuple(risk.finding.id for risk in risks)
        self._rules = rules
        self._score = namespace["score"]
        self._assess = namespace["assess"]
        self._conditions_of = namespace["conditions"]
        self._unchecked = namespace["unchecked"]
        self._forms_scored = namespace["FORMS"]
        self._risks, self._conditions = risks, conditions
        self._dated = any(e.get("valid_from") or e.get("valid_until") for e in rule_entries + risk_entries)

    def reads(self) -> set[str]:
        """The question ids the compiled rules, risks and conditions read (after :meth:`compile`)."""
        found = {qid for rule in self._rules for qid in rule.condition.reads}
        found |= {qid for risk in self._risks for qid in risk.reads}
        found |= {qid for entry in self._conditions for qid in entry.condition.reads}
        return found

    def _compile(
        self, when, questions, forms, section: str, index: int, problems: list[Problem], *, allow_advice: bool,
        prefix: str = "", source: Source | None = None,
    ) -> Condition | None:
        try:
            return compile_condition(when, questions, forms, allow_advice=allow_advice, source=source)
        except ConditionError as exc:
            field = f"{prefix}.{exc.field}" if prefix else exc.field
            problems.append(self.problem(section, index, _with_suggestion(exc.message, questions, forms), field))
            return None

    # Per-advice hooks ----------------------------------------------------------------------

    @hookimpl
    def score_forms(self, answers: Answers) -> list[Contribution]:
        return self._score(answers, evaluation_date() if self._dated else None, dict.fromkeys(self._forms_scored, 0.0))

    def score_into(self, answers: Answers, totals: dict[str, float]) -> list[Contribution]:
        """:meth:`score_forms`, adding the points of the rules that hold to `totals` on the way.

        Not a hook: the engine's fast path for rule packs, so it need not add every
        contribution's points itself. `totals` must have every form this pack scores; it is
        changed only when the pack's code returns."""
        return self._score(answers, evaluation_date() if self._dated else None, totals)

    @hookimpl
    def assess_risks(self, answers: Answers, recommended: str) -> list[RiskFinding]:
        if not self._risks:
            return []
        return self._assess(_with_recommended(answers, recommended), evaluation_date() if self._dated else None)

    def unchecked_risks(
        self, answers: Answers, recommended: str, fired: Container[str] = ()
    ) -> list[tuple[str, tuple[str, ...]]]:
        """(risk id, skipped questions) for each risk, not among `fired`, whose firing the
        skipped answers decide.

        Not a hook: the engine asks rule packs directly, because only their conditions can be
        read this way (a Python plugin's risks are code)."""
        if not self._risks:
            return []
        context = _with_recommended(answers, recommended)
        found = []
        for index, result in self._unchecked(context, evaluation_date() if self._dated else None, fired):
            if isinstance(result, frozenset):
                risk = self._risks[index]
                found.append((risk.finding.id, tuple(q for q in risk.reads if q in result)))
        return found

    @hookimpl
    def success_conditions(self, recommended: str, answers: Answers) -> list[SuccessCondition]:
        if not self._conditions:
            return []
        return self._conditions_of(_with_recommended(answers, recommended), recommended)


_last_context: tuple[Any, str, dict[str, Any]] | None = None


def _with_recommended(answers: Answers, recommended: str) -> dict[str, Any]:
    """The answers plus ``@recommended``, built once per advice rather than once per pack.

    The engine hands every pack the same read-only view of one advice's answers, so the last
    context is reused while that view and the recommendation stay the same. Only read-only
    views are reused: a plain dict could have been changed since.
    """
    global _last_context
    last = _last_context
    if last is not None and last[0] is answers and last[1] == recommended:
        return last[2]
    context = {**answers, RECOMMENDED: recommended}
    if type(answers) is MappingProxyType:
        _last_context = (answers, recommended, context)
    return context


MAX_KEPT_FINDINGS = 256
"""Findings kept per risk, by the reasons that held (a risk with many reasons has many)."""

REASONS = "{reasons}"
"""Where a risk's why takes the sentences of the reasons that hold; without it they come first."""


def _with_reasons(why: str, reasons: list[str]) -> str:
    joined = " ".join(reasons)
    if REASONS in why:
        return " ".join(why.replace(REASONS, joined).split())
    return " ".join(part for part in (joined, why) if part)


def _step(entry: Mapping[str, Any], index: int) -> Step:
    return Step(id=entry["id"], title=entry["title"], intro=entry.get("intro", {}),
                order=entry.get("order", index))


def _question(entry: Mapping[str, Any], index: int) -> Question:
    return Question(
        id=entry["id"], kind=entry["kind"], text=entry["text"], help=entry.get("help", {}),
        required=entry["required"], situation=entry["situation"],
        options=tuple(Option(id=o["id"], label=o["label"]) for o in entry.get("options", [])),
        min=entry.get("min"), max=entry.get("max"), step=entry.get("step"),
        order=entry.get("order", index),
    )


def _form(entry: Mapping[str, Any]) -> Form:
    return Form(
        id=entry["id"], order=entry["order"], name=entry["name"],
        summary=entry.get("summary", {}), description=entry.get("description", {}),
        strengths=entry.get("strengths", {}), weaknesses=entry.get("weaknesses", {}),
    )


def _unknown_form(form_id: str, forms: Mapping[str, Form]) -> str:
    return f"unknown form '{form_id}' (known: {', '.join(forms)}){did_you_mean(form_id, forms)}"


_UNKNOWN = re.compile(r"^unknown (question|option|form) '([^']*)'(?: \(known: ([^)]*)\))?")


def _with_suggestion(message: str, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> str:
    """A condition compiler's "unknown question/option/form" message, plus the closest known id."""
    found = _UNKNOWN.match(message)
    if found is None or "did you mean" in message:
        return message
    kind, word, known = found.groups()
    if known:
        candidates = [part.strip() for part in known.split(",")]
    else:
        candidates = list(questions) if kind == "question" else list(forms)
    return message + did_you_mean(word, candidates)


def missing_languages(text: Mapping[str, Any] | None) -> list[str]:
    """Languages a pack text lacks (for `rules check`)."""
    return [lang for lang in LANGUAGES if not text or lang not in text]
