"""The engine through its public call, on a tiny fixture pack with known scores."""

from __future__ import annotations

import pytest

from advisor.engine import AnswersError
from tests.conftest import MINI_PACKS


@pytest.fixture
def engine(mini_app):
    return mini_app.extensions["advisor"].engine


def test_rule_contributions_decide_the_form(engine):
    advice = engine.advise({"scope": "ongoing_task", "partners": 30}, "en")
    assert advice.recommended == "program"
    assert [r.form for r in advice.ranking] == ["program", "informal"]
    assert advice.margin == 2.0
    assert advice.tie_break is False
    assert [e.rule for e in advice.explanation] == ["many"]
    assert advice.explanation[0].because == "Many"
    assert advice.explanation[0].triggers[0].question == "partners"
    assert advice.explanation[0].triggers[0].answer == 30


def test_shares_sum_to_one_and_follow_positive_scores(engine):
    advice = engine.advise({"scope": "individual_cases", "partners": 12})
    shares = {r.form: r.share for r in advice.ranking}
    assert shares == {"informal": 0.6, "program": 0.4}


def test_near_tie_goes_to_the_lighter_form_and_says_so(engine):
    # informal 3 (cases) against program 2 (many partners): within the 1.0 tie margin.
    advice = engine.advise({"scope": "individual_cases", "partners": 12})
    assert advice.recommended == "informal"
    assert advice.tie_break is True


def test_tie_break_prefers_lighter_form_even_when_heavier_scores_higher(make_app, write_pack):
    folder = write_pack("core.toml", (MINI_PACKS / "core.toml").read_text())
    write_pack("extra.toml", """
        [pack]
        id = "extra"
        version = "1"
        title = { nl = "x", en = "x" }
        [[rules]]
        id = "more-program"
        when = { partners = { min = 10 } }
        contributions = { program = 1.5 }
        because = { nl = "meer", en = "more" }
    """)
    engine = make_app(RULES_DIR=str(folder)).extensions["advisor"].engine
    advice = engine.advise({"scope": "individual_cases", "partners": 12})
    assert advice.ranking[0].form == "program"      # 3.5 against 3
    assert advice.recommended == "informal"         # within the margin: the lighter form
    assert advice.tie_break is True
    wide = make_app(RULES_DIR=str(folder), TIE_MARGIN=0.2).extensions["advisor"].engine
    assert wide.advise({"scope": "individual_cases", "partners": 12}).recommended == "program"


def test_risks_see_the_recommended_form(engine):
    advice = engine.advise({"scope": "ongoing_task", "partners": 25}, "nl")
    assert [r.id for r in advice.risks] == ["bureaucracy"]
    assert advice.risks[0].pack == "core"
    assert [t.question for t in advice.risks[0].triggers] == ["partners"]
    assert engine.advise({"scope": "individual_cases", "partners": 25}).risks == ()


def test_completeness_counts_answers(engine):
    advice = engine.advise({"scope": "ongoing_task"})
    assert (advice.completeness.answered, advice.completeness.total) == (1, 2)
    assert advice.completeness.required_missing == ()


@pytest.mark.parametrize(
    "answers, field, reason",
    [
        ({"scope": "forever"}, "answers.scope", "unknown option 'forever'"),
        ({"scope": 3}, "answers.scope", "must be one option id"),
        ({"scope": "ongoing_task", "partners": 0}, "answers.partners", "between 1 and 500"),
        ({"scope": "ongoing_task", "partners": 2.5}, "answers.partners", "whole number"),
        ({"scope": "ongoing_task", "partners": True}, "answers.partners", "whole number"),
        ({"scope": "ongoing_task", "youth.x": "a"}, "answers.youth.x", "unknown question"),
        ({"partners": 3}, "answers.scope", "required"),
    ],
)
def test_invalid_answers_name_field_and_reason(engine, answers, field, reason):
    with pytest.raises(AnswersError) as info:
        engine.advise(answers)
    assert reason in info.value.errors[field][0]


def test_drafts_may_leave_required_questions_open(engine):
    assert engine.validate_answers({"partners": 3}, require_complete=False) == {"partners": 3}
    assert engine.completeness({"partners": 3}).required_missing == ("scope",)


def test_fingerprint_changes_with_pack_content(make_app, write_pack):
    text = (MINI_PACKS / "core.toml").read_text()
    first = make_app(RULES_DIR=str(write_pack("core.toml", text))).extensions["advisor"].engine
    again = make_app(RULES_DIR=str(write_pack("core.toml", text))).extensions["advisor"].engine
    changed = make_app(RULES_DIR=str(write_pack("core.toml", text.replace("informal = 3", "informal = 4"))))
    assert first.ruleset.fingerprint == again.ruleset.fingerprint
    assert changed.extensions["advisor"].engine.ruleset.fingerprint != first.ruleset.fingerprint
    assert [(p.id, p.version) for p in first.ruleset.packs] == [("core", "0.1.0")]


def test_advice_is_given_in_the_asked_language(engine):
    nl = engine.advise({"scope": "ongoing_task", "partners": 30}, "nl")
    en = engine.advise({"scope": "ongoing_task", "partners": 30}, "en")
    assert (nl.explanation[0].because, en.explanation[0].because) == ("Veel", "Many")
    assert en.explanation[0].triggers[0].question_text == "Number of partners"
