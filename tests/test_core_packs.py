"""The built-in packs keep the v1 contract of DOMAIN.md and the craft rules for domain content."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.test_cases import CONTRACT_FORMS, CONTRACT_QUESTIONS, CONTRACT_RISKS

RULES = Path(__file__).resolve().parent.parent / "rules"

# id: (kind, options or (min, max), required) — DOMAIN.md, questionnaire contract v1.
CONTRACT = {
    "scope": ("choice", ["individual_cases", "defined_result", "ongoing_task", "core_task"], True),
    "horizon": ("choice", ["months", "years", "permanent"], True),
    "change_type": ("choice", ["known_route", "known_goal", "system_change"], True),
    "domains": ("multi", ["care", "welfare", "youth", "education", "work_income", "debt", "housing",
                          "safety", "health"], True),
    "partners": ("integer", (1, 500), True),
    "budget": ("choice", ["none", "one_off", "structural", "single_org"], True),
    "funding_risk": ("choice", ["no", "possibly", "yes"], False),
    "enforcement": ("choice", ["no", "sometimes", "often"], False),
    "decision_making": ("choice", ["consensus", "consent", "lead_decides", "not_arranged"], False),
    "leadership_backing": ("choice", ["yes", "partly", "no"], False),
    "partner_benefit": ("choice", ["all", "some", "unclear"], False),
    "power_balance": ("choice", ["balanced", "one_dominant"], False),
    "key_people": ("choice", ["no", "partly", "yes"], False),
    "turnover": ("choice", ["low", "medium", "high"], False),
    "common_language": ("choice", ["yes", "partly", "no"], False),
    "residents_involved": ("choice", ["yes", "consulted", "no"], False),
    "current_form": ("choice", ["none", "informal", "project", "program", "embedded"], False),
    "age_years": ("integer", (0, 100), False),
    "meeting_load": ("choice", ["little", "half", "most"], False),
    "incident_response": ("choice", ["learn", "protocol", "blame", "none_yet"], False),
    "procurement": ("choice", ["no", "partly", "yes"], False),
    "trust": ("choice", ["high", "moderate", "low"], False),
    "goal_consensus": ("choice", ["high", "partial", "low"], False),
    # Additive within v1 since rule set 1.1.0.
    "pooled_budget": ("choice", ["yes", "partly", "no"], False),
    "commissioners": ("choice", ["one", "several_aligned", "several_independent"], False),
    "joint_monitoring": ("choice", ["yes", "partly", "no"], False),
    "own_interest": ("choice", ["no", "suspected", "yes"], False),
    "origin": ("choice", ["from_below", "from_above", "both"], False),
    "renewed": ("choice", ["yes", "partly", "no"], False),
}
SOURCE = re.compile(r"^(00[0-4] — .+|.*Provan & Kenis \(2008\).*)")


def pack(name: str) -> dict:
    with (RULES / name).open("rb") as fh:
        return tomllib.load(fh)


def both_languages(text) -> bool:
    return isinstance(text, dict) and bool(text.get("nl")) and bool(text.get("en"))


def read_questions(when) -> set[str]:
    found: set[str] = set()
    if isinstance(when, dict):
        for key, value in when.items():
            if key in ("all", "any"):
                for sub in value:
                    found |= read_questions(sub)
            elif key == "not":
                found |= read_questions(value)
            elif key == "recommended":
                if isinstance(value, dict):
                    found |= set(value.values())
            else:
                found.add(key)
    return found


def test_contract_matches_domain_md(app):
    engine = app.extensions["advisor"].engine
    assert tuple(sorted(CONTRACT)) == tuple(sorted(CONTRACT_QUESTIONS))
    for qid, (kind, spec, required) in CONTRACT.items():
        question = engine.questions[qid]
        assert question.kind == kind, qid
        assert question.required is required, qid
        if kind == "integer":
            assert (question.min, question.max) == spec, qid
        else:
            assert list(question.option_ids()) == spec, qid
    assert [f.id for f in sorted(engine.forms.values(), key=lambda f: f.order)] == list(CONTRACT_FORMS)
    assert set(engine.risk_definitions) == set(CONTRACT_RISKS)


def test_core_texts_in_both_languages():
    core = pack("core.toml")
    assert 3 <= len(core["steps"]) <= 4
    for question in core["questions"]:
        assert both_languages(question["text"]) and both_languages(question["help"]), question["id"]
        for option in question.get("options", []):
            assert both_languages(option["label"]), f"{question['id']}.{option['id']}"
    for form in core["forms"]:
        for field in ("name", "summary", "description", "strengths", "weaknesses"):
            assert both_languages(form[field]), f"{form['id']}.{field}"
    per_form = {f: 0 for f in CONTRACT_FORMS}
    always = {f: 0 for f in CONTRACT_FORMS}
    for condition in core["conditions"]:
        assert both_languages(condition["text"]) and SOURCE.match(condition["source"]), condition["id"]
        if condition.get("informal_layer"):
            continue  # shown in its own place on the advice, not among the conditions
        for form in condition["forms"]:
            per_form[form] += 1
            always[form] += "when" not in condition
    # A manager reads at most four conditions that always apply, six in all.
    assert all(2 <= n <= 4 for n in always.values()), always
    assert all(n <= 6 for n in per_form.values()), per_form


def test_rules_are_sourced_bounded_and_readable():
    rules = pack("scoring.toml")["rules"]
    assert 35 <= len(rules) <= 60, len(rules)
    for rule in rules:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule["id"]), rule["id"]
        assert both_languages(rule["because"]), rule["id"]
        assert SOURCE.match(rule["source"]), rule["id"]
        assert all(-3 <= p <= 4 for p in rule["contributions"].values()), rule["id"]


def test_risks_are_sourced_and_actionable():
    risks = pack("risks.toml")["risks"]
    assert [r["id"] for r in risks] == list(CONTRACT_RISKS)
    for risk in risks:
        for field in ("title", "why", "advice"):
            assert both_languages(risk[field]), f"{risk['id']}.{field}"
        assert SOURCE.match(risk["source"]), risk["id"]


def risk_conditions(risk: dict) -> list:
    """A risk's `when` and the `when` of each of its reasons."""
    return [risk.get("when"), *(reason["when"] for reason in risk.get("reasons", []))]


def test_drift_risks_ignore_new_collaborations():
    """current_form = none means new: a heavier-than-current test must exclude it explicitly."""
    for risk in pack("risks.toml")["risks"]:
        text = repr(risk_conditions(risk))
        if "heavier_than" in text:
            assert "'none'" not in text and "current_form" in text, risk["id"]


@pytest.mark.parametrize("qid", CONTRACT_QUESTIONS)
def test_every_question_is_read_by_a_rule_or_risk(qid):
    read: set[str] = set()
    for rule in pack("scoring.toml")["rules"]:
        read |= read_questions(rule["when"])
    for risk in pack("risks.toml")["risks"]:
        for when in risk_conditions(risk):
            read |= read_questions(when)
    assert qid in read
