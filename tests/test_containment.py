"""Plugins contained and bounded: malformed results, SystemExit and KeyboardInterrupt, overrunning
calls and an unbounded what-if search all cost only the plugin's own part of the advice."""

from __future__ import annotations

import tempfile
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import create_app, hookimpl
from advisor.model import Contribution, RiskDefinition, RiskFinding, SuccessCondition
from advisor.plugins import PluginLoadError
from tests.conftest import BASE_CONFIG, MINI_PACKS

ANSWERS = {"scope": "ongoing_task", "partners": 30}
TEXT = {"nl": "tekst", "en": "text"}


def engine_of(app):
    return app.extensions["advisor"].engine


def scoring(**fields):
    """A plugin whose score_forms returns one Contribution built from `fields`."""
    values = {"rule": "odd", "contributions": {"program": 1}, "because": TEXT, "source": "s", "reads": ()}
    values.update(fields)

    class Plugin:
        @hookimpl
        def score_forms(self):
            return [Contribution(**values)]

    return Plugin()


def risky(**fields):
    values = {"id": "odd.risk", "severity": "warning", "title": TEXT, "why": TEXT, "advice": TEXT}
    values.update(fields)

    class Plugin:
        @hookimpl
        def register_risks(self):
            return [RiskDefinition(id="odd.risk", severity="warning", title=TEXT)]

        @hookimpl
        def assess_risks(self):
            return [RiskFinding(**values)]

    return Plugin()


def conditioned(**fields):
    values = {"id": "odd-condition", "text": TEXT}
    values.update(fields)

    class Plugin:
        @hookimpl
        def success_conditions(self):
            return [SuccessCondition(**values)]

    return Plugin()


def raising(exception):
    class Plugin:
        @hookimpl
        def score_forms(self):
            raise exception

    return Plugin()


class HugeScores:
    """Two finite scores whose sum is infinite."""

    @hookimpl
    def score_forms(self):
        return [Contribution(rule=f"huge-{i}", contributions={"informal": 1.7e308}, because=TEXT) for i in (1, 2)]


MALFORMED = [
    (scoring(because=42), "score_forms", "because is 42, expected a text"),
    (scoring(because=["nl", "en"]), "score_forms", "because is ['nl', 'en'], expected a text"),
    (scoring(because={"nl": 5}), "score_forms", "because is {'nl': 5}"),
    (scoring(reads=12345), "score_forms", "reads is 12345, expected a list of question ids"),
    (scoring(reads=[["scope"]]), "score_forms", "reads is [['scope']]"),
    (scoring(source=3), "score_forms", "source is 3, expected a string"),
    (scoring(contributions={"program": 1.7e308}), "score_forms", "gives 1.7e+308 to 'program', expected a number from"),
    (scoring(contributions=[("program", 1)]), "score_forms", "contributions must map form ids to points"),
    (HugeScores(), "score_forms", "gives 1.7e+308 to 'informal'"),
    (risky(title=7), "assess_risks", "risk 'odd.risk': title is 7, expected a text"),
    (risky(advice=None), "assess_risks", "risk 'odd.risk': advice is None"),
    (risky(reads="scope"), "assess_risks", "reads is 'scope'"),
    (risky(severity=["warning"]), "assess_risks", "unknown severity ['warning']"),
    (conditioned(text=5), "success_conditions", "condition 'odd-condition': text is 5, expected a text"),
    (conditioned(id=["x"]), "success_conditions", "id is ['x'], expected a non-empty string"),
    (raising(SystemExit(3)), "score_forms", "SystemExit: 3"),
    (raising(KeyboardInterrupt()), "score_forms", "KeyboardInterrupt"),
]


