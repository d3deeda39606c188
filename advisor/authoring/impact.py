"""The impact of a rule change before it ships: the same answers through two rule sets.

``rules impact`` builds one engine on the base rules and one on the head rules, runs both over
the worked cases and the stored assessments, and reports every advice that changes: the form,
the risks added and removed, the ranking order, and for each change the rules whose points
made the difference. Pure Python, no Flask and no storage: the command hands in the answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ..engine import AnswersError, Engine
from ..model import Advice
from .report_lines import listed


@dataclass(frozen=True, slots=True)
class Subject:
    """Answers to compare: a worked case or a stored assessment."""

    kind: str
    """"case" or "assessment"."""
    name: str
    answers: Mapping[str, Any]
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class RuleDelta:
    """A rule whose points differ between the two advices (None: it did not fire there)."""

    pack: str
    rule: str
    base: Mapping[str, float] | None
    head: Mapping[str, float] | None


@dataclass(slots=True)
class Change:
    subject: Subject
    form_before: str | None
    form_after: str | None
    ranking_before: list[str] = field(default_factory=list)
    ranking_after: list[str] = field(default_factory=list)
    risks_added: list[str] = field(default_factory=list)
    risks_removed: list[str] = field(default_factory=list)
    rules: list[RuleDelta] = field(default_factory=list)
    errors_before: dict[str, list[str]] = field(default_factory=dict)
    errors_after: dict[str, list[str]] = field(default_factory=dict)
    """Answers that one rule set refuses (a question or option removed, a new required one)."""

    @property
    def form_changed(self) -> bool:
        return self.form_before != self.form_after

    @property
    def ranking_changed(self) -> bool:
        return self.ranking_before != self.ranking_after

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["subject"] = {"kind": self.subject.kind, "name": self.subject.name}
        body.update(form_changed=self.form_changed, ranking_changed=self.ranking_changed)
        return body


@dataclass(slots=True)
class Impact:
    compared: int = 0
    changes: list[Change] = field(default_factory=list)
    base: str = ""
    head: str = ""

    @property
    def form_changes(self) -> dict[str, int]:
        """``"informal -> project"`` to how many advices moved that way."""
        counts: dict[str, int] = {}
        for change in self.changes:
            if change.form_changed:
                key = f"{change.form_before or 'refused'} -> {change.form_after or 'refused'}"
                counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def summary(self) -> dict[str, int]:
        return {
            "compared": self.compared,
            "changed": len(self.changes),
            "form_changed": sum(1 for c in self.changes if c.form_changed),
            "risks_changed": sum(1 for c in self.changes if c.risks_added or c.risks_removed),
            "ranking_changed": sum(1 for c in self.changes if c.ranking_changed),
            "answers_refused": sum(1 for c in self.changes if c.errors_before or c.errors_after),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base, "head": self.head, "summary": self.summary(),
            "form_changes": self.form_changes, "changes": [change.as_dict() for change in self.changes],
        }


def compare(base: Engine, head: Engine, subjects: Iterable[Subject], *, base_name: str = "base",
            head_name: str = "head", as_of: date | None = None) -> Impact:
    """Advise on every subject with both engines (the rules in force on `as_of`) and keep what differs."""
    impact = Impact(base=base_name, head=head_name)
    for subject in subjects:
        impact.compared += 1
        before, errors_before = _advise(base, subject, as_of)
        after, errors_after = _advise(head, subject, as_of)
        change = _change(subject, before, after, errors_before, errors_after)
        if change is not None:
            impact.changes.append(change)
    return impact


def _advise(engine: Engine, subject: Subject, as_of: date | None) -> tuple[Advice | None, dict[str, list[str]]]:
    try:
        return engine.advise(dict(subject.answers), subject.lang, as_of=as_of), {}
    except AnswersError as exc:
        return None, exc.errors


def _change(
    subject: Subject, before: Advice | None, after: Advice | None,
    errors_before: dict[str, list[str]], errors_after: dict[str, list[str]],
) -> Change | None:
    risks_before = [r.id for r in before.risks] if before else []
    risks_after = [r.id for r in after.risks] if after else []
    change = Change(
        subject=subject,
        form_before=before.recommended if before else None,
        form_after=after.recommended if after else None,
        ranking_before=[entry.form for entry in before.ranking] if before else [],
        ranking_after=[entry.form for entry in after.ranking] if after else [],
        risks_added=[r for r in risks_after if r not in risks_before],
        risks_removed=[r for r in risks_before if r not in risks_after],
        rules=rule_deltas(before, after),
        errors_before=errors_before, errors_after=errors_after,
    )
    if not (change.form_changed or change.ranking_changed or change.risks_added or change.risks_removed
            or errors_before != errors_after):
        return None
    return change


def rule_deltas(before: Advice | None, after: Advice | None) -> list[RuleDelta]:
    """The rules that fired on one side only or with other points, in explanation order."""
    points_before = {(e.pack, e.rule): dict(e.contributions) for e in (before.explanation if before else ())}
    points_after = {(e.pack, e.rule): dict(e.contributions) for e in (after.explanation if after else ())}
    keys = list(points_before) + [key for key in points_after if key not in points_before]
    return [
        RuleDelta(pack, rule, points_before.get((pack, rule)), points_after.get((pack, rule)))
        for pack, rule in keys if points_before.get((pack, rule)) != points_after.get((pack, rule))
    ]


def _points(points: Mapping[str, float] | None) -> str:
    if points is None:
        return "did not fire"
    return ", ".join(f"{form} {value:+g}" for form, value in points.items())


def impact_lines(impact: Impact) -> list[str]:
    """The impact as text: a summary, the form moves, then every changed advice."""
    summary = impact.summary()
    lines = [
        f"impact of {impact.head} against {impact.base}: {summary['changed']} of {summary['compared']} "
        f"advices change ({summary['form_changed']} form, {summary['risks_changed']} risks, "
        f"{summary['ranking_changed']} ranking, {summary['answers_refused']} answers refused)",
    ]
    for move, count in impact.form_changes.items():
        lines.append(f"  {move}: {count}")
    for change in impact.changes:
        lines.append("")
        lines.append(f"{change.subject.kind} {change.subject.name}:")
        lines.extend(change_lines(change))
    return lines


def change_lines(change: Change) -> list[str]:
    lines = []
    if change.form_changed:
        lines.append(f"  form: {change.form_before or 'refused'} -> {change.form_after or 'refused'}")
    elif change.ranking_changed:
        lines.append(f"  ranking: {' > '.join(change.ranking_before)} -> {' > '.join(change.ranking_after)}")
    lines += listed("risks added", change.risks_added)
    lines += listed("risks removed", change.risks_removed)
    for side, errors in (("base", change.errors_before), ("head", change.errors_after)):
        for key, reasons in errors.items():
            lines.append(f"  the {side} rules refuse {key}: {', '.join(reasons)}")
    for delta in change.rules:
        lines.append(f"  rule {delta.pack}/{delta.rule}: {_points(delta.base)} -> {_points(delta.head)}")
    return lines


def subjects_from_cases(cases: Sequence[Any]) -> list[Subject]:
    """Worked cases (:class:`advisor.cases.Case`) as subjects."""
    return [Subject("case", f"{case.id} ({case.where()})", case.answers) for case in cases]
