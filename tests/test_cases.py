"""The worked cases in tests/cases/*.toml, each run through the real engine with the built-in packs.

A case names the acceptable forms, the risks that must appear and the risks that must not.
Failure messages show the ranking and every rule that fired, so a wrong advice can be traced
to its reasons without a debugger.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

CASES_DIR = Path(__file__).resolve().parent / "cases"

# The public ids of DOMAIN.md (questionnaire contract v1, the four forms, the fifteen risks).
CONTRACT_QUESTIONS = (
    "scope", "horizon", "change_type", "domains", "partners", "budget", "funding_risk",
    "enforcement", "decision_making", "leadership_backing", "partner_benefit", "power_balance",
    "key_people", "turnover", "common_language", "residents_involved", "current_form",
    "age_years", "meeting_load", "incident_response", "procurement", "trust", "goal_consensus",
    # Optional questions added within v1 by rule set 1.1.0 (issue 14: ideas no question captured).
    "pooled_budget", "commissioners", "joint_monitoring", "own_interest", "origin", "renewed",
)
CONTRACT_FORMS = ("informal", "project", "program", "embedded")
CONTRACT_RISKS = (
    "creeping_verkokering", "new_silo", "person_dependence", "bureaucracy", "vertical_alignment",
    "power_steering", "procurement_blocks_cocreation", "protocol_reflex", "no_mandate",
    "funding_cliff", "stagnation", "residents_outside", "no_common_language", "consensus_trap",
    "too_small_to_land",
    # Risks added by rule set 1.1.0 for the new optional questions.
    "own_interest_cover", "scattered_commissioning", "budget_silos", "no_joint_monitoring",
)
CASE_KEYS = {"id", "story", "expect_form", "expect_risks", "forbid_risks", "answers"}


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            for case in tomllib.load(fh).get("cases", []):
                cases.append({**case, "_file": path.name})
    return cases


CASES = load_cases()


def _num(value: float) -> str:
    return f"{value:g}"


def describe(advice) -> str:
    ranking = ", ".join(f"{r.form} {_num(r.score)}" for r in advice.ranking)
    rules = "; ".join(
        f"{e.rule} {{{', '.join(f'{f}: {_num(p)}' for f, p in e.contributions.items())}}}"
        for e in advice.explanation
    )
    risks = ", ".join(r.id for r in advice.risks) or "none"
    tie = " (lightest form chosen within the tie margin)" if advice.tie_break else ""
    return f"ranking: {ranking}{tie}\n  risks: {risks}\n  contributions: {rules}"


@pytest.fixture
def engine(app):
    return app.extensions["advisor"].engine


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(engine, case):
    advice = engine.advise(case["answers"], lang="nl")
    cid = case["id"]
    expected = case["expect_form"]
    assert advice.recommended in expected, (
        f"case {cid}: expected form {' or '.join(expected)}, got {advice.recommended}\n  {describe(advice)}"
    )
    raised = {r.id for r in advice.risks}
    missing = [r for r in case.get("expect_risks", []) if r not in raised]
    assert not missing, f"case {cid}: expected risk(s) {', '.join(missing)} did not appear\n  {describe(advice)}"
    forbidden = [r for r in case.get("forbid_risks", []) if r in raised]
    assert not forbidden, f"case {cid}: forbidden risk(s) {', '.join(forbidden)} appeared\n  {describe(advice)}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_is_explained_by_its_rules(engine, case):
    """The ranking follows from the explanation alone: summing the listed contributions
    reproduces every score, and the advised form is the best one or a lighter one in a tie."""
    advice = engine.advise(case["answers"], lang="nl")
    totals = dict.fromkeys(CONTRACT_FORMS, 0.0)
    for item in advice.explanation:
        assert item.because and item.source, f"case {case['id']}: rule {item.rule} lacks a reason or source"
        for form, points in item.contributions.items():
            totals[form] += points
    for entry in advice.ranking:
        assert totals[entry.form] == pytest.approx(entry.score), (
            f"case {case['id']}: explanation sums to {totals[entry.form]:g} for {entry.form}, "
            f"ranking says {entry.score:g}"
        )
    if advice.recommended != advice.ranking[0].form:
        assert advice.tie_break, f"case {case['id']}: runner-up advised without a tie-break\n  {describe(advice)}"


def test_near_tie_case_is_a_real_tie_break(engine):
    case = next(c for c in CASES if c["id"] == "near-tie-grant-funded-ongoing-task")
    advice = engine.advise(case["answers"], lang="nl")
    assert advice.ranking[0].form == "program", describe(advice)
    assert advice.recommended == "project", describe(advice)
    assert advice.tie_break is True, describe(advice)
    assert 0 < advice.margin <= engine.tie_margin, describe(advice)


def test_cases_are_well_formed(engine):
    ids = [c["id"] for c in CASES]
    assert len(CASES) >= 18, f"only {len(CASES)} cases"
    assert len(ids) == len(set(ids)), f"duplicate case ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    for case in CASES:
        extra = set(case) - CASE_KEYS - {"_file"}
        assert not extra, f"case {case['id']} ({case['_file']}): unknown keys {sorted(extra)}"
        assert case.get("story"), f"case {case['id']}: no story"
        assert set(case["expect_form"]) <= set(CONTRACT_FORMS), f"case {case['id']}: unknown form"
        named = set(case.get("expect_risks", [])) | set(case.get("forbid_risks", []))
        assert named <= set(CONTRACT_RISKS), f"case {case['id']}: unknown risk(s) {sorted(named - set(CONTRACT_RISKS))}"
        overlap = set(case.get("expect_risks", [])) & set(case.get("forbid_risks", []))
        assert not overlap, f"case {case['id']}: risk(s) both expected and forbidden: {sorted(overlap)}"
        engine.validate_answers(case["answers"])  # raises AnswersError naming the field


def test_every_question_form_and_risk_is_exercised():
    answered = {qid for case in CASES for qid in case["answers"]}
    forms = {form for case in CASES for form in case["expect_form"]}
    risks = {risk for case in CASES for risk in case.get("expect_risks", [])}
    assert not set(CONTRACT_QUESTIONS) - answered, f"questions no case answers: {sorted(set(CONTRACT_QUESTIONS) - answered)}"
    assert not set(CONTRACT_FORMS) - forms, f"forms no case expects: {sorted(set(CONTRACT_FORMS) - forms)}"
    assert not set(CONTRACT_RISKS) - risks, f"risks no case expects: {sorted(set(CONTRACT_RISKS) - risks)}"


def test_every_case_reads_in_both_languages(engine):
    for case in CASES:
        nl = engine.advise(case["answers"], lang="nl")
        en = engine.advise(case["answers"], lang="en")
        assert nl.recommended == en.recommended, case["id"]
        for a, b in zip(nl.explanation, en.explanation):
            assert a.because and b.because and a.because != b.because, f"{case['id']}: rule {a.rule}"
        for a, b in zip(nl.risks, en.risks):
            for field in ("title", "why", "advice"):
                assert getattr(a, field) and getattr(a, field) != getattr(b, field), f"{case['id']}: {a.id}.{field}"
        assert nl.conditions, f"{case['id']}: no conditions for success of {nl.recommended}"
