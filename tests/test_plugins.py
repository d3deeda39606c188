"""The hook contract: plugins registered per app, listed, allowed, denied, and contained."""

from __future__ import annotations

import textwrap

import pytest

from advisor import hookimpl
from advisor.model import Contribution, Question, Option, RiskDefinition, RiskFinding, SuccessCondition
from advisor.plugins import PluginLoadError
from tests.conftest import MINI_PACKS


class TwoPartnerRule:
    """Gives the 'program' form points when more than two partners join."""

    version = "2.1"

    @hookimpl
    def score_forms(self, answers):
        if answers.get("partners", 0) > 2:
            return [Contribution(rule="two-plus", contributions={"program": 5},
                                 because={"nl": "Meer dan twee", "en": "More than two"},
                                 source="test", reads=("partners",))]
        return []


def engine_of(app):
    return app.extensions["advisor"].engine


def test_registered_plugin_contributes_and_is_listed(mini_app, make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("two-plus", TwoPartnerRule())])
    advice = engine_of(app).advise({"scope": "individual_cases", "partners": 3})
    assert advice.recommended == "program"
    assert ("two-plus", "two-plus") in [(e.rule, e.pack) for e in advice.explanation]
    listing = {p.name: p for p in engine_of(app).plugins}
    assert listing["two-plus"].version == "2.1"
    assert listing["two-plus"].hooks == ("score_forms",)
    assert listing["core"].kind == "builtin"
    # Another app in the same process does not see the plugin.
    assert "two-plus" not in [p.name for p in engine_of(mini_app).plugins]
    assert engine_of(mini_app).ruleset.fingerprint != engine_of(app).ruleset.fingerprint


def test_misspelled_hook_is_a_startup_error(make_app):
    class Typo:
        @hookimpl
        def score_form(self, answers):
            return []

    with pytest.raises(PluginLoadError, match="score_form"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("typo", Typo())])


def test_deny_and_allow_lists(make_app):
    extra = [("two-plus", TwoPartnerRule())]
    denied = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=extra, PLUGINS_DENY=["two-plus"])
    assert [p.name for p in engine_of(denied).plugins] == ["core"]
    allowed = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=extra, PLUGINS_ALLOW=["core"])
    assert [p.name for p in engine_of(allowed).plugins] == ["core"]


def test_allow_list_from_the_environment_is_split(monkeypatch, tmp_path):
    from advisor import create_app

    monkeypatch.setenv("ADVISOR_RULES_DIR", str(MINI_PACKS))
    monkeypatch.setenv("ADVISOR_PLUGINS_DENY", "youth, other")
    monkeypatch.setenv("ADVISOR_TIE_MARGIN", "0.5")
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path))
    app = create_app()
    assert app.config["PLUGINS_DENY"] == ["youth", "other"]
    assert engine_of(app).tie_margin == 0.5


def test_directory_plugins_load_packs_and_modules(make_app, tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "partners_rule.py").write_text(textwrap.dedent('''
        from advisor import hookimpl
        from advisor.model import Contribution
        __version__ = "0.3"

        @hookimpl
        def score_forms(answers):
            return [Contribution(rule="local", contributions={"informal": 1}, because={"nl": "lokaal"})]
    '''))
    (folder / "local_pack.toml").write_text(textwrap.dedent('''
        [pack]
        id = "local-pack"
        version = "0.9"
        title = { nl = "Lokaal" }
        [[rules]]
        id = "always"
        contributions = { program = 1 }
        because = { nl = "altijd" }
    '''))
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))
    kinds = {p.name: (p.kind, p.version) for p in engine_of(app).plugins}
    assert kinds == {"core": ("builtin", "0.1.0"), "local-pack": ("directory", "0.9"),
                     "partners_rule": ("directory", "0.3")}
    rules = [e.rule for e in engine_of(app).advise({"scope": "ongoing_task"}).explanation]
    assert sorted(rules) == ["always", "local"]


