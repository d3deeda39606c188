"""What would change the advice: the smallest answer changes that make another form win.

Computed from the loaded rules by asking the engine again with changed answers (so Python
plugins count too), never from a model of the rules. The search is bounded: every single change
first (each other option of a choice, each option toggled in a multi answer, numbers on a ladder
for integers, refined by bisection to the nearest number that flips); then, only for forms no single change reaches, pairs of the single
changes that brought that form closest. At most ``max_evaluations`` engine calls per advice,
and no longer than the engine's time budget (``ADVICE_TIME_BUDGET_MS``, a budget of its own, after
the advice's): when it is spent the search stops and says it is partial.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from .containment import TimeBudget
from .engine import Engine
from .model import Advice, Alternative, Change, Question, localize

NUMBER_LADDER = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500)
PER_FORM = 3
PAIR_CANDIDATES = 6


@dataclass(frozen=True, slots=True)
class WhatIf:
    """What the search found, and whether it stopped at its time budget before it was done."""

    alternatives: tuple[Alternative, ...]
    partial: bool = False


class _Budget(list):
    """Engine calls left (``budget[0]``, as before) and the search's time budget."""

    def __init__(self, evaluations: int, time: TimeBudget) -> None:
        super().__init__([evaluations])
        self.time = time

    def timed_out(self) -> bool:
        return self.time.exceeded or self.time.remaining() <= 0


class _OutOfTime(Exception):
    """The time budget ended the search; what was found so far stands."""


def alternatives(
    engine: Engine, answers: Mapping[str, Any], recommended: str, lang: str = "nl",
    *, max_evaluations: int = 400, prefer: Callable[[str], int] | None = None,
) -> list[Alternative]:
    """Per other form, up to three smallest change sets that would make it the advice.

    `prefer`: a sort key on question ids; lower values are tried first, so they fill the three
    places per form first (the pages put answers a manager can change before facts).
    """
    return list(what_would_change(engine, answers, recommended, lang, max_evaluations=max_evaluations,
                                  prefer=prefer).alternatives)


def what_would_change(
    engine: Engine, answers: Mapping[str, Any], recommended: str, lang: str = "nl",
    *, max_evaluations: int = 400, prefer: Callable[[str], int] | None = None,
) -> WhatIf:
    """:func:`alternatives`, and whether the time budget cut the search short."""
    budget = _Budget(max_evaluations, engine.new_budget())
    found: dict[str, list[tuple[tuple[str, Any], ...]]] = {form: [] for form in engine.forms if form != recommended}
    try:
        _search(engine, answers, recommended, found, budget, prefer)
    except _OutOfTime:
        pass
    result = []
    for form in sorted(found, key=lambda f: engine.forms[f].order):
        for change_set in found[form]:
            result.append(Alternative(form, tuple(_describe(engine, answers, qid, value, lang) for qid, value in change_set)))
    return WhatIf(tuple(result), partial=budget.time.exceeded)


def with_alternatives(engine: Engine, advice: Advice, answers: Mapping[str, Any], lang: str) -> Advice:
    """The advice with what would change it, and whether that search was cut short."""
    found = what_would_change(engine, answers, advice.recommended, lang)
    return replace(advice, alternatives=found.alternatives, alternatives_partial=found.partial)


