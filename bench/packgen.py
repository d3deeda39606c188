"""Synthetic rule packs for the benchmarks: the v1 questionnaire contract plus N generated rules.

The generated packs are realistic in shape, not in content: conditions mix choice, multi and
integer questions with any/all/not groups, the way domain experts write them, and every pack
carries a few risks and success conditions. Texts are placeholders (the domain lives in rules/).
A fixed seed makes every run measure the same packs.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

FORMS = ("informal", "project", "program", "embedded")

# The questionnaire contract v1 (question ids and option ids are public API; see DOMAIN.md).
CHOICE = {
    "scope": ("individual_cases", "defined_result", "ongoing_task", "core_task"),
    "horizon": ("months", "years", "permanent"),
    "change_type": ("known_route", "known_goal", "system_change"),
    "budget": ("none", "one_off", "structural", "single_org"),
    "funding_risk": ("no", "possibly", "yes"),
    "enforcement": ("no", "sometimes", "often"),
    "decision_making": ("consensus", "consent", "lead_decides", "not_arranged"),
    "leadership_backing": ("yes", "partly", "no"),
    "partner_benefit": ("all", "some", "unclear"),
    "power_balance": ("balanced", "one_dominant"),
    "key_people": ("no", "partly", "yes"),
    "turnover": ("low", "medium", "high"),
    "common_language": ("yes", "partly", "no"),
    "residents_involved": ("yes", "consulted", "no"),
    "current_form": ("none", "informal", "project", "program", "embedded"),
    "meeting_load": ("little", "half", "most"),
    "incident_response": ("learn", "protocol", "blame", "none_yet"),
    "procurement": ("no", "partly", "yes"),
    "trust": ("high", "moderate", "low"),
    "goal_consensus": ("high", "partial", "low"),
}
MULTI = {
    "domains": ("care", "welfare", "youth", "education", "work_income", "debt", "housing", "safety", "health"),
}
INTEGER = {"partners": (1, 500), "age_years": (0, 100)}
REQUIRED = ("scope", "horizon", "change_type", "domains", "partners", "budget")
QUESTION_ORDER = (
    "scope", "horizon", "change_type", "domains", "partners", "budget", "funding_risk",
    "enforcement", "decision_making", "leadership_backing", "partner_benefit", "power_balance",
    "key_people", "turnover", "common_language", "residents_involved", "current_form", "age_years",
    "meeting_load", "incident_response", "procurement", "trust", "goal_consensus",
)

FULL_ANSWERS: dict[str, Any] = {
    "scope": "ongoing_task", "horizon": "permanent", "change_type": "system_change",
    "domains": ["care", "welfare", "youth", "housing"], "partners": 12, "budget": "structural",
    "funding_risk": "possibly", "enforcement": "sometimes", "decision_making": "consensus",
    "leadership_backing": "partly", "partner_benefit": "some", "power_balance": "one_dominant",
    "key_people": "partly", "turnover": "medium", "common_language": "partly",
    "residents_involved": "consulted", "current_form": "project", "age_years": 4,
    "meeting_load": "half", "incident_response": "protocol", "procurement": "partly",
    "trust": "moderate", "goal_consensus": "partial",
}
"""A realistic complete set of answers to the v1 questionnaire (the load benchmark sends it)."""


def _text(label: str) -> str:
    return f'{{ nl = "{label}", en = "{label}" }}'


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else f'"{key}"'


def core_pack() -> str:
    """The questionnaire and the four forms, as a pack named ``benchcore``."""
    lines = ['[pack]', 'id = "benchcore"', 'version = "1.0.0"', f"title = {_text('Bench core')}", ""]
    lines += ["[[steps]]", 'id = "all"', f"title = {_text('All questions')}", ""]
    for qid in QUESTION_ORDER:
        lines += ["[[questions]]", f'id = "{qid}"', 'step = "all"']
        if qid in CHOICE or qid in MULTI:
            kind = "choice" if qid in CHOICE else "multi"
            options = CHOICE.get(qid) or MULTI[qid]
            lines.append(f'kind = "{kind}"')
            lines.append("options = [" + ", ".join(
                f'{{ id = "{o}", label = {_text(o)} }}' for o in options) + "]")
        else:
            low, high = INTEGER[qid]
            lines += ['kind = "integer"', f"min = {low}", f"max = {high}"]
        lines += [f"required = {_toml(qid in REQUIRED)}", f"text = {_text(qid)}", ""]
    for order, form in enumerate(FORMS, start=1):
        lines += ["[[forms]]", f'id = "{form}"', f"order = {order}", f"name = {_text(form)}", ""]
    return "\n".join(lines)


class _Conditions:
    """Random `when` tables in the styles rule authors use."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self) -> dict[str, Any]:
        qid = self.rng.choice(sorted(CHOICE))
        options = CHOICE[qid]
        if self.rng.random() < 0.6:
            return {qid: self.rng.choice(options)}
        return {qid: self.rng.sample(options, k=min(2, len(options)))}

    def other(self) -> dict[str, Any]:
        pick = self.rng.random()
        domains = MULTI["domains"]
        if pick < 0.35:
            low, high = INTEGER["partners"]
            bound = self.rng.choice(["min", "max"])
            return {"partners": {bound: self.rng.randint(2, 40)}}
        if pick < 0.55:
            return {"age_years": {"min": self.rng.randint(1, 15)}}
        if pick < 0.75:
            return {"domains": {"any": self.rng.sample(domains, k=2)}}
        if pick < 0.85:
            return {"domains": {"at_least": self.rng.randint(2, 5)}}
        return {"domains": {"all": self.rng.sample(domains, k=2)}}

    def when(self) -> dict[str, Any]:
        style = self.rng.random()
        if style < 0.45:  # one choice, often with a second test
            when = self.choice()
            if self.rng.random() < 0.5:
                when.update(self.other())
            return when
        if style < 0.65:  # choice and an alternative
            when = self.choice()
            when["any"] = [self.choice(), self.other()]
            return when
        if style < 0.80:  # choice but not something
            when = self.choice()
            when["not"] = self.choice()
            return when
        if style < 0.90:  # all of two choices
            return {"all": [self.choice(), self.choice()]}
        return self.other()  # no choice guard at all