def test_broken_directory_module_names_the_file(make_app, tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "broken.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(PluginLoadError, match=r"broken.py: import failed: RuntimeError: boom"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))


def test_question_collision_names_both_plugins(make_app):
    class Clash:
        @hookimpl
        def register_questions(self):
            return [Question(id="scope", kind="choice", text={"nl": "x"},
                             options=(Option("a", {"nl": "a"}),))]

    with pytest.raises(PluginLoadError, match="question 'scope' is defined by two plugins: 'core' and 'clash'"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("clash", Clash())])


def test_plugin_questions_must_be_namespaced(make_app):
    class Loose:
        @hookimpl
        def register_questions(self):
            return [Question(id="safety_plan", kind="integer", text={"nl": "x"})]

    with pytest.raises(PluginLoadError, match="must be namespaced, e.g. 'loose.safety_plan'"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("loose", Loose())])


class Raising:
    @hookimpl
    def score_forms(self, answers):
        raise ZeroDivisionError("division by zero in a rule")


class WrongShape:
    @hookimpl
    def score_forms(self):
        return [Contribution(rule="bad", contributions={"network": 1}, because={"nl": "x"})]


class UndeclaredRisk:
    @hookimpl
    def assess_risks(self):
        return [RiskFinding(id="surprise", severity="warning", title={"nl": "t"}, why={"nl": "w"}, advice={"nl": "a"})]


@pytest.mark.parametrize(
    "plugin, hook, error",
    [
        (Raising(), "score_forms", "ZeroDivisionError: division by zero in a rule"),
        (WrongShape(), "score_forms", "unknown form 'network'"),
        (UndeclaredRisk(), "assess_risks", "risk 'surprise', which it did not declare"),
    ],
)
def test_failing_plugin_is_contained_and_named(make_app, plugin, hook, error, caplog):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("faulty", plugin)])
    advice = engine_of(app).advise({"scope": "ongoing_task", "partners": 30})
    assert advice.incomplete is True
    assert [(f.plugin, f.hook) for f in advice.failed_plugins] == [("faulty", hook)]
    assert error in advice.failed_plugins[0].error
    assert advice.recommended == "program"          # the other plugins still gave their advice
    assert "plugin 'faulty' failed" in caplog.text

    response = app.test_client().post("/api/v1/advice", json={"answers": {"scope": "ongoing_task"}})
    assert response.status_code == 200
    assert response.json["incomplete"] is True
    assert response.json["failed_plugins"][0]["plugin"] == "faulty"


def test_strict_mode_refuses_with_503(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("faulty", Raising())], PLUGINS_STRICT=True)
    response = app.test_client().post("/api/v1/advice", json={"answers": {"scope": "ongoing_task"}})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["failed_plugins"][0]["plugin"] == "faulty"


def test_plugin_failing_at_startup_is_named(make_app):
    class BadForms:
        @hookimpl
        def register_forms(self):
            raise KeyError("order")

    with pytest.raises(PluginLoadError, match="plugin 'bad' failed in register_forms: KeyError"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("bad", BadForms())])


def test_success_conditions_and_declared_risks_from_python(make_app):
    class Extras:
        @hookimpl
        def register_risks(self):
            return [RiskDefinition(id="extras.many", severity="critical", title={"nl": "veel"})]

        @hookimpl
        def assess_risks(self, answers, recommended):
            if recommended == "program":
                return [RiskFinding(id="extras.many", severity="critical", title={"nl": "veel", "en": "many"},
                                    why={"en": "why"}, advice={"en": "do"}, reads=("partners",))]
            return []

        @hookimpl
        def success_conditions(self, recommended):
            return [SuccessCondition(id="review", text={"nl": "evalueer", "en": "review"})]

    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("extras", Extras())])
    advice = engine_of(app).advise({"scope": "ongoing_task", "partners": 25}, "en")
    assert [r.id for r in advice.risks] == ["extras.many", "bureaucracy"]   # critical first
    assert [(c.id, c.text, c.pack) for c in advice.conditions] == [("review", "review", "extras")]


def test_validate_rules_hook_can_stop_startup(make_app):
    class Picky:
        @hookimpl
        def validate_rules(self, forms):
            return [] if "embedded" in forms else ["picky: rule 'x': needs the 'embedded' form"]

    with pytest.raises(PluginLoadError, match="needs the 'embedded' form"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("picky", Picky())])
