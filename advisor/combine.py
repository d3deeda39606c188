"""Several respondents, one collaboration: answers side by side, combined, and compared over time.

Pure, like the engine (no Flask, no storage). How answers are combined, per question, over the
respondents who answered it:

- **choice, toward caution**: for the questions the collaboration rules list under
  ``[[caution]]`` (trust, partner benefit, meeting load...), differing answers combine to the most
  cautious answer a respondent gave (the lower trust, the weaker benefit, the heavier meeting
  load): one partner's concern is never outvoted by the others' optimism (article 001, each
  partner's own perspective). The comparison is marked ``cautious``.
- **choice**, other questions: the answer most respondents gave. A tie is flagged and broken the
  way the engine breaks ties between forms, *when in doubt, the lightest form*: of the tied
  options, the one with which the engine advises the lightest form (then the first in the
  question's order).
- **integer**: the median; with an even count the lower of the two middle answers (an answer
  someone gave, and the lighter side).
- **multi**: the options chosen by at least half of the respondents; when none is, the options
  chosen most often.

A question *diverges* when its respondents do not all give the same answer (integers: when the
largest answer is more than one and a half times the smallest, and more than one apart).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .collabrules import CollaborationRules, FindingText
from .engine import Engine
from .model import Advice, Question, localize

INTEGER_SPREAD = 1.5
"""Integers diverge when max > INTEGER_SPREAD * min and max - min > 1."""


@dataclass(frozen=True, slots=True)
class Side:
    """One respondent's answer to one question."""

    respondent: str
    answer: Any
    answer_text: str


@dataclass(frozen=True, slots=True)
class QuestionComparison:
    question: str
    kind: str
    text: str
    answers: tuple[Side, ...]
    combined: Any
    combined_text: str
    divergent: bool
    tie: bool
    cautious: bool = False
    """The answers differed and the most cautious one was taken (see ``[[caution]]``)."""


@dataclass(frozen=True, slots=True)
class Combination:
    answers: dict[str, Any]
    questions: tuple[QuestionComparison, ...]

    @property
    def divergent(self) -> tuple[str, ...]:
        return tuple(q.question for q in self.questions if q.divergent)

    @property
    def ties(self) -> tuple[str, ...]:
        return tuple(q.question for q in self.questions if q.tie)

    @property
    def contested(self) -> dict[str, QuestionComparison]:
        """The questions whose answers differ, by id: the combined advice marks each of them."""
        return {q.question: q for q in self.questions if q.divergent}


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding across respondents, in one language, with the answers behind it."""

    id: str
    severity: str
    title: str
    why: str
    advice: str
    source: str
    question: str | None = None
    answers: tuple[Side, ...] = ()


@dataclass(frozen=True, slots=True)
class PartialRisk:
    """A risk the advice of some respondents raises and that of others does not."""

    id: str
    severity: str
    title: str
    seen_by: tuple[str, ...]
    not_seen_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RoundPoint:
    """What drift compares: one round's combined answers and advised form."""

    round: int
    recommended: str | None
    answers: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DriftWarning:
    from_round: int
    to_round: int
    hardened: tuple[str, ...]
    """What became heavier: "recommended" and/or "current_form"."""
    finding: Finding
    changes: tuple[tuple[str, str, str], ...] = ()
    """(what, form before, form after) for each of `hardened`."""


def combine(
    engine: Engine, responses: Sequence[tuple[str, Mapping[str, Any]]], lang: str = "nl",
    caution: Mapping[str, Sequence[str]] | None = None,
) -> Combination:
    """Combine the (validated) answers of labelled respondents, question by question.

    `caution`: question id to its options, most cautious first (``CollaborationRules.caution``).
    """
    combined: dict[str, Any] = {}
    tied: dict[str, list[Any]] = {}
    cautious: set[str] = set()
    sides: dict[str, list[tuple[str, Any]]] = {}
    for question in engine.ordered_questions:
        given = [(label, answers[question.id]) for label, answers in responses if question.id in answers]
        if not given:
            continue
        sides[question.id] = given
        values = [v for _, v in given]
        order = (caution or {}).get(question.id)
        if order and question.kind == "choice" and _diverges(question, values):
            combined[question.id] = _most_cautious(order, values)
            cautious.add(question.id)
            continue
        value, candidates = _combine_one(question, values)
        combined[question.id] = value
        if len(candidates) > 1:
            tied[question.id] = candidates
    for qid, candidates in tied.items():
        combined[qid] = _lightest(engine, combined, qid, candidates)

    comparisons = []
    for question in engine.ordered_questions:
        if question.id not in sides:
            continue
        values = [v for _, v in sides[question.id]]
        comparisons.append(QuestionComparison(
            question=question.id, kind=question.kind, text=localize(question.text, lang),
            answers=tuple(Side(label, v, question.label_of(v, lang)) for label, v in sides[question.id]),
            combined=combined[question.id], combined_text=question.label_of(combined[question.id], lang),
            divergent=_diverges(question, values), tie=question.id in tied, cautious=question.id in cautious,
        ))
    return Combination(combined, tuple(comparisons))


