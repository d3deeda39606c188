"""The advice's wire form (advisor/wire.py) is what the documented AdviceSchema dumps.

Every worked case of tests/cases/*.toml, in Dutch and English, with and without what would
change the advice, and an incomplete advice (a failed plugin), compared with marshmallow's own
generic dump (``Schema.dump``), key order included. Then every place that sends an advice (the
API's routes, storage) sends that form, and a stored advice reads back as it was stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from marshmallow import Schema

from advisor import create_app
from advisor.api.schemas import AdviceSchema
from advisor.cases import Case, load_cases
from advisor.hookspecs import hookimpl
from advisor.model import Contribution
from advisor.whatif import with_alternatives
from advisor.wire import advice_to_wire
from tests.conftest import BASE_CONFIG

ROOT = Path(__file__).resolve().parent.parent
CASES: list[Case] = [case for path in sorted((ROOT / "tests" / "cases").glob("*.toml")) for case in load_cases(path)]
SCHEMA = AdviceSchema()


def marshmallow_dump(advice) -> dict:
    """marshmallow's generic dump, whatever AdviceSchema's own ``dump`` may become."""
    return Schema.dump(SCHEMA, advice)


def assert_same(advice) -> dict:
    wire, dumped = advice_to_wire(advice), marshmallow_dump(advice)
    assert wire == dumped
    assert json.dumps(wire) == json.dumps(dumped), "same keys in the same order, same number types"
    return wire


class Broken:
    @hookimpl
    def assess_risks(self, answers):
        raise RuntimeError("boom")


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Two apps for the whole module: each case reuses them (an app takes a while to start)."""
    def engine(**config):
        app = create_app({**BASE_CONFIG, "INSTANCE_DIR": str(tmp_path_factory.mktemp("wire")), **config})
        return app.extensions["advisor"].engine

    return {"builtin": engine(), "broken": engine(PLUGINS_EXTRA=[("broken", Broken())])}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_worked_case_in_both_languages_dumps_like_the_schema(engines, case):
    engine = engines["builtin"]
    for lang in ("nl", "en"):
        advice = engine.advise(case.answers, lang, as_of=case.as_of)
        assert advice.alternatives is None
        assert_same(advice)
        clean = engine.validate_answers(case.answers, require_complete=False)
        assert assert_same(with_alternatives(engine, advice, clean, lang))["alternatives"] is not None
        failed = engines["broken"].advise(case.answers, lang, as_of=case.as_of)
        assert failed.incomplete and failed.failed_plugins
        assert_same(failed)


def test_the_cases_cover_every_part_of_an_advice(engines):
    """The comparison above sees every optional part filled in at least once."""
    engine = engines["builtin"]
    advices = [engine.advise(case.answers, "en", as_of=case.as_of) for case in CASES]
    assert any(advice.not_checked for advice in advices)
    assert any(advice.informal_layer is not None for advice in advices)
    assert any(advice.informal_layer is None for advice in advices)
    assert any(advice.tie_break for advice in advices)
    assert any(advice.conditions and advice.risks for advice in advices)
    assert any(item.triggers for advice in advices for item in advice.explanation)
    case = next(case for case, advice in zip(CASES, advices) if advice.not_checked)
    clean = engine.validate_answers(case.answers, require_complete=False)
    found = with_alternatives(engine, engine.advise(case.answers, "en"), clean, "en")
    assert any(alternative.changes for alternative in found.alternatives)


def test_odd_plugin_values_get_the_schemas_conversions(make_app):
    """A Python plugin's rule id 7 is "7" and its points 2 are 2.0, as the schema dumps them."""

    class Odd:
        @hookimpl
        def score_forms(self, answers):
            return [Contribution(rule=7, contributions={"program": 2}, because={"en": "int points"})]

    app = make_app(RULES_DIR=str(ROOT / "tests" / "packs" / "mini"), PLUGINS_EXTRA=[("odd", Odd())])
    advice = app.extensions["advisor"].engine.advise({"scope": "ongoing_task", "partners": 30}, "en")
    wire = assert_same(advice)
    assert {"rule": "7", "contributions": {"program": 2.0}}.items() <= next(
        item for item in wire["explanation"] if item["rule"] == "7").items()


