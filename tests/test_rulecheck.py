"""The "can never fire" check of ``rules check`` agrees exactly with the engine.

On a small questionnaire every possible set of answers can be tried, so for random conditions
the check's verdict is compared with brute force over the engine's own compiled condition.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.conditions import RECOMMENDED, compile_condition
from advisor.model import Form, Option, Question
from advisor.rulecheck import never_fires

TEXT = {"nl": "x", "en": "x"}


def choice(qid: str, options: str, required: bool = False) -> Question:
    return Question(id=qid, kind="choice", text=TEXT, required=required,
                    options=tuple(Option(o, TEXT) for o in options))


QUESTIONS = {
    "c": choice("c", "abc"),
    "r": choice("r", "xy", required=True),
    "m": Question(id="m", kind="multi", text=TEXT, options=tuple(Option(o, TEXT) for o in "pqs")),
    "n": Question(id="n", kind="integer", text=TEXT, min=0, max=10),
}
FORMS = {"informal": Form("informal", 1, TEXT), "program": Form("program", 3, TEXT)}
SKIP = object()
VALUES = {
    "c": ["a", "b", "c", SKIP],
    "r": ["x", "y"],
    "m": [list(s) for k in (1, 2, 3) for s in itertools.combinations("pqs", k)] + [SKIP],
    "n": list(range(0, 11)) + [SKIP],
}


def every_context():
    for values in itertools.product(*VALUES.values(), FORMS):
        context = {qid: v for qid, v in zip(VALUES, values) if v is not SKIP}
        context[RECOMMENDED] = values[-1]
        yield context


def options_of(letters: str):
    return st.one_of(st.sampled_from(letters), st.lists(st.sampled_from(letters), min_size=1, max_size=3, unique=True))


answered = st.builds(lambda b: {"answered": b}, st.booleans())
bound = st.integers(0, 10)
ENTRIES = {
    "c": st.one_of(options_of("abc"), answered),
    "r": st.one_of(options_of("xy"), answered),
    "m": st.one_of(
        options_of("pqs"), answered,
        st.builds(lambda o: {"all": o}, st.lists(st.sampled_from("pqs"), min_size=1, max_size=3, unique=True)),
        st.builds(lambda k: {"at_least": k}, st.integers(0, 4)),
        st.builds(lambda k: {"at_most": k}, st.integers(0, 4)),
    ),
    "n": st.one_of(
        st.builds(lambda k: {"min": k}, bound), st.builds(lambda k: {"max": k}, bound),
        st.builds(lambda a, b: {"min": a, "max": b}, bound, bound),
    ),
    "recommended": st.one_of(st.sampled_from(list(FORMS)), st.just(list(FORMS))),
}
leaf = st.sets(st.sampled_from(list(ENTRIES)), min_size=1, max_size=2).flatmap(
    lambda keys: st.fixed_dictionaries({key: ENTRIES[key] for key in keys})
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
        st.builds(lambda a, b: {**a, **b}, leaf, st.builds(lambda p: {"not": p}, inner)),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_never_fires_agrees_with_brute_force(when):
    test = compile_condition(when, QUESTIONS, FORMS, allow_advice=True).test
    possible = any(test(context) for context in every_context())
    verdict = never_fires(when, QUESTIONS, FORMS)
    assert (verdict is None) == possible, f"{when}: check says {verdict!r}, brute force says possible={possible}"


def test_named_contradictions():
    assert never_fires({"all": [{"c": "a"}, {"c": ["b", "c"]}]}, QUESTIONS, FORMS) == (
        "no answer to 'c' meets all its conditions")
    assert never_fires({"n": {"min": 8, "max": 3}}, QUESTIONS, FORMS) is not None
    assert never_fires({"m": {"at_least": 4}}, QUESTIONS, FORMS) is not None
    assert never_fires({"r": {"answered": False}}, QUESTIONS, FORMS) is not None   # required
    assert never_fires({"c": {"answered": False}}, QUESTIONS, FORMS) is None        # optional
    assert never_fires({"c": "a"}, QUESTIONS, FORMS, extra={"recommended": "program"}) is None
    assert never_fires({"recommended": "informal"}, QUESTIONS, FORMS, extra={"recommended": ["program"]}) == (
        "no recommended form meets all its conditions")