def rule_pack(pack_id: str, rules: int, rng: random.Random, *, risks: int = 3, conditions: int = 2) -> str:
    """One pack with `rules` rules, `risks` risks and `conditions` success conditions."""
    gen = _Conditions(rng)
    lines = ["[pack]", f'id = "{pack_id}"', 'version = "1.0.0"', f"title = {_text(pack_id)}", ""]
    for n in range(rules):
        forms = rng.sample(FORMS, k=rng.choice((1, 1, 2)))
        contributions = {f: round(rng.uniform(-1.0, 3.0), 1) or 0.5 for f in forms}
        lines += [
            "[[rules]]", f'id = "r{n}"', f"when = {_toml(gen.when())}",
            f"contributions = {_toml(contributions)}",
            f"because = {_text(f'reason {n}')}", f'source = "bench {pack_id}"', "",
        ]
    for n in range(risks):
        when = gen.when()
        if n % 2:
            when["recommended"] = rng.choice(FORMS)
        lines += [
            "[[risks]]", f'id = "{pack_id}.risk{n}"',
            f'severity = "{rng.choice(("info", "warning", "critical"))}"', f"when = {_toml(when)}",
            f"title = {_text('risk')}", f"why = {_text('why')}", f"advice = {_text('advice')}",
            f'source = "bench {pack_id}"', "",
        ]
    for n in range(conditions):
        lines += [
            "[[conditions]]", f'id = "c{n}"', f"forms = {_toml(rng.sample(FORMS, k=2))}",
            f"when = {_toml(gen.choice())}", f"text = {_text('condition')}", "",
        ]
    return "\n".join(lines)


def write_packs(folder: Path, total_rules: int, *, rules_per_pack: int = 100, seed: int = 8) -> int:
    """Write the core pack and `total_rules` rules spread over packs; returns the pack count."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "000-benchcore.toml").write_text(core_pack(), encoding="utf-8")
    rng = random.Random(seed)
    packs = 0
    remaining = total_rules
    while remaining > 0:
        size = min(rules_per_pack, remaining)
        pack_id = f"bench-{packs:04d}"
        (folder / f"{pack_id}.toml").write_text(rule_pack(pack_id, size, rng), encoding="utf-8")
        remaining -= size
        packs += 1
    return packs


def random_answers(rng: random.Random) -> dict[str, Any]:
    """A complete, valid, random set of answers (required ones always, optional ones mostly)."""
    answers: dict[str, Any] = {}
    for qid in QUESTION_ORDER:
        if qid not in REQUIRED and rng.random() < 0.2:
            continue
        if qid in CHOICE:
            answers[qid] = rng.choice(CHOICE[qid])
        elif qid in MULTI:
            answers[qid] = rng.sample(MULTI[qid], k=rng.randint(1, 4))
        else:
            low, high = INTEGER[qid]
            answers[qid] = rng.randint(low, min(high, 60))
    return answers


def fit_answers(questionnaire: dict[str, Any], wanted: dict[str, Any] | None = None) -> dict[str, Any]:
    """`wanted` (default: FULL_ANSWERS) fitted to a served questionnaire (`GET /questionnaire`):
    kept where the question and its options exist, the first option or the lower bound for
    every other question, so the body is complete whatever packs are loaded."""
    wanted = FULL_ANSWERS if wanted is None else wanted
    answers: dict[str, Any] = {}
    for question in (q for step in questionnaire["steps"] for q in step["questions"]):
        options = [o["id"] for o in question["options"]]
        value = wanted.get(question["id"])
        if value is not None and (question["kind"] == "integer" or set(
                value if isinstance(value, list) else [value]) <= set(options)):
            answers[question["id"]] = value
        elif question["kind"] == "integer":
            answers[question["id"]] = question["min"] if question["min"] is not None else 1
        elif question["kind"] == "multi":
            answers[question["id"]] = options[:2]
        else:
            answers[question["id"]] = options[0]
    return answers
