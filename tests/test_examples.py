"""The two example plugins under plugins/, loaded the ways authors install them: the youth pack
from a plugins folder, advisor-capacity as an installed distribution with an entry point."""

from __future__ import annotations

import importlib.metadata
import shutil
from types import SimpleNamespace

import pytest

from advisor import hookimpl
from advisor.cases import load_cases, run_case
from advisor.engine import AnswersError
from advisor.plugins import PluginLoadError
from tests.conftest import ROOT, require

RULES = ROOT / "rules"
YOUTH = ROOT / "plugins" / "youth-care"
YOUTH_CASES = load_cases(YOUTH / "cases" / "youth.toml")
FAMILY = {
    "scope": "individual_cases", "horizon": "years", "change_type": "known_goal",
    "domains": ["youth", "care", "safety"], "partners": 5, "budget": "one_off",
}


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any(RULES.glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


def engine_of(app):
    return app.extensions["advisor"].engine


def capacity_distribution():
    try:
        return importlib.metadata.distribution("advisor-capacity")
    except importlib.metadata.PackageNotFoundError:
        require(False, "advisor-capacity is not installed (scripts/setup --test installs it)")


# --- the youth pack, from a plugins folder ---------------------------------------------------


@pytest.fixture
def youth_app(make_app):
    return make_app(PLUGINS_DIR=str(YOUTH))


def test_youth_pack_loads_from_a_plugins_folder(youth_app):
    listing = {p.name: p for p in engine_of(youth_app).plugins}
    assert (listing["youth"].kind, listing["youth"].version) == ("directory", "1.0.0")
    questionnaire = youth_app.test_client().get("/api/v1/questionnaire?lang=en").json
    youth_step = next(step for step in questionnaire["steps"] if step["id"] == "youth")
    assert [q["id"] for q in youth_step["questions"]] == [
        "youth.safety_plan", "youth.child_voice", "youth.statutory_partner"]
    assert youth_step["title"] == "Youth and family"
    assert questionnaire["steps"][-1]["id"] == "youth"         # after the core steps


@pytest.mark.parametrize("case", YOUTH_CASES, ids=[c.id for c in YOUTH_CASES])
def test_youth_worked_cases(youth_app, case):
    result = run_case(engine_of(youth_app), case)
    assert result.passed, "\n".join(result.problems)


def test_youth_answers_shift_the_advice(youth_app):
    engine = engine_of(youth_app)
    plain = engine.advise(FAMILY, "en")
    shared_plan = engine.advise({**FAMILY, "youth.safety_plan": "one_plan",
                                 "youth.child_voice": "child_and_parents"}, "en")
    assert (plain.recommended, shared_plan.recommended) == ("project", "informal")
    youth_rules = [(e.pack, e.rule) for e in shared_plan.explanation if e.pack == "youth"]
    assert youth_rules == [("youth", "youth-one-plan-casework"), ("youth", "youth-child-has-a-say")]
    assert [c.id for c in shared_plan.conditions if c.pack == "youth"] == ["youth-plan-keeper"]


def test_youth_risk_names_the_answers_behind_it(youth_app):
    advice = engine_of(youth_app).advise({**FAMILY, "youth.safety_plan": "none"}, "nl")
    risk = advice.risks[0]                                     # critical comes first
    assert (risk.id, risk.severity, risk.pack) == ("youth.no_safety_plan", "critical", "youth")
    assert risk.title == "Geen gezamenlijk veiligheidsplan"
    assert [t.question for t in risk.triggers] == ["youth.safety_plan", "partners", "domains"]


def test_deny_list_leaves_the_youth_pack_out(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH), PLUGINS_DENY=["youth"])
    assert "youth" not in [p.name for p in engine_of(app).plugins]
    with pytest.raises(AnswersError) as info:
        engine_of(app).advise({**FAMILY, "youth.safety_plan": "none"})
    assert info.value.errors == {"answers.youth.safety_plan": ["unknown question"]}


def test_allow_list_loads_only_the_named_plugins(make_app, app):
    core = [p.name for p in engine_of(app).plugins]
    only_core = make_app(PLUGINS_DIR=str(YOUTH), PLUGINS_ALLOW=core)
    assert [p.name for p in engine_of(only_core).plugins] == core
    with_youth = make_app(PLUGINS_DIR=str(YOUTH), PLUGINS_ALLOW=[*core, "youth"])
    assert [p.name for p in engine_of(with_youth).plugins] == [*core, "youth"]


