"""The things plugins hand to the engine and the engine hands back.

Plain frozen dataclasses: the engine, the API and the pages all speak them, and none of them
depends on Flask or storage. Texts a person reads are `Text` mappings from language to string,
so one advice can be shown in Dutch or English without asking the plugins again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Union

Text = Mapping[str, str]
"""A text in several languages: ``{"nl": "...", "en": "..."}``."""

AnswerValue = Union[str, list[str], int]
Answers = Mapping[str, AnswerValue]

QuestionKind = Literal["choice", "multi", "integer"]
Severity = Literal["info", "warning", "critical"]

SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}
LANGUAGES: tuple[str, ...] = ("nl", "en")
MAX_POINTS = 1_000_000
"""The most points (either sign) one rule gives one form: packs are refused above it at load,
Python plugins' results are contained, so a sum of scores always stays finite."""


def localize(text: Text | None, lang: str, fallback: str = "nl") -> str:
    """Pick the text in `lang`, falling back to Dutch, then to any language given."""
    if not text:
        return ""
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()))


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: Text


@dataclass(frozen=True, slots=True)
class Step:
    """A group of questions shown together (one page of the questionnaire)."""

    id: str
    title: Text
    intro: Text = field(default_factory=dict)
    order: int = 0


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: QuestionKind
    text: Text
    help: Text = field(default_factory=dict)
    required: bool = False
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    step: str | None = None
    order: int = 0
    situation: bool = False
    """The answer describes the situation (how many partners, how long it runs), not something the
    collaboration decides for itself: what would change the advice names such answers last."""

    def option_ids(self) -> tuple[str, ...]:
        return tuple([option.id for option in self.options])

    def label_of(self, value: AnswerValue, lang: str) -> str:
        """The answer as a person reads it (option labels, joined for multi answers)."""
        if self.kind == "integer":
            return str(value)
        labels = {option.id: localize(option.label, lang) for option in self.options}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)


@dataclass(frozen=True, slots=True)
class Form:
    """A collaboration form; `order` runs from light (low) to heavy (high)."""

    id: str
    order: int
    name: Text
    summary: Text = field(default_factory=dict)
    description: Text = field(default_factory=dict)
    strengths: Mapping[str, Sequence[str]] = field(default_factory=dict)
    weaknesses: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RiskDefinition:
    """A risk a plugin can raise, declared up front so ids can be checked and listed."""

    id: str
    severity: Severity
    title: Text
    source: str = ""


@dataclass(frozen=True, slots=True)
class Contribution:
    """Points one rule gives to forms, with the reason a manager reads."""

    rule: str
    contributions: Mapping[str, float]
    because: Text
    source: str = ""
    reads: tuple[str, ...] = ()
    """Question ids the rule looked at; the engine reports the answers behind it."""


@dataclass(frozen=True, slots=True)
class RiskFinding:
    """A risk that fires for these answers."""

    id: str
    severity: Severity
    title: Text
    why: Text
    advice: Text
    source: str = ""
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SuccessCondition:
    id: str
    text: Text
    source: str = ""
    informal_layer: bool = False
    """True for the advice to keep the informal layer under a heavier form (004): the advice
    shows it in its own place (``Advice.informal_layer``), not among the conditions."""


@dataclass(frozen=True, slots=True)
class RankedForm:
    form: str
    score: float
    share: float


@dataclass(frozen=True, slots=True)
class Trigger:
    """One answer that made a rule or risk fire, in the advice's language."""

    question: str
    question_text: str
    answer: AnswerValue
    answer_text: str


@dataclass(slots=True)
class ExplanationItem:
    """One rule that fired. Not frozen, unlike the rest of the model: the engine makes one per
    fired rule (thousands with large packs) and a frozen dataclass costs several times more to
    make; treat it as read-only all the same."""

    rule: str
    pack: str
    contributions: Mapping[str, float]
    because: str
    source: str
    triggers: tuple[Trigger, ...] = ()


@dataclass(slots=True)
class RiskItem:
    """A risk that fired, as the advice shows it (not frozen for speed, like ExplanationItem;
    read-only all the same)."""

    id: str
    severity: str
    title: str
    why: str
    advice: str
    source: str
    pack: str
    triggers: tuple[Trigger, ...] = ()


@dataclass(frozen=True, slots=True)
class ConditionItem:
    id: str
    text: str
    pack: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class SkippedQuestion:
    """A skipped question, as a person reads it."""

    question: str
    question_text: str


@dataclass(frozen=True, slots=True)
class UncheckedRisk:
    """A risk that could not be checked: whether it applies depends on skipped questions."""

    id: str
    severity: str
    title: str
    questions: tuple[SkippedQuestion, ...]


@dataclass(frozen=True, slots=True)
class Completeness:
    answered: int
    total: int
    required_missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PackRef:
    id: str
    version: str


@dataclass(frozen=True, slots=True)
class Ruleset:
    fingerprint: str
    packs: tuple[PackRef, ...]


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin whose hook gave nothing usable for this advice: its rules are missing from it."""

    plugin: str
    hook: str
    error: str
    kind: str = "error"
    """How it failed: ``"error"`` (raised or returned a wrong shape), ``"time"`` (overran the
    advice's time budget, or was not called because the budget was spent), ``"load"`` (never
    loaded). Metrics and the advice page tell the kinds apart by this, never by the wording."""


@dataclass(frozen=True, slots=True)
class Change:
    """One answer changed, as a person reads it."""

    question: str
    question_text: str
    before: AnswerValue | None
    before_text: str
    after: AnswerValue
    after_text: str


@dataclass(frozen=True, slots=True)
class Alternative:
    """A set of answer changes after which `form` would be the recommendation."""

    form: str
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class Advice:
    recommended: str
    ranking: tuple[RankedForm, ...]
    margin: float
    tie_break: bool
    risks: tuple[RiskItem, ...]
    explanation: tuple[ExplanationItem, ...]
    conditions: tuple[ConditionItem, ...]
    completeness: Completeness
    ruleset: Ruleset
    lang: str
    incomplete: bool = False
    failed_plugins: tuple[PluginFailure, ...] = ()
    alternatives: tuple[Alternative, ...] | None = None
    """What would change the advice; computed only when asked (see advisor.whatif)."""
    not_checked: tuple[UncheckedRisk, ...] = ()
    """Risks of the rule packs that the skipped questions would decide, most severe first."""
    informal_layer: ConditionItem | None = None
    """Keep the informal layer: set when a heavier form is advised where people already know
    each other (004's audience: formal collaboration need not kill the informal one)."""
    alternatives_partial: bool = False
    """True when the search for alternatives stopped at its time budget before it was done."""
