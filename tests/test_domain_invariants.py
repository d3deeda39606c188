"""Domain invariants of the built-in rule set (issue 14, DOMAIN.md's second reading), as property
tests over random answer sets (hypothesis): every required question and a random part of the
optional ones answered, with every question answered in a third of the examples.

- Power is a risk, never a reason to embed: making one party dominant, adding enforcement,
  lowering goal consensus or adding domains never increases `embedded`'s share (000, 001, 003, 004).
- Dependence on a few people is informal's weak point: `key_people = yes` never increases
  `informal`'s share (004).
- A current form lighter than the advice always raises `creeping_verkokering` (004).
- An advice never recommends a form while raising a critical risk that the form itself causes,
  unless its explanation names that risk.
- Risks not checked are risks that did not fire, decided only by skipped questions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import create_app
from advisor.model import Advice
from tests.conftest import BASE_CONFIG

_APP = None


def engine():
    global _APP
    if _APP is None:
        _APP = create_app({**BASE_CONFIG, "INSTANCE_DIR": tempfile.mkdtemp(prefix="advisor-invariants-")})
    return _APP.extensions["advisor"].engine


def answer_for(question):
    if question.kind == "integer":
        return st.integers(min_value=question.min or 0, max_value=question.max or 100)
    options = list(question.option_ids())
    if question.kind == "multi":
        return st.lists(st.sampled_from(options), min_size=1, unique=True)
    return st.sampled_from(options)


@st.composite
def answer_sets(draw):
    everything = draw(st.integers(0, 2)) == 0
    answers = {}
    for question in engine().ordered_questions:
        if question.required or everything or draw(st.booleans()):
            answers[question.id] = draw(answer_for(question))
    return answers


INVARIANT_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPSILON = 1e-9


def share(answers: Mapping[str, Any], form: str) -> float:
    advice = engine().advise(dict(answers))
    return next(entry.share for entry in advice.ranking if entry.form == form)


def without(answers: Mapping[str, Any], qid: str) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k != qid}


def assert_not_more_embedded(before: Mapping[str, Any], after: Mapping[str, Any], what: str) -> None:
    old, new = share(before, "embedded"), share(after, "embedded")
    assert new <= old + EPSILON, f"{what} raised embedded's share {old:.4f} -> {new:.4f} for {dict(before)}"


@INVARIANT_SETTINGS
@given(answers=answer_sets())
def test_one_dominant_party_never_favours_embedding(answers):
    dominant = {**answers, "power_balance": "one_dominant"}
    assert_not_more_embedded(without(answers, "power_balance"), dominant, "one dominant party")
    assert_not_more_embedded({**answers, "power_balance": "balanced"}, dominant, "one dominant party")


ENFORCEMENT = ("no", "sometimes", "often")


@INVARIANT_SETTINGS
@given(answers=answer_sets(), levels=st.lists(st.sampled_from(ENFORCEMENT), min_size=2, max_size=2, unique=True))
def test_more_enforcement_never_favours_embedding(answers, levels):
    low, high = sorted(levels, key=ENFORCEMENT.index)
    assert_not_more_embedded({**answers, "enforcement": low}, {**answers, "enforcement": high}, f"enforcement {low}->{high}")
    assert_not_more_embedded(without(answers, "enforcement"), {**answers, "enforcement": high}, f"enforcement ->{high}")


CONSENSUS = ("high", "partial", "low")


@INVARIANT_SETTINGS
@given(answers=answer_sets(), levels=st.lists(st.sampled_from(CONSENSUS), min_size=2, max_size=2, unique=True))
def test_less_goal_consensus_never_favours_embedding(answers, levels):
    high, low = sorted(levels, key=CONSENSUS.index)
    assert_not_more_embedded({**answers, "goal_consensus": high}, {**answers, "goal_consensus": low},
                             f"goal consensus {high}->{low}")


@INVARIANT_SETTINGS
@given(answers=answer_sets(), data=st.data())
def test_more_domains_never_favour_embedding(answers, data):
    options = [o for o in engine().questions["domains"].option_ids() if o not in answers["domains"]]
    if not options:
        return
    added = data.draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
    assert_not_more_embedded(answers, {**answers, "domains": [*answers["domains"], *added]}, f"adding {added}")


@INVARIANT_SETTINGS
@given(answers=answer_sets(), other=st.sampled_from([None, "no", "partly"]))
def test_key_people_never_favour_informal(answers, other):
    before = without(answers, "key_people") if other is None else {**answers, "key_people": other}
    old, new = share(before, "informal"), share({**answers, "key_people": "yes"}, "informal")
    assert new <= old + EPSILON, f"key_people=yes raised informal's share {old:.4f} -> {new:.4f} for {before}"


@INVARIANT_SETTINGS
@given(answers=answer_sets())
def test_advice_heavier_than_the_current_form_raises_creeping_verkokering(answers):
    eng = engine()
    advice = eng.advise(answers)
    current = answers.get("current_form")
    if current in eng.forms and eng.forms[advice.recommended].order > eng.forms[current].order:
        assert "creeping_verkokering" in {risk.id for risk in advice.risks}, answers


def caused_by_the_advice(advice: Advice, answers: Mapping[str, Any], risk_id: str) -> bool:
    """Whether the risk fires only because of the recommended form: with any other form advised
    the rule packs would not raise it."""
    eng = engine()
    view = dict(answers)
    for form in eng.forms:
        if form == advice.recommended:
            continue
        raised = {finding.id for impl in eng._risk_impls for finding in impl.function(
            *[{"answers": view, "recommended": form, "ranking": advice.ranking,
               "questions": eng.questions}[name] for name in impl.argnames]) or ()}
        if risk_id not in raised:
            return True
    return False


def critical_risks_the_advice_causes_unexplained(advice: Advice, answers: Mapping[str, Any]) -> list[str]:
    reasons = " ".join(item.because.lower() for item in advice.explanation)
    return [
        risk.id for risk in advice.risks
        if risk.severity == "critical" and caused_by_the_advice(advice, answers, risk.id)
        and risk.title.lower() not in reasons
    ]


@INVARIANT_SETTINGS
@given(answers=answer_sets())
def test_no_advice_raises_a_critical_risk_of_its_own_making_unexplained(answers):
    advice = engine().advise(answers, "en")
    assert critical_risks_the_advice_causes_unexplained(advice, answers) == [], answers


def test_the_critical_risk_check_can_fail():
    """The property above would catch a critical risk the advised form causes: here `new_silo`
    (which the embedded advice causes when it spans fields) is made critical by hand."""
    answers = {"scope": "core_task", "horizon": "permanent", "change_type": "known_route",
               "domains": ["care", "welfare"], "partners": 2, "budget": "single_org"}
    advice = engine().advise(answers, "en")
    assert advice.recommended == "embedded"
    from dataclasses import replace
    made_critical = replace(advice, risks=tuple(
        replace(risk, severity="critical") if risk.id == "new_silo" else risk for risk in advice.risks))
    assert critical_risks_the_advice_causes_unexplained(made_critical, answers) == ["new_silo"]


@INVARIANT_SETTINGS
@given(answers=answer_sets())
def test_not_checked_risks_did_not_fire_and_hang_on_skipped_questions(answers):
    eng = engine()
    advice = eng.advise(answers)
    fired = {risk.id for risk in advice.risks}
    for item in advice.not_checked:
        assert item.id not in fired
        assert item.questions, item.id
        for question in item.questions:
            assert question.question not in answers and not eng.questions[question.question].required
    if len(answers) == len(eng.questions):
        assert advice.not_checked == ()
