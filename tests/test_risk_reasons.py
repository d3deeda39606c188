"""A risk's reasons and the three-valued reading behind "not checked", tested on small packs:
the why names only the reasons that hold, the loader refuses malformed reasons, `rules check`
warns about a misplaced placeholder, and the three-valued reading never claims to know what
the skipped answers could still change (brute force over a small questionnaire)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.conditions import RECOMMENDED, compile_condition
from advisor.rulecheck import Loaded, check_files
from advisor.rulepack import PackError, parse_pack
from advisor.unchecked import compile_open
from tests.test_rulecheck import FORMS, QUESTIONS, SKIP, VALUES, conditions, every_context

CONTEXTS = list(every_context())


@settings(max_examples=300, deadline=None)
@given(when=conditions, context=st.sampled_from(CONTEXTS))
def test_three_valued_reading_is_sound(when, context):
    """True or False means every way of answering the skipped questions (or leaving them
    skipped) gives that result; unknown names only skipped questions."""
    test = compile_condition(when, QUESTIONS, FORMS, allow_advice=True).test
    result = compile_open(when, QUESTIONS, FORMS)(context)
    skipped = [qid for qid in VALUES if qid not in context]
    if isinstance(result, frozenset):
        assert result and result <= set(skipped), (when, context, result)
        return
    for values in itertools.product(*(VALUES[qid] for qid in skipped)):
        completed = {**context, **{q: v for q, v in zip(skipped, values) if v is not SKIP}}
        assert test(completed) is result, f"{when}: said {result} for {context}, but {completed} gives {not result}"


PACK = """
[pack]
id = "reasons-demo"
version = "1.0.0"
title = { nl = "Demo", en = "Demo" }

[[forms]]
id = "informal"
order = 1
name = { nl = "Informeel", en = "Informal" }

[[forms]]
id = "program"
order = 3
name = { nl = "Programma", en = "Programme" }

[[questions]]
id = "size"
kind = "integer"
required = true
min = 1
max = 100
text = { nl = "Hoeveel?", en = "How many?" }

[[questions]]
id = "meetings"
kind = "choice"
text = { nl = "Overleg?", en = "Meetings?" }
options = [{ id = "little", label = { nl = "Weinig", en = "Little" } }, { id = "most", label = { nl = "Veel", en = "Most" } }]

[[questions]]
id = "consensus"
kind = "choice"
text = { nl = "Consensus?", en = "Consensus?" }
options = [{ id = "yes", label = { nl = "Ja", en = "Yes" } }, { id = "no", label = { nl = "Nee", en = "No" } }]

[[rules]]
id = "base"
contributions = { informal = 1 }
because = { nl = "Basis.", en = "Base." }
source = "test"

[[risks]]
id = "slow"
severity = "warning"
when = { size = { min = 2 } }
title = { nl = "Traag", en = "Slow" }
why = { nl = "Begin. {reasons} Eind.", en = "Start. {reasons} End." }
advice = { nl = "Doe iets.", en = "Do something." }
source = "test"

[[risks.reasons]]
when = { meetings = "most" }
why = { nl = "Veel overleg.", en = "Mostly meetings." }

[[risks.reasons]]
when = { consensus = "yes", size = { min = 8 } }
why = { nl = "Iedereen moet ja zeggen.", en = "Everyone must say yes." }
"""


@pytest.fixture
def demo(make_app, write_pack):
    return make_app(RULES_DIR=str(write_pack("demo.toml", PACK))).extensions["advisor"].engine


def test_why_and_triggers_name_only_the_reasons_that_hold(demo):
    meetings = demo.advise({"size": 3, "meetings": "most", "consensus": "yes"}, "en")
    (risk,) = meetings.risks
    assert risk.why == "Start. Mostly meetings. End."
    assert [t.question for t in risk.triggers] == ["size", "meetings"]
    both = demo.advise({"size": 9, "meetings": "most", "consensus": "yes"}, "nl").risks[0]
    assert both.why == "Begin. Veel overleg. Iedereen moet ja zeggen. Eind."
    assert demo.advise({"size": 9, "meetings": "little", "consensus": "no"}, "en").risks == ()
    # `when` must hold too: one organisation has no meetings problem between partners.
    assert demo.advise({"size": 1, "meetings": "most"}, "en").risks == ()


def test_not_checked_names_the_questions_that_could_still_make_it_fire(demo):
    small = demo.advise({"size": 3}, "en")
    assert [(i.id, [q.question for q in i.questions]) for i in small.not_checked] == [("slow", ["meetings"])]
    large = demo.advise({"size": 9}, "en")
    assert [q.question for q in large.not_checked[0].questions] == ["meetings", "consensus"]
    assert demo.advise({"size": 1}, "en").not_checked == ()  # `when` is false: nothing to check
    assert demo.advise({"size": 3, "meetings": "little"}, "en").not_checked == ()


@pytest.mark.parametrize("reasons, message", [
    ("reasons = []", "reasons: shorter than minimum length 1"),
    ("[[risks.reasons]]\nwhy = { nl = \"x\", en = \"x\" }", "reasons[0].when: missing data for required field"),
    ("[[risks.reasons]]\nwhen = { meetings = \"often\" }\nwhy = { nl = \"x\", en = \"x\" }", "unknown option 'often'"),
])
def test_malformed_reasons_are_refused_with_the_field(make_app, write_pack, reasons, message):
    text = PACK[:PACK.index("[[risks.reasons]]")] + reasons + "\n"
    if "often" in reasons:
        with pytest.raises(Exception) as caught:
            make_app(RULES_DIR=str(write_pack("demo.toml", text)))
    else:
        with pytest.raises(PackError) as caught:
            parse_pack(text.encode(), "demo.toml")
    assert message in str(caught.value) and "risk 'slow'" in str(caught.value)


def test_rules_check_warns_about_a_misplaced_reasons_placeholder(write_pack):
    lonely = PACK[:PACK.index("[[risks.reasons]]")]
    one_sided = PACK.replace('en = "Start. {reasons} End."', 'en = "Start. End."')
    for text, expected in ((lonely, "but the risk has no reasons"), (one_sided, "in nl only")):
        folder = write_pack("demo.toml", text)
        report = check_files([folder / "demo.toml"], Loaded(), builtin=lambda path, pack: True)
        assert any(expected in str(f) and f.level == "warning" for f in report.findings), report.findings
    clean = check_files([write_pack("demo.toml", PACK) / "demo.toml"], Loaded(), builtin=lambda path, pack: True)
    assert not [f for f in clean.findings if "reasons" in str(f)]