def _search(engine: Engine, answers: Mapping[str, Any], recommended: str,
            found: dict[str, list[tuple[tuple[str, Any], ...]]], budget: _Budget,
            prefer: Callable[[str], int] | None = None) -> None:
    closest: dict[str, list[tuple[float, tuple[str, Any]]]] = {form: [] for form in found}

    for qid, value in _single_changes(engine, answers, prefer):
        if budget[0] <= 0:
            break
        winner, totals = _evaluate(engine, answers, ((qid, value),), budget)
        sets = found.get(winner)
        if sets is not None and len(sets) < PER_FORM and all(s[0][0] != qid for s in sets):
            if isinstance(value, int) and isinstance(answers.get(qid), int):
                value = _nearest_flip(engine, answers, qid, answers[qid], value, winner, budget)
            sets.append(((qid, value),))   # one change per question: the nearest that flips
        for form in closest:
            closest[form].append((totals[recommended] - totals[form], (qid, value)))

    for form, sets in found.items():
        if sets:
            continue
        nearest = [change for _, change in sorted(closest[form], key=lambda c: c[0])[:PAIR_CANDIDATES]]
        for first, second in combinations(nearest, 2):
            if budget[0] <= 0 or len(sets) >= PER_FORM:
                break
            if first[0] == second[0] or any({first[0], second[0]} == {q for q, _ in done} for done in sets):
                continue   # one pair per pair of questions: the nearest that flips
            winner, _ = _evaluate(engine, answers, (first, second), budget)
            if winner == form:
                sets.append((first, second))


def _evaluate(engine: Engine, answers: Mapping[str, Any], changes, budget: _Budget) -> tuple[str, dict[str, float]]:
    """The advice after `changes`; raises :class:`_OutOfTime` when the time is up, also when it
    ran out during this evaluation (a plugin cut short would make its answer wrong)."""
    if budget.timed_out():
        budget.time.exceeded = True
        raise _OutOfTime
    budget[0] -= 1
    changed = dict(answers)
    changed.update(changes)
    winner, totals = engine.recommend(changed, budget.time)
    if budget.timed_out():
        budget.time.exceeded = True
        raise _OutOfTime
    return winner, totals


def _nearest_flip(engine: Engine, answers, qid: str, current: int, flips: int, form: str, budget: _Budget) -> int:
    """Between the current number and one on the ladder that flips the advice, the nearest that does."""
    keeps, flips_at = current, flips
    try:
        while abs(flips_at - keeps) > 1 and budget[0] > 0:
            middle = (keeps + flips_at) // 2
            if _evaluate(engine, answers, ((qid, middle),), budget)[0] == form:
                flips_at = middle
            else:
                keeps = middle
    except _OutOfTime:
        pass  # flips_at still flips: keep it, the next evaluation ends the search
    return flips_at


def _single_changes(engine: Engine, answers: Mapping[str, Any],
                    prefer: Callable[[str], int] | None = None) -> Iterator[tuple[str, Any]]:
    """Preferred questions first, then answered ones (changing what is known reads best)."""
    ordered = sorted(engine.ordered_questions,
                     key=lambda q: (prefer(q.id) if prefer else 0, q.id not in answers))
    for question in ordered:
        current = answers.get(question.id)
        yield from ((question.id, value) for value in _variants(question, current))


def _variants(question: Question, current: Any) -> Iterator[Any]:
    if question.kind == "choice":
        yield from (option for option in question.option_ids() if option != current)
    elif question.kind == "multi":
        chosen = list(current or [])
        for option in question.option_ids():
            if option in chosen:
                if len(chosen) > 1:
                    yield [o for o in chosen if o != option]
            else:
                yield [o for o in question.option_ids() if o in chosen or o == option]
    else:
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else NUMBER_LADDER[-1]
        ladder = sorted({n for n in (low, *NUMBER_LADDER, high) if low <= n <= high and n != current})
        if current is None:
            yield from ladder
            return
        # The nearest numbers first in each direction: the first that flips the advice is the smallest change.
        below = [n for n in ladder if n < current][::-1]
        above = [n for n in ladder if n > current]
        for pair in zip(below + [None] * len(above), above + [None] * len(below)):
            yield from (n for n in pair if n is not None)


def _describe(engine: Engine, answers: Mapping[str, Any], qid: str, value: Any, lang: str) -> Change:
    question = engine.questions[qid]
    before = answers.get(qid)
    return Change(
        question=qid, question_text=localize(question.text, lang),
        before=before, before_text=question.label_of(before, lang) if before is not None else "",
        after=value, after_text=question.label_of(value, lang),
    )