def test_a_second_pack_redefining_a_youth_question_names_both_plugins(make_app, tmp_path):
    folder = tmp_path / "local"
    shutil.copytree(YOUTH, folder, ignore=shutil.ignore_patterns("cases"))
    (folder / "zz-family.toml").write_text(
        '[pack]\nid = "family"\nversion = "1"\ntitle = { nl = "Gezin", en = "Family" }\n'
        '[[questions]]\nid = "youth.safety_plan"\nkind = "integer"\ntext = { nl = "x", en = "x" }\n'
    )
    with pytest.raises(PluginLoadError, match="question 'youth.safety_plan' is defined by two plugins: 'youth' and 'family'"):
        make_app(PLUGINS_DIR=str(folder))


def test_two_plugins_with_one_name_are_both_named(make_app):
    class Impostor:
        @hookimpl
        def score_forms(self):
            return []

    with pytest.raises(PluginLoadError, match=r"two plugins are named 'youth': plugins/youth-care/youth.toml "
                                              r"\(directory\) and <youth> \(registered\)"):
        make_app(PLUGINS_DIR=str(YOUTH), PLUGINS_EXTRA=[("youth", Impostor())])


# --- advisor-capacity, an installed distribution ---------------------------------------------


@pytest.fixture
def capacity_app(make_app):
    capacity_distribution()
    return make_app(PLUGINS_ENTRY_POINTS=True)


def test_installed_package_is_loaded_through_its_entry_point(capacity_app):
    dist = capacity_distribution()
    listing = {p.name: p for p in engine_of(capacity_app).plugins}
    capacity = listing["capacity"]
    assert (capacity.kind, capacity.version) == ("entrypoint", dist.version)
    assert capacity.source == f"advisor-capacity {dist.version} (entry point advisor_capacity)"
    assert "score_forms" in capacity.hooks and "assess_risks" in capacity.hooks
    response = capacity_app.test_client().get("/api/v1/plugins").json
    assert {"name": "capacity", "kind": "entrypoint"}.items() <= next(
        p for p in response["plugins"] if p["name"] == "capacity").items()


def test_capacity_computes_coordination_load_from_two_answers(capacity_app):
    engine = engine_of(capacity_app)
    broad = {"scope": "ongoing_task", "horizon": "permanent", "change_type": "system_change",
             "domains": ["care", "welfare", "youth", "debt"], "partners": 25, "budget": "structural"}
    advice = engine.advise(broad, "en")
    item = next(e for e in advice.explanation if e.pack == "capacity")
    assert item.rule == "coordination-heavy-load"
    assert item.because.startswith("25 organisations across 4 fields: 100 lines to coordinate.")
    assert item.contributions == {"informal": -2.0, "program": 2.0, "embedded": -1.0}
    assert [t.question for t in item.triggers] == ["partners", "domains"]
    if advice.recommended == "program":
        assert "capacity-coordinator" in [c.id for c in advice.conditions]
    small = engine.advise({**broad, "partners": 3, "domains": ["care", "welfare"]}, "nl")
    item = next(e for e in small.explanation if e.pack == "capacity")
    assert item.rule == "coordination-light-load"
    assert item.because.startswith("3 organisaties op 2 terrein(en): maar 6 lijnen")


def test_capacity_meeting_share_raises_its_risk(capacity_app):
    engine = engine_of(capacity_app)
    answers = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
               "domains": ["care"], "partners": 8, "budget": "one_off",
               "capacity.joint_hours": 200, "capacity.meeting_hours": 120}
    risk = next(r for r in engine.advise(answers, "en").risks if r.pack == "capacity")
    assert risk.id == "capacity.meeting_overload"
    assert risk.why.startswith("60% of the joint hours go to meetings and reports.")
    calm = engine.advise({**answers, "capacity.meeting_hours": 40}, "en")
    assert "capacity.meeting_overload" not in [r.id for r in calm.risks]


def test_broken_entry_point_names_its_distribution(make_app, monkeypatch):
    broken = importlib.metadata.EntryPoint(name="broken", value="advisor_no_such_module", group="advisor")
    broken = broken._for(SimpleNamespace(name="advisor-broken", version="0.4.1"))

    def entry_points(**selection):
        assert selection == {"group": "advisor"}
        return importlib.metadata.EntryPoints([broken])

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    with pytest.raises(PluginLoadError) as info:
        make_app(PLUGINS_ENTRY_POINTS=True)
    assert str(info.value) == (
        "entry point 'broken' of advisor-broken 0.4.1 cannot be loaded: "
        "ModuleNotFoundError: No module named 'advisor_no_such_module'"
    )


def test_entry_points_can_be_switched_off(make_app):
    capacity_distribution()
    app = make_app(PLUGINS_ENTRY_POINTS=False)
    assert "capacity" not in [p.name for p in engine_of(app).plugins]
