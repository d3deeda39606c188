"""One test per hook of advisor/hookspecs.py, each through a plugin registered for one app only
(PLUGINS_EXTRA), seen through a public surface: the engine's advice, the API or start-up.

tests/test_plugin_guide.py fails when a hook has no ``test_hook_<name>`` here or elsewhere.
"""

from __future__ import annotations

import pytest

from advisor import hookimpl
from advisor.model import (
    Contribution,
    Form,
    Option,
    Question,
    RiskDefinition,
    RiskFinding,
    Step,
    SuccessCondition,
)
from advisor.plugins import PluginLoadError
from tests.conftest import MINI_PACKS

TEXT = {"nl": "tekst", "en": "text"}


def app_with(make_app, name: str, plugin: object):
    return make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[(name, plugin)])


def engine_of(app):
    return app.extensions["advisor"].engine


def test_hook_register_steps(make_app):
    class Steps:
        @hookimpl
        def register_steps(self):
            return [Step(id="extra", title={"nl": "Extra", "en": "Extra step"}, order=99)]

        @hookimpl
        def register_questions(self):
            return [Question(id="extra.size", kind="integer", text=TEXT, min=0, max=9, step="extra")]

    app = app_with(make_app, "extra", Steps())
    steps = app.test_client().get("/api/v1/questionnaire?lang=en").json["steps"]
    assert [(s["id"], s["title"]) for s in steps] == [("task", "The task"), ("extra", "Extra step")]
    assert [q["id"] for q in steps[1]["questions"]] == ["extra.size"]


def test_hook_register_questions(make_app):
    class Questions:
        @hookimpl
        def register_questions(self):
            return [Question(id="extra.plan", kind="choice", text={"nl": "Plan?", "en": "Plan?"},
                             options=(Option("yes", {"nl": "ja", "en": "yes"}),), step="task")]

    app = app_with(make_app, "extra", Questions())
    engine = engine_of(app)
    assert engine.questions["extra.plan"].option_ids() == ("yes",)
    assert engine.validate_answers({"scope": "ongoing_task", "extra.plan": "yes"}) == {
        "scope": "ongoing_task", "extra.plan": "yes"}
    response = app.test_client().post("/api/v1/advice", json={"answers": {"scope": "ongoing_task", "extra.plan": "no"}},
                                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json["errors"] == {"answers.extra.plan": ["unknown option 'no' (known: yes)"]}


def test_hook_register_forms(make_app):
    class Network:
        @hookimpl
        def register_forms(self):
            return [Form(id="network", order=5, name={"nl": "Netwerkorganisatie", "en": "Network organisation"})]

        @hookimpl
        def score_forms(self, answers):
            return [Contribution(rule="network-many", contributions={"network": 10}, because=TEXT)]

    app = app_with(make_app, "network", Network())
    forms = app.test_client().get("/api/v1/forms?lang=en").json["forms"]
    assert [f["id"] for f in forms] == ["informal", "program", "network"]       # light to heavy
    assert engine_of(app).advise({"scope": "ongoing_task"}).recommended == "network"


def test_hook_register_risks(make_app):
    class Declares:
        @hookimpl
        def register_risks(self):
            return [RiskDefinition(id="extra.lonely", severity="info", title=TEXT, source="test")]

    app = app_with(make_app, "extra", Declares())
    assert engine_of(app).risk_definitions["extra.lonely"].severity == "info"
    assert engine_of(app).owners[("risk", "extra.lonely")] == "extra"

    class Clash:
        @hookimpl
        def register_risks(self):
            return [RiskDefinition(id="bureaucracy", severity="info", title=TEXT)]

    with pytest.raises(PluginLoadError, match="risk 'bureaucracy' is defined by two plugins: 'core' and 'clash'"):
        app_with(make_app, "clash", Clash())


def test_hook_score_forms(make_app):
    seen = {}

    class Scores:
        @hookimpl
        def score_forms(self, answers, questions):
            seen["answers"] = dict(answers)
            seen["questions"] = sorted(questions)
            return [Contribution(rule="always-program", contributions={"program": 5},
                                 because={"nl": "altijd", "en": "always"}, source="test", reads=("scope",))]

    advice = engine_of(app_with(make_app, "scores", Scores())).advise({"scope": "individual_cases"}, "en")
    assert seen == {"answers": {"scope": "individual_cases"}, "questions": ["partners", "scope"]}
    item = next(e for e in advice.explanation if e.pack == "scores")
    assert (item.rule, item.because, item.source) == ("always-program", "always", "test")
    assert [t.answer for t in item.triggers] == ["individual_cases"]
    assert advice.recommended == "program"                     # 5 against informal's 3: beyond the tie margin


def test_hook_assess_risks(make_app):
    calls = []

    class Risky:
        @hookimpl
        def register_risks(self):
            return [RiskDefinition(id="risky.heavy", severity="critical", title=TEXT)]

        @hookimpl
        def assess_risks(self, answers, recommended, ranking, questions):
            calls.append((recommended, [r.form for r in ranking], "scope" in questions))
            if recommended == "program":
                return [RiskFinding(id="risky.heavy", severity="critical", title=TEXT,
                                    why={"en": "heavy"}, advice={"en": "lighten"}, reads=("partners",))]
            return []

    engine = engine_of(app_with(make_app, "risky", Risky()))
    advice = engine.advise({"scope": "ongoing_task", "partners": 30}, "en")
    assert calls == [("program", ["program", "informal"], True)]
    assert [(r.id, r.severity, r.why, r.pack) for r in advice.risks][0] == ("risky.heavy", "critical", "heavy", "risky")
    assert engine.advise({"scope": "individual_cases"}).risks == ()


def test_hook_success_conditions(make_app):
    class Conditions:
        @hookimpl
        def success_conditions(self, recommended, answers):
            if recommended == "informal" and answers.get("partners", 0) < 5:
                return [SuccessCondition(id="handover", text={"nl": "warme overdracht", "en": "warm handover"},
                                         source="004")]
            return []

    engine = engine_of(app_with(make_app, "conditions", Conditions()))
    advice = engine.advise({"scope": "individual_cases", "partners": 3}, "en")
    assert [(c.id, c.text, c.pack, c.source) for c in advice.conditions] == [
        ("handover", "warm handover", "conditions", "004")]
    assert engine.advise({"scope": "ongoing_task", "partners": 30}).conditions == ()


def test_hook_validate_rules(make_app):
    class Validates:
        @hookimpl
        def validate_rules(self, questions, forms, risks):
            problems = []
            if "domains" not in questions:
                problems.append("validates: rule 'broad': reads 'domains', which no plugin defines")
            if "bureaucracy" not in risks or "program" not in forms:
                problems.append("validates: needs the core risks and forms")
            return problems

    with pytest.raises(PluginLoadError) as info:
        app_with(make_app, "validates", Validates())
    assert str(info.value) == "validates: rule 'broad': reads 'domains', which no plugin defines"