@pytest.mark.parametrize("plugin, hook, error", MALFORMED)
def test_malformed_results_and_exits_are_contained_and_named(make_app, plugin, hook, error):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("odd", plugin)])
    advice = engine_of(app).advise(ANSWERS, "en")
    assert advice.incomplete is True
    assert [(f.plugin, f.hook) for f in advice.failed_plugins] == [("odd", hook)]
    assert error in advice.failed_plugins[0].error
    assert advice.recommended == "program"  # the mini pack's own advice stands
    assert all(abs(entry.score) < 1e6 for entry in advice.ranking)

    response = app.test_client().post("/api/v1/advice", json={"answers": ANSWERS, "alternatives": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["incomplete"] is True
    assert response.json["failed_plugins"][0]["plugin"] == "odd"


def test_well_formed_plugin_results_still_count(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[
        ("fine", scoring(contributions={"program": 1_000_000}, reads=["scope"])),
        ("risks", risky()), ("conditions", conditioned())])
    advice = engine_of(app).advise(ANSWERS, "en")
    assert advice.incomplete is False
    assert "odd.risk" in [r.id for r in advice.risks] and "odd-condition" in [c.id for c in advice.conditions]
    assert advice.ranking[0].form == "program" and advice.ranking[0].score >= 1_000_000


PACK = """
[pack]
id = "points"
version = "1"
title = {{ nl = "Punten", en = "Points" }}

[[rules]]
id = "too-many"
contributions = {{ informal = {points} }}
because = {{ nl = "x", en = "x" }}
source = "s"
"""


@pytest.mark.parametrize("points", ["1.7e308", "-1000001", "1e7"])
def test_a_pack_with_unbounded_points_fails_check_and_start_up(make_app, write_pack, runner, points):
    folder = write_pack("points.toml", PACK.format(points=points))
    message = "rule 'too-many': contributions.informal: points must be from -1,000,000 to 1,000,000"
    with pytest.raises(PluginLoadError, match=message):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))
    result = runner.invoke(args=["rules", "check", str(folder / "points.toml")])
    assert result.exit_code == 1 and message in result.output


def test_a_pack_at_the_bound_loads(make_app, write_pack):
    folder = write_pack("points.toml", PACK.format(points="-1000000"))
    make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))


# --- Time ------------------------------------------------------------------------------------


class Sleepy:
    """Sleeps in score_forms; also has a risk and a condition, so skipped calls can be seen."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    @hookimpl
    def score_forms(self):
        self.calls += 1
        time.sleep(self.seconds)
        return [Contribution(rule="slow", contributions={"informal": 100}, because=TEXT)]


class SleepyCatchAll(Sleepy):
    """Swallows whatever interrupts it, as careless plugin code does."""

    @hookimpl
    def score_forms(self):
        try:
            time.sleep(self.seconds)
        except Exception:
            pass
        return []


class Later:
    @hookimpl
    def success_conditions(self):
        return [SuccessCondition(id="later", text=TEXT)]


def test_an_overrunning_plugin_is_abandoned_and_named(make_app):
    sleepy = Sleepy(60)
    app = make_app(RULES_DIR=str(MINI_PACKS), ADVICE_TIME_BUDGET_MS=200,
                   PLUGINS_EXTRA=[("sleepy", sleepy), ("later", Later())])
    response = app.test_client().post("/api/v1/advice", json={"answers": ANSWERS})
    assert response.status_code == 200
    body = response.json
    assert body["incomplete"] is True and body["recommended"] == "program"  # the slow 100 points never came
    failures = {(f["plugin"], f["hook"]): f["error"] for f in body["failed_plugins"]}
    overran = "abandoned: it overran the advice's time budget (200 ms, ADVICE_TIME_BUDGET_MS)"
    assert overran in failures[("sleepy", "score_forms")]
    assert "not called: the advice's time budget (200 ms" in failures[("later", "success_conditions")]
    assert sleepy.calls == 1


def test_the_budget_cannot_be_swallowed_by_except_exception(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), ADVICE_TIME_BUDGET_MS=200,
                   PLUGINS_EXTRA=[("careless", SleepyCatchAll(60))])
    advice = engine_of(app).advise(ANSWERS)
    assert [(f.plugin, f.error.split(":")[0]) for f in advice.failed_plugins] == [("careless", "abandoned")]


def test_off_the_main_thread_a_late_result_is_discarded_and_named(make_app):
    """No timer signal off the main thread: the call runs to its end, its result is not used."""
    app = make_app(RULES_DIR=str(MINI_PACKS), ADVICE_TIME_BUDGET_MS=50, PLUGINS_EXTRA=[("sleepy", Sleepy(0.3))])
    results = []
    worker = threading.Thread(target=lambda: results.append(engine_of(app).advise(ANSWERS)))
    worker.start()
    worker.join()
    advice = results[0]
    assert advice.recommended == "program"
    assert [f.plugin for f in advice.failed_plugins] == ["sleepy"]
    assert "overran" in advice.failed_plugins[0].error


def test_the_timer_is_put_back_after_each_call(make_app):
    import signal

    app = make_app(RULES_DIR=str(MINI_PACKS), ADVICE_TIME_BUDGET_MS=5000, PLUGINS_EXTRA=[("quick", Sleepy(0))])
    before = signal.getsignal(signal.SIGALRM)
    assert engine_of(app).advise(ANSWERS).incomplete is False
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_without_a_budget_a_slow_plugin_is_waited_for(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), ADVICE_TIME_BUDGET_MS=0, PLUGINS_EXTRA=[("sleepy", Sleepy(0.3))])
    advice = engine_of(app).advise(ANSWERS)
    assert advice.incomplete is False and advice.recommended == "informal"


FULL = {
    "scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
    "domains": ["care", "welfare", "youth"], "partners": 12, "budget": "one_off", "trust": "moderate",
}


class SlowEveryCall:
    """0.03 s per call: an advice fits the budget, the 100+ calls of a what-if search do not."""

    def __init__(self, seconds: float = 0.03) -> None:
        self.seconds = seconds
        self.calls = 0

    @hookimpl
    def score_forms(self):
        self.calls += 1
        time.sleep(self.seconds)
        return []


def test_what_would_change_stops_at_its_budget_and_says_it_is_partial(make_app):
    slow = SlowEveryCall()
    app = make_app(ADVICE_TIME_BUDGET_MS=300, PLUGINS_EXTRA=[("slow", slow)])
    body = app.test_client().post("/api/v1/advice", json={"answers": FULL, "alternatives": True}).json
    assert body["incomplete"] is False  # the advice itself fitted its budget
    assert body["alternatives_partial"] is True
    assert slow.calls <= 1 + 300 / 30 + 1  # the advice, then what fitted in the search's budget
    for alternative in body["alternatives"]:  # what was found before the end still flips the advice
        changed = {**FULL, **{c["question"]: c["after"] for c in alternative["changes"]}}
        assert engine_of(app).advise(changed).recommended == alternative["form"]

    complete = make_app(PLUGINS_EXTRA=[("slow", SlowEveryCall(0.001))], ADVICE_TIME_BUDGET_MS=0)
    body = complete.test_client().post("/api/v1/advice", json={"answers": FULL, "alternatives": True}).json
    assert body["alternatives_partial"] is False and body["alternatives"]


def test_the_advice_page_says_when_what_would_change_is_partial(make_app):
    app = make_app(ADVICE_TIME_BUDGET_MS=300, PLUGINS_EXTRA=[("slow", SlowEveryCall())])
    client = app.test_client()
    with client.session_transaction() as session:
        session["draft"] = {key: value if isinstance(value, list) else str(value) for key, value in FULL.items()}
    html = client.get("/advice").get_data(as_text=True)
    assert "Wat het advies zou veranderen" in html
    assert "Deze lijst is niet compleet: het zoeken stopte toen de tijd op was." in html


# --- Size and depth of packs ------------------------------------------------------------------


def nested_pack(levels: int) -> str:
    when = '{ scope = "ongoing_task" }'
    for _ in range(levels):
        when = "{ not = " + when + " }"
    return f"""
