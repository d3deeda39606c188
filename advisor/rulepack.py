"""Declarative rule packs: a TOML file becomes a pluggy plugin like any Python plugin.

Loading has two stages. ``load_pack`` reads the file and validates its shape with marshmallow
(a missing text or a wrong type names the file, the item and the field). ``validate_rules``,
the start-up hook, then checks the pack against everything loaded (questions and forms of other
packs) and compiles its conditions, so evaluating a rule later is a handful of closure calls.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .conditions import RECOMMENDED, Condition, ConditionError, compile_condition
from .hookspecs import hookimpl
from .model import (
    LANGUAGES,
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
from .unchecked import OpenTest, all_of, any_of, compile_open

ID = validate.Regexp(r"^[a-z0-9][a-z0-9_\-]*$", error="must be lower-case letters, digits, '_' or '-'")
QUESTION_ID = validate.Regexp(
    r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)?$",
    error="must be lower-case letters, digits, '_' or '-', with one optional '.' namespace",
)


class PackError(ValueError):
    """A pack that cannot be loaded. The message names the file, the item and the field."""

    def __init__(self, file: str, message: str, item: str | None = None, field: str | None = None):
        parts = [file]
        if item:
            parts.append(item)
        if field:
            parts.append(field)
        super().__init__(": ".join(parts + [message]))
        self.file = file
        self.item = item
        self.field = field


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


class HeaderSchema(Schema):
    id = fields.String(required=True, validate=ID)
    version = fields.String(required=True, validate=validate.Length(min=1))
    title = Text(required=True)
    description = Text()


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
                raise ValidationError("min is larger than max", "min")
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


class RuleSchema(Schema):
    id = fields.String(required=True, validate=ID)
    when = fields.Dict(keys=fields.String())
    contributions = fields.Dict(
        keys=fields.String(), values=fields.Float(allow_nan=False), required=True,
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


class RiskSchema(Schema):
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
        return _flatten(inner, name)
    if isinstance(detail, list) and detail:
        return prefix, str(detail[0]).rstrip(".").lower()
    return prefix, str(detail)


# --- Loading ---------------------------------------------------------------------------------


def load_pack(path: Path, display_name: str | None = None) -> RulePack:
    """Read and shape-check one TOML pack; raises :class:`PackError` naming the file and field."""
    name = display_name or str(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PackError(name, f"cannot be read ({exc.strerror})") from None
    return parse_pack(content, name)


def parse_pack(content: bytes, name: str) -> RulePack:
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise PackError(name, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PackError(name, f"is not valid TOML ({exc})") from None
    try:
        data = _PACK_SCHEMA.load(raw)
    except ValidationError as exc:
        item, field, message = _first_error(exc.messages, raw)
        raise PackError(name, message, item, field) from None
    _check_unique_ids(data, name)
    return RulePack(data, name, hashlib.sha256(content).hexdigest())


def _check_unique_ids(data: Mapping[str, Any], name: str) -> None:
    for section, item_name in ITEM_NAMES.items():
        seen: set[str] = set()
        for entry in data[section]:
            if entry["id"] in seen:
                raise PackError(name, f"duplicate {item_name} id", f"{item_name} '{entry['id']}'", "id")
            seen.add(entry["id"])


# --- The pack as a plugin --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    index: int
    condition: Condition
    contribution: Contribution


_GuardedRule = tuple[Callable[[Mapping[str, Any]], bool] | None, _CompiledRule]


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

    def fires(self, context: Mapping[str, Any]) -> RiskFinding | None:
        if not self.condition.test(context):
            return None
        if not self.reasons:
            return self.finding
        held = [reason for reason in self.reasons if reason.condition.test(context)]
        if not held:
            return None
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

    def __init__(self, data: Mapping[str, Any], file: str, digest: str) -> None:
        header = data["pack"]
        self.id: str = header["id"]
        self.version: str = header["version"]
        self.title: Mapping[str, str] = header["title"]
        self.file = file
        self.digest = digest
        self.data = data
        self._steps = [_step(entry, i) for i, entry in enumerate(data["steps"])]
        self._questions = [_question(entry, i) for i, entry in enumerate(data["questions"])]
        self._forms = [_form(entry) for entry in data["forms"]]
        self._risk_definitions = [
            RiskDefinition(id=r["id"], severity=r["severity"], title=r["title"], source=r.get("source", ""))
            for r in data["risks"]
        ]
        self._unguarded: list[_CompiledRule] = []
        self._guarded: dict[str, dict[str, list[_GuardedRule]]] = {}
        """Choice question -> option -> (what is left to test, rule) for rules guarded by it."""
        self._risks: list[_CompiledRisk] = []
        self._conditions: list[_CompiledSuccessCondition] = []

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
            return [str(exc)]
        return []

    def compile(self, questions: Mapping[str, Question], forms: Mapping[str, Form]) -> None:
        data = self.data
        unguarded: list[_CompiledRule] = []
        guarded: dict[str, dict[str, list[_GuardedRule]]] = {}
        for index, entry in enumerate(data["rules"]):
            item = f"rule '{entry['id']}'"
            for form_id in entry["contributions"]:
                if form_id not in forms:
                    raise PackError(
                        self.file, f"unknown form '{form_id}' (known: {', '.join(forms)})",
                        item, f"contributions.{form_id}",
                    )
            condition = self._compile(entry.get("when"), questions, forms, item, allow_advice=False)
            rule = _CompiledRule(
                index=index,
                condition=condition,
                contribution=Contribution(
                    rule=entry["id"], contributions=MappingProxyType(dict(entry["contributions"])),
                    because=entry["because"], source=entry.get("source", ""), reads=condition.reads,
                ),
            )
            if condition.guard:
                qid, options = condition.guard
                by_option = guarded.setdefault(qid, {})
                for option in options:
                    by_option.setdefault(option, []).append((condition.residual, rule))
            else:
                unguarded.append(rule)
        risks = []
        for entry in data["risks"]:
            item = f"risk '{entry['id']}'"
            condition = self._compile(entry.get("when"), questions, forms, item, allow_advice=True)
            reasons = tuple(
                _CompiledReason(self._compile(reason["when"], questions, forms, f"{item} reasons[{i}]",
                                              allow_advice=True), reason["why"])
                for i, reason in enumerate(entry.get("reasons", ()))
            )
            open_test = compile_open(entry.get("when"), questions, forms)
            if reasons:
                open_test = all_of([open_test, any_of([
                    compile_open(reason["when"], questions, forms) for reason in entry["reasons"]])])
            reads = tuple(dict.fromkeys([*condition.reads, *(q for r in reasons for q in r.condition.reads)]))
            risks.append(_CompiledRisk(condition, RiskFinding(
                id=entry["id"], severity=entry["severity"], title=entry["title"], why=entry["why"],
                advice=entry["advice"], source=entry.get("source", ""), reads=condition.reads,
            ), reasons, open_test, reads))
        conditions = []
        for entry in data["conditions"]:
            item = f"condition '{entry['id']}'"
            wanted = entry.get("forms")
            for form_id in wanted or ():
                if form_id not in forms:
                    raise PackError(self.file, f"unknown form '{form_id}' (known: {', '.join(forms)})", item, "forms")
            condition = self._compile(entry.get("when"), questions, forms, item, allow_advice=True)
            conditions.append(_CompiledSuccessCondition(
                frozenset(wanted) if wanted else None, condition,
                SuccessCondition(id=entry["id"], text=entry["text"], source=entry.get("source", ""),
                                 informal_layer=entry["informal_layer"]),
            ))
        self._unguarded, self._guarded = unguarded, guarded
        self._risks, self._conditions = risks, conditions

    def _compile(self, when, questions, forms, item: str, *, allow_advice: bool) -> Condition:
        try:
            return compile_condition(when, questions, forms, allow_advice=allow_advice)
        except ConditionError as exc:
            raise PackError(self.file, exc.message, item, exc.field) from None

    # Per-advice hooks ----------------------------------------------------------------------

    @hookimpl
    def score_forms(self, answers: Answers) -> list[Contribution]:
        fired = [rule for rule in self._unguarded if rule.condition.test(answers)]
        for qid, by_option in self._guarded.items():
            value = answers.get(qid)
            if value is None:
                continue
            for residual, rule in by_option.get(value, ()):
                if residual is None or residual(answers):
                    fired.append(rule)
        if len(fired) > 1:
            fired.sort(key=_rule_index)
        return [rule.contribution for rule in fired]

    @hookimpl
    def assess_risks(self, answers: Answers, recommended: str) -> list[RiskFinding]:
        if not self._risks:
            return []
        context = _with_recommended(answers, recommended)
        found = []
        for risk in self._risks:
            finding = risk.fires(context)
            if finding is not None:
                found.append(finding)
        return found

    def unchecked_risks(self, answers: Answers, recommended: str) -> list[tuple[str, tuple[str, ...]]]:
        """(risk id, skipped questions) for each risk whose firing the skipped answers decide.

        Not a hook: the engine asks rule packs directly, because only their conditions can be
        read this way (a Python plugin's risks are code)."""
        if not self._risks:
            return []
        context = _with_recommended(answers, recommended)
        found = []
        for risk in self._risks:
            result = risk.open(context)
            if isinstance(result, frozenset):
                found.append((risk.finding.id, tuple(q for q in risk.reads if q in result)))
        return found

    @hookimpl
    def success_conditions(self, recommended: str, answers: Answers) -> list[SuccessCondition]:
        if not self._conditions:
            return []
        context = _with_recommended(answers, recommended)
        return [
            entry.item for entry in self._conditions
            if (entry.forms is None or recommended in entry.forms) and entry.condition.test(context)
        ]


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


REASONS = "{reasons}"
"""Where a risk's why takes the sentences of the reasons that hold; without it they come first."""


def _with_reasons(why: str, reasons: list[str]) -> str:
    joined = " ".join(reasons)
    if REASONS in why:
        return " ".join(why.replace(REASONS, joined).split())
    return " ".join(part for part in (joined, why) if part)


def _rule_index(rule: _CompiledRule) -> int:
    return rule.index


def _step(entry: Mapping[str, Any], index: int) -> Step:
    return Step(id=entry["id"], title=entry["title"], intro=entry.get("intro", {}),
                order=entry.get("order", index))


def _question(entry: Mapping[str, Any], index: int) -> Question:
    return Question(
        id=entry["id"], kind=entry["kind"], text=entry["text"], help=entry.get("help", {}),
        required=entry["required"],
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


def missing_languages(text: Mapping[str, Any] | None) -> list[str]:
    """Languages a pack text lacks (for `rules check`)."""
    return [lang for lang in LANGUAGES if not text or lang not in text]