def _most_cautious(order: Sequence[str], values: list[Any]) -> Any:
    """The given answer that comes first in the caution order (answers it does not list last)."""
    return min(values, key=lambda value: order.index(value) if value in order else len(order))


def _combine_one(question: Question, values: list[Any]) -> tuple[Any, list[Any]]:
    """(combined value, the tied candidates when a choice is tied)."""
    if question.kind == "integer":
        return statistics.median_low(values), []
    if question.kind == "multi":
        counts = Counter(option for value in values for option in value)
        order = question.option_ids()
        chosen = [o for o in order if counts[o] * 2 >= len(values)]
        if not chosen:
            top = max(counts.values())
            chosen = [o for o in order if counts[o] == top]
        return chosen, []
    counts = Counter(values)
    top = max(counts.values())
    candidates = [o for o in question.option_ids() if counts[o] == top]
    return candidates[0], candidates if len(candidates) > 1 else []


def _lightest(engine: Engine, combined: Mapping[str, Any], qid: str, candidates: list[Any]) -> Any:
    """Of tied options, the one with which the engine advises the lightest form."""
    def weight(index_and_option: tuple[int, Any]) -> tuple[int, int]:
        index, option = index_and_option
        form, _ = engine.recommend({**combined, qid: option})
        return engine.forms[form].order, index

    return min(enumerate(candidates), key=weight)[1]


def _diverges(question: Question, values: list[Any]) -> bool:
    if len(values) < 2:
        return False
    if question.kind == "integer":
        low, high = min(values), max(values)
        return high - low > 1 and high > INTEGER_SPREAD * low
    if question.kind == "multi":
        return len({tuple(sorted(v)) for v in values}) > 1
    return len(set(values)) > 1


def findings(rules: CollaborationRules, combination: Combination, lang: str = "nl") -> list[Finding]:
    """A divergence on a question the rules name (partner benefit, goal consensus, trust) is a finding."""
    result = []
    for comparison in combination.questions:
        text = rules.divergence.get(comparison.question)
        if text is not None and comparison.divergent:
            result.append(_finding(text, lang, comparison.question, comparison.answers))
    return result


def _finding(text: FindingText, lang: str, question: str | None = None, answers: tuple[Side, ...] = ()) -> Finding:
    return Finding(
        id=text.id, severity=text.severity, title=localize(text.title, lang), why=localize(text.why, lang),
        advice=localize(text.advice, lang), source=text.source, question=question, answers=answers,
    )


def partial_risks(advices: Sequence[tuple[str, Advice]]) -> list[PartialRisk]:
    """Risks that only some respondents' advice raises, in the order of the first that does."""
    labels = [label for label, _ in advices]
    seen: dict[str, list[str]] = {}
    first: dict[str, Any] = {}
    for label, advice in advices:
        for risk in advice.risks:
            seen.setdefault(risk.id, []).append(label)
            first.setdefault(risk.id, risk)
    return [
        PartialRisk(
            id=rid, severity=first[rid].severity, title=first[rid].title, seen_by=tuple(by),
            not_seen_by=tuple(label for label in labels if label not in by),
        )
        for rid, by in seen.items() if len(by) < len(labels)
    ]


def drift(
    engine: Engine, rules: CollaborationRules, points: Sequence[RoundPoint], lang: str = "nl",
) -> list[DriftWarning]:
    """Creeping verkokering between consecutive rounds: the advised or the current form became
    heavier while scope, the size band of ``partners`` and goal consensus stayed the same."""
    warnings = []
    rated = [p for p in points if p.recommended is not None]
    for before, after in zip(rated, rated[1:]):
        unchanged = (
            before.answers.get("scope") == after.answers.get("scope")
            and rules.partner_band(before.answers.get("partners")) == rules.partner_band(after.answers.get("partners"))
            and before.answers.get("goal_consensus") == after.answers.get("goal_consensus")
        )
        if not unchanged:
            continue
        changes = [
            (what, old, new) for what, old, new in (
                ("recommended", before.recommended, after.recommended),
                ("current_form", before.answers.get("current_form"), after.answers.get("current_form")),
            ) if _heavier(engine, old, new)
        ]
        if changes:
            warnings.append(DriftWarning(before.round, after.round, tuple(c[0] for c in changes),
                                         _finding(rules.drift, lang), tuple(changes)))
    return warnings


def _heavier(engine: Engine, before: Any, after: Any) -> bool:
    """True when both are forms and `after` is heavier (``current_form = none`` never hardens)."""
    if before not in engine.forms or after not in engine.forms:
        return False
    return engine.forms[after].order > engine.forms[before].order