[pack]
id = "deep"
version = "1"
title = {{ nl = "Diep", en = "Deep" }}

[[rules]]
id = "deep-rule"
when = {when}
contributions = {{ informal = 1 }}
because = {{ nl = "x", en = "x" }}
source = "s"
"""


@pytest.mark.parametrize("levels", [33, 2000])
def test_deep_nesting_names_file_rule_and_field(make_app, write_pack, runner, levels):
    folder = write_pack("deep.toml", nested_pack(levels))
    expected = r"deep.toml(:\d+)?: rule 'deep-rule': when\.not\.not.*: nests deeper than 32 levels of all/any/not"
    with pytest.raises(PluginLoadError, match=expected):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))
    result = runner.invoke(args=["rules", "check", str(folder / "deep.toml")])
    assert result.exit_code == 1 and "nests deeper than 32 levels" in result.output
    assert "RecursionError" not in result.output


def test_nesting_at_the_limit_loads_and_evaluates(make_app, write_pack):
    folder = write_pack("deep.toml", nested_pack(32))  # an even number of nots: scope is ongoing_task
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))
    advice = engine_of(app).advise(ANSWERS)
    assert "deep-rule" in [item.rule for item in advice.explanation]


def test_nesting_too_deep_even_for_the_toml_reader_names_the_file(make_app, write_pack):
    folder = write_pack("deep.toml", nested_pack(30_000))
    with pytest.raises(PluginLoadError, match="deep.toml: nests tables too deeply to be read"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))


def many_rules(count: int) -> str:
    rules = "".join(
        f'\n[[rules]]\nid = "r{i}"\ncontributions = {{ informal = 1 }}\nbecause = {{ nl = "x" }}\n'
        for i in range(count))
    return '[pack]\nid = "big"\nversion = "1"\ntitle = { nl = "Groot" }\n' + rules


def test_a_pack_above_the_configured_size_is_refused_saying_so(make_app, write_pack):
    folder = write_pack("big.toml", many_rules(11))
    refused = r"big.toml(:\d+)?: rules: has 11 rules, more than the 10 allowed \(RULES_MAX_PER_PACK\)"
    with pytest.raises(PluginLoadError, match=refused):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), RULES_MAX_PER_PACK=10)
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), RULES_MAX_PER_PACK=11)
    assert "big" in [p.name for p in engine_of(app).plugins]


def test_the_default_size_limit_holds(make_app, write_pack):
    folder = write_pack("big.toml", many_rules(10_001))
    with pytest.raises(PluginLoadError, match="has 10,001 rules, more than the 10,000 allowed"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder))


# --- Any value a plugin returns: never a 500 (hypothesis) -------------------------------------

ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner),
                            st.dictionaries(st.one_of(st.text(max_size=4), st.integers()), inner, max_size=3)),
    max_leaves=6,
)
POINTS = st.one_of(st.integers(), st.floats(), st.text(max_size=3), st.none(), st.booleans())


class Shapeshifter:
    """Returns whatever the current example says, from all three per-advice hooks."""

    returns: dict = {}

    @hookimpl
    def register_risks(self):
        return [RiskDefinition(id="shape.risk", severity="warning", title=TEXT)]

    @hookimpl
    def score_forms(self):
        return self.returns["score_forms"]

    @hookimpl
    def assess_risks(self):
        return self.returns["assess_risks"]

    @hookimpl
    def success_conditions(self):
        return self.returns["success_conditions"]


@st.composite
def plugin_results(draw):
    text = st.one_of(st.just(TEXT), ANY_VALUE)
    contribution = st.builds(
        Contribution, rule=ANY_VALUE,
        contributions=st.one_of(st.dictionaries(st.sampled_from(["informal", "project", "program", "x"]),
                                                POINTS, max_size=3), ANY_VALUE),
        because=text, source=st.one_of(st.just(""), ANY_VALUE), reads=st.one_of(st.just(()), ANY_VALUE))
    risk = st.builds(RiskFinding, id=st.one_of(st.just("shape.risk"), ANY_VALUE),
                     severity=st.one_of(st.sampled_from(["info", "warning"]), ANY_VALUE),
                     title=text, why=text, advice=text, source=st.one_of(st.just(""), ANY_VALUE),
                     reads=st.one_of(st.just(()), ANY_VALUE))
    condition = st.builds(SuccessCondition, id=st.one_of(st.just("c"), ANY_VALUE), text=text,
                          source=st.one_of(st.just(""), ANY_VALUE))
    return {
        "score_forms": draw(st.one_of(st.lists(contribution, max_size=3), ANY_VALUE)),
        "assess_risks": draw(st.one_of(st.lists(risk, max_size=2), ANY_VALUE)),
        "success_conditions": draw(st.one_of(st.lists(condition, max_size=2), ANY_VALUE)),
    }


_SHAPE_APP = None


def shape_client():
    global _SHAPE_APP
    if _SHAPE_APP is None:
        _SHAPE_APP = create_app({**BASE_CONFIG, "INSTANCE_DIR": tempfile.mkdtemp(prefix="advisor-shapes-"),
                                 "RULES_DIR": str(MINI_PACKS), "PLUGINS_EXTRA": [("shape", Shapeshifter())]})
    return _SHAPE_APP.test_client()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results=plugin_results(), lang=st.sampled_from(["nl", "en"]))
def test_whatever_a_plugin_returns_the_advice_answers_200(results, lang):
    Shapeshifter.returns = results
    response = shape_client().post("/api/v1/advice", json={"answers": ANSWERS, "lang": lang, "alternatives": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert all(failure["plugin"] == "shape" for failure in body["failed_plugins"])
    assert all(abs(entry["score"]) <= 3 * 1_000_000 + 10 for entry in body["ranking"])


def test_rules_check_uses_the_configured_pack_size(make_app, write_pack):
    folder = write_pack("big.toml", many_rules(11))
    app = make_app(RULES_DIR=str(MINI_PACKS), RULES_MAX_PER_PACK=10)
    result = app.test_cli_runner().invoke(args=["rules", "check", str(folder / "big.toml")])
    assert result.exit_code == 1 and "has 11 rules, more than the 10 allowed (RULES_MAX_PER_PACK)" in result.output
    roomy = make_app(RULES_DIR=str(MINI_PACKS), RULES_MAX_PER_PACK=0)
    assert "more than" not in roomy.test_cli_runner().invoke(args=["rules", "check", str(folder / "big.toml")]).output


def test_a_plugin_exiting_at_start_up_is_named(make_app):
    class Exiting:
        @hookimpl
        def register_forms(self):
            raise SystemExit(2)

    with pytest.raises(PluginLoadError, match="plugin 'exiting' failed in register_forms: SystemExit: 2"):
        make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_EXTRA=[("exiting", Exiting())])
