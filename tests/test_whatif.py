"""What would change the advice: every alternative really flips the advice, and is small."""

from __future__ import annotations

import pytest

FULL = {
    "scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
    "domains": ["care", "welfare", "youth"], "partners": 12, "budget": "one_off", "trust": "moderate",
}


def test_alternatives_in_the_api_each_flip_the_advice(client, app):
    response = client.post("/api/v1/advice", json={"answers": FULL, "lang": "en", "alternatives": True})
    assert response.status_code == 200
    body = response.json
    alternatives = body["alternatives"]
    assert alternatives, "a near-tie advice must have alternatives"
    engine = app.extensions["advisor"].engine
    for alternative in alternatives:
        assert alternative["form"] != body["recommended"]
        assert 1 <= len(alternative["changes"]) <= 2
        changed = dict(FULL)
        for change in alternative["changes"]:
            assert change["before"] == FULL.get(change["question"])
            assert change["after_text"] and change["question_text"]
            changed[change["question"]] = change["after"]
        assert engine.advise(changed).recommended == alternative["form"]


def test_horizon_permanent_would_make_it_a_program(client):
    body = client.post("/api/v1/advice", json={"answers": FULL, "lang": "en", "alternatives": True}).json
    assert body["recommended"] == "project"
    singles = {(a["form"], a["changes"][0]["question"], str(a["changes"][0]["after"]))
               for a in body["alternatives"] if len(a["changes"]) == 1}
    assert ("program", "horizon", "permanent") in singles


def test_integer_alternatives_are_the_nearest_that_flip(app):
    from advisor.whatif import alternatives

    engine = app.extensions["advisor"].engine
    answers = engine.validate_answers(FULL)
    advice = engine.advise_valid(answers)
    for alternative in alternatives(engine, answers, advice.recommended):
        for change in alternative.changes:
            if change.question == "partners" and len(alternative.changes) == 1:
                # Any number between the current and the proposed one keeps the current advice.
                low, high = sorted((change.before, change.after))
                for between in range(low + 1, high):
                    assert engine.recommend({**answers, "partners": between})[0] != alternative.form


def test_alternatives_are_not_computed_unless_asked(client):
    body = client.post("/api/v1/advice", json={"answers": FULL}).json
    assert body["alternatives"] is None


@pytest.mark.parametrize("budget", [1, 10])
def test_search_is_bounded(app, budget, monkeypatch):
    from advisor import whatif

    engine = app.extensions["advisor"].engine
    calls = []
    original = engine.recommend
    monkeypatch.setattr(engine, "recommend", lambda answers, budget=None: calls.append(1) or original(answers, budget))
    answers = engine.validate_answers(FULL)
    whatif.alternatives(engine, answers, "project", max_evaluations=budget)
    assert len(calls) <= budget
