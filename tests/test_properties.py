"""Properties of every advice over random valid answers (hypothesis), on the built-in packs."""

from __future__ import annotations

import math
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import create_app
from tests.conftest import BASE_CONFIG

_APP = None


def engine():
    """One app for the whole module: hypothesis runs many examples against it."""
    global _APP
    if _APP is None:
        _APP = create_app({**BASE_CONFIG, "INSTANCE_DIR": tempfile.mkdtemp(prefix="advisor-properties-")})
    return _APP.extensions["advisor"].engine


def answer_for(question):
    if question.kind == "integer":
        return st.integers(min_value=question.min if question.min is not None else 0,
                           max_value=question.max if question.max is not None else 1000)
    options = list(question.option_ids())
    if question.kind == "multi":
        return st.lists(st.sampled_from(options), min_size=1, unique=True)
    return st.sampled_from(options)


@st.composite
def answer_sets(draw):
    answers = {}
    for question in engine().ordered_questions:
        if question.required or draw(st.booleans()):
            answers[question.id] = draw(answer_for(question))
    return answers


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(answers=answer_sets(), lang=st.sampled_from(["nl", "en"]))
def test_every_advice_is_well_formed(answers, lang):
    eng = engine()
    advice = eng.advise(answers, lang)

    # Deterministic: the same answers give the same advice.
    assert eng.advise(dict(answers), lang) == advice
    # Every form is ranked once, best first.
    scores = [entry.score for entry in advice.ranking]
    assert sorted(entry.form for entry in advice.ranking) == sorted(eng.forms)
    assert scores == sorted(scores, reverse=True)
    # Shares are a distribution.
    assert math.isclose(sum(entry.share for entry in advice.ranking), 1.0, abs_tol=1e-4)
    assert all(0.0 <= entry.share <= 1.0 for entry in advice.ranking)
    # When in doubt, the lightest form: nothing lighter lies within the tie margin of the best.
    best = scores[0]
    near = [e.form for e in advice.ranking if best - e.score <= eng.tie_margin + 1e-9]
    assert advice.recommended == min(near, key=lambda f: eng.forms[f].order)
    assert advice.tie_break == (len(near) > 1)
    # The explanation adds up to the scores.
    totals = dict.fromkeys(eng.forms, 0.0)
    for item in advice.explanation:
        for form, points in item.contributions.items():
            totals[form] += points
    assert {e.form: e.score for e in advice.ranking} == pytest.approx(totals)
    # Risks are most severe first, each named by the answers behind it.
    order = {"critical": 0, "warning": 1, "info": 2}
    assert [order[r.severity] for r in advice.risks] == sorted(order[r.severity] for r in advice.risks)
    for risk in advice.risks:
        assert risk.triggers, f"risk {risk.id} fired without naming the answers behind it"
        for trigger in risk.triggers:
            given_answer = answers[trigger.question]
            if isinstance(given_answer, list):   # multi answers come back in the question's option order
                assert sorted(trigger.answer) == sorted(given_answer)
            else:
                assert trigger.answer == given_answer
    assert advice.completeness.required_missing == ()
    assert advice.incomplete is False
