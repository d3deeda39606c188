"""What the worked cases leave untested, per pack: rules that fired in no case, risks never
raised and options no case answers (``rules test --coverage``, as ``opa test --coverage``).

"3 passed" says nothing about a rule that never fired; this does. Pure Python, no Flask: it
reads the engine's definitions and the advices the cases produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..cases import CaseResult
from ..engine import Engine
from ..rulepack import RulePack
from .report_lines import listed


@dataclass(slots=True)
class PackCoverage:
    """One plugin's coverage. ``rules`` is None for a Python plugin: its rules are code, so only
    the ones that fired are known."""

    pack: str
    rules: int | None
    rules_unfired: list[str] = field(default_factory=list)
    risks: int = 0
    risks_unraised: list[str] = field(default_factory=list)
    options: int = 0
    options_unused: list[str] = field(default_factory=list)
    """``question=option`` pairs no case answers."""

    @property
    def complete(self) -> bool:
        return not (self.rules_unfired or self.risks_unraised or self.options_unused)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def coverage(engine: Engine, results: Sequence[CaseResult]) -> list[PackCoverage]:
    """Coverage of every loaded plugin that defines rules, risks or options, in load order."""
    fired = {(item.pack, item.rule) for r in results if r.advice for item in r.advice.explanation}
    raised = {risk.id for r in results if r.advice for risk in r.advice.risks}
    answered: set[tuple[str, str]] = set()
    for result in results:
        for qid, value in result.case.answers.items():
            for option in value if isinstance(value, list) else [value]:
                if isinstance(option, str):
                    answered.add((qid, option))
    packs = {p.id: p for p in engine.manager.get_plugins() if isinstance(p, RulePack)}
    found = []
    for info in engine.plugins:
        pack = packs.get(info.name)
        rule_ids = [entry["id"] for entry in pack.data["rules"]] if pack is not None else None
        risk_ids = [rid for rid in engine.risk_definitions if engine.owners[("risk", rid)] == info.name]
        options = [
            (question.id, option.id)
            for question in engine.ordered_questions if engine.owners[("question", question.id)] == info.name
            for option in question.options
        ]
        scores_in_code = pack is None and "score_forms" in info.hooks
        if not (rule_ids or risk_ids or options or scores_in_code):
            continue
        found.append(PackCoverage(
            pack=info.name,
            rules=len(rule_ids) if rule_ids is not None else None,
            rules_unfired=[rid for rid in rule_ids or () if (info.name, rid) not in fired],
            risks=len(risk_ids),
            risks_unraised=[rid for rid in risk_ids if rid not in raised],
            options=len(options),
            options_unused=[f"{qid}={oid}" for qid, oid in options if (qid, oid) not in answered],
        ))
    return found


def coverage_lines(report: Sequence[PackCoverage]) -> list[str]:
    """The coverage as text: a line per pack, then what no case reached."""
    lines = ["coverage:"]
    for entry in report:
        parts = ["rules in Python code (only those that fired are known)"] if entry.rules is None else []
        parts += [f"{total - len(missed)}/{total} {what}" for total, missed, what in (
            (entry.rules, entry.rules_unfired, "rules fired"),
            (entry.risks, entry.risks_unraised, "risks raised"),
            (entry.options, entry.options_unused, "options answered"),
        ) if total]
        lines.append(f"  {entry.pack}: {', '.join(parts)}")
        lines += listed("rules that fired in no case", entry.rules_unfired, "    ")
        lines += listed("risks no case raised", entry.risks_unraised, "    ")
        lines += listed("options no case answers", entry.options_unused, "    ")
    return lines