# --- Every place that sends or keeps an advice sends this form ----------------------------------


def _advice_of(app, answers, lang, *, alternatives=False):
    engine = app.extensions["advisor"].engine
    advice = engine.advise(answers, lang)
    if alternatives:
        advice = with_alternatives(engine, advice, engine.validate_answers(answers), lang)
    return json.loads(json.dumps(marshmallow_dump(advice)))


def test_the_api_sends_the_schemas_dump_everywhere(app):
    client = app.test_client()
    case = CASES[0]
    answers = dict(case.answers)
    for lang, alternatives in (("nl", False), ("en", True)):
        expected = _advice_of(app, answers, lang, alternatives=alternatives)
        body = client.post("/api/v1/advice", json={"answers": answers, "lang": lang, "alternatives": alternatives})
        assert body.status_code == 200
        assert body.json == expected

        batch = client.post("/api/v1/advice/batch", json={
            "lang": lang, "alternatives": alternatives, "items": [{"ref": "a", "answers": answers}]})
        assert batch.status_code == 200
        assert batch.json["results"][0]["advice"] == expected

    expected = _advice_of(app, answers, "en")
    lines = client.post("/api/v1/advice/batch?lang=en", data=json.dumps({"ref": "a", "answers": answers}) + "\n",
                        content_type="application/x-ndjson")
    assert lines.status_code == 200
    assert json.loads(lines.data.splitlines()[0])["advice"] == expected

    created = client.post("/api/v1/assessments", json={"answers": answers, "lang": "en"})
    assert created.status_code == 201
    assert created.json["advice"] == expected
    read = client.get(f"/api/v1/assessments/{created.json['id']}")
    assert read.json["advice"] == expected
    replay = client.get(f"/api/v1/assessments/{created.json['id']}/replay?lang=en")
    assert replay.json["stored_advice"] == replay.json["advice"] == expected


def test_collaborations_send_the_schemas_dump(app):
    client = app.test_client()
    answers = dict(CASES[0].answers)
    collaboration = client.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "en"}).json
    response = client.post(f"/api/v1/collaborations/{collaboration['id']}/responses",
                           json={"label": "Wijkteam", "answers": answers, "lang": "en"})
    assert response.status_code == 201
    expected = _advice_of(app, answers, "en")
    assert response.json["advice"] == expected
    seen = client.get(f"/api/v1/collaborations/{collaboration['id']}?lang=en").json
    assert seen["respondents"][0]["advice"] == seen["advice_per_respondent"][0]["advice"] == expected
    assert seen["combined"]["advice"] == expected


def test_an_advice_stored_before_the_wire_form_reads_back_as_stored(app):
    """A row stored by older code (an AdviceSchema dump, without fields added since) reads back
    exactly as marshmallow's dump of it did."""
    from advisor.storage import get_session
    from advisor.storage.models import Assessment

    client = app.test_client()
    created = client.post("/api/v1/assessments", json={"answers": dict(CASES[0].answers), "lang": "nl"}).json
    old = {key: value for key, value in created["advice"].items()
           if key not in ("not_checked", "informal_layer", "alternatives_partial")}
    with app.app_context():
        session = get_session()
        row = session.get(Assessment, created["id"])
        row.advice = old
        session.commit()
    read = client.get(f"/api/v1/assessments/{created['id']}")
    assert read.status_code == 200
    assert read.json["advice"] == old == marshmallow_dump(old)


def test_generated_packs_dump_like_the_schema(make_app, tmp_path):
    """300 generated packs, random answers: many rules, risks and conditions per advice."""
    import random
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import packgen

    packgen.write_packs(tmp_path / "generated", 300)
    engine = make_app(RULES_DIR=str(tmp_path / "generated")).extensions["advisor"].engine
    rng = random.Random(3)
    for n in range(40):
        advice = engine.advise(engine.validate_answers(packgen.random_answers(rng)), ("nl", "en")[n % 2])
        assert advice.explanation
        assert_same(advice)
