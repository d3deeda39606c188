"""Capacity: rules that compute with several answers, which a TOML pack cannot express.

- Coordination load = partners x domains. A heavy load pushes toward a form with its own
  coordination; a small load toward the light, informal form.
- Meeting share = meeting hours / joint hours (two questions of this plugin). A high share
  raises ``capacity.meeting_overload``, naming the percentage.

The arithmetic lives here; every text a person reads lives in ``texts.toml`` next to this file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from advisor import hookimpl
from advisor.model import (
    Answers,
    Contribution,
    Form,
    Question,
    RiskDefinition,
    RiskFinding,
    Step,
    SuccessCondition,
)

__version__ = "1.0.0"

TEXTS: dict[str, Any] = tomllib.loads(files(__name__).joinpath("texts.toml").read_text(encoding="utf-8"))

HEAVY_LOAD = 40
"""Lines of coordination (partners x domains) from which a light form cannot carry the work."""
LIGHT_LOAD = 6
"""Lines of coordination up to which the partners can arrange things themselves."""
MEETING_SHARE = 0.4
"""Share of joint hours in meetings above which the meetings crowd out the work."""
FORMS_USED = ("informal", "program", "embedded")


def coordination_load(answers: Answers) -> tuple[int, int, int] | None:
    """(partners, domains, partners x domains), or None when either was not answered."""
    partners = answers.get("partners")
    domains = answers.get("domains")
    if not isinstance(partners, int) or not isinstance(domains, (list, tuple)) or not domains:
        return None
    return partners, len(domains), partners * len(domains)


def meeting_share(answers: Answers) -> float | None:
    """Meeting hours as a share of the joint hours (at most 1), or None when not answered."""
    meetings = answers.get("capacity.meeting_hours")
    joint = answers.get("capacity.joint_hours")
    if not isinstance(meetings, int) or not isinstance(joint, int) or joint <= 0:
        return None
    return min(meetings / joint, 1.0)


def _fill(text: Mapping[str, str], **values: Any) -> dict[str, str]:
    return {lang: value.format(**values) for lang, value in text.items()}


@hookimpl
def register_steps() -> list[Step]:
    return [Step(id="capacity", title=TEXTS["step"]["title"], intro=TEXTS["step"]["intro"], order=20)]


@hookimpl
def register_questions() -> list[Question]:
    texts = TEXTS["questions"]
    return [
        Question(id="capacity.joint_hours", kind="integer", min=1, max=100_000, step="capacity",
                 text=texts["joint_hours"]["text"], help=texts["joint_hours"]["help"], order=1),
        Question(id="capacity.meeting_hours", kind="integer", min=0, max=100_000, step="capacity",
                 text=texts["meeting_hours"]["text"], help=texts["meeting_hours"]["help"], order=2),
    ]


@hookimpl
def register_risks() -> list[RiskDefinition]:
    risk = TEXTS["risks"]["meeting_overload"]
    return [RiskDefinition(id="capacity.meeting_overload", severity="warning",
                           title=risk["title"], source=risk["source"])]


@hookimpl
def validate_rules(questions: Mapping[str, Question], forms: Mapping[str, Form]) -> list[str]:
    """The plugin reads `partners` and `domains` when they exist; they must have the right kind."""
    problems = []
    for qid, kind in (("partners", "integer"), ("domains", "multi")):
        question = questions.get(qid)
        if question is not None and question.kind != kind:
            problems.append(f"capacity: reads '{qid}' as {kind}, but it is {question.kind}")
    missing = [form for form in FORMS_USED if form not in forms]
    if missing and "domains" in questions:
        problems.append(f"capacity: gives points to the form(s) {', '.join(missing)}, which are not loaded")
    return problems


@hookimpl
def score_forms(answers: Answers) -> list[Contribution]:
    counted = coordination_load(answers)
    if counted is None:
        return []
    partners, domains, load = counted
    if load >= HEAVY_LOAD:
        rule, points = "heavy_load", {"informal": -2.0, "program": 2.0, "embedded": -1.0}
    elif load <= LIGHT_LOAD:
        rule, points = "light_load", {"informal": 1.5}
    else:
        return []
    texts = TEXTS["rules"][rule]
    return [Contribution(
        rule=f"coordination-{rule.replace('_', '-')}", contributions=points,
        because=_fill(texts["because"], partners=partners, domains=domains, load=load),
        source=texts["source"], reads=("partners", "domains"),
    )]


@hookimpl
def assess_risks(answers: Answers) -> list[RiskFinding]:
    share = meeting_share(answers)
    if share is None or share <= MEETING_SHARE:
        return []
    risk = TEXTS["risks"]["meeting_overload"]
    return [RiskFinding(
        id="capacity.meeting_overload", severity="warning", title=risk["title"],
        why=_fill(risk["why"], share=f"{share:.0%}"), advice=risk["advice"], source=risk["source"],
        reads=("capacity.meeting_hours", "capacity.joint_hours"),
    )]


@hookimpl
def success_conditions(recommended: str, answers: Answers) -> list[SuccessCondition]:
    counted = coordination_load(answers)
    if counted is None or counted[2] < HEAVY_LOAD or recommended not in ("program", "embedded"):
        return []
    condition = TEXTS["conditions"]["coordinator"]
    return [SuccessCondition(id="capacity-coordinator", text=condition["text"], source=condition["source"])]
