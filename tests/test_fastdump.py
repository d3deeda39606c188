"""The compiled response dumps give exactly what marshmallow's own dump gives.

They serve the questionnaire, forms, plugins and health responses; the advice has its own wire
form (advisor/wire.py, tests/test_wire.py). AdviceSchema is still the richest schema to compile,
so it is the test bed here."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from marshmallow import Schema, fields, post_dump

from advisor.api import schemas
from advisor.api.fastdump import compile_dump
from advisor.hookspecs import hookimpl
from advisor.model import Contribution

ROOT = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(ROOT / "bench"))
import packgen  # noqa: E402


def generic(schema: Schema, obj):
    return Schema.dump(schema, obj)


@pytest.fixture
def generated_app(make_app, tmp_path: Path):
    folder = tmp_path / "generated"
    packgen.write_packs(folder, 300)
    return make_app(RULES_DIR=str(folder))


def test_advice_dump_equals_marshmallow(generated_app):
    engine = generated_app.extensions["advisor"].engine
    schema = schemas.AdviceSchema()
    compiled = compile_dump(schema)
    rng = random.Random(3)
    risks = conditions = 0
    for n in range(40):
        answers = engine.validate_answers(packgen.random_answers(rng))
        advice = engine.advise(answers, ("nl", "en")[n % 2])
        assert advice.explanation
        risks += len(advice.risks)
        conditions += len(advice.conditions)
        assert compiled(advice) == generic(schema, advice)
    assert risks and conditions


def test_failed_plugins_and_odd_values_dump_like_marshmallow(make_app):
    class Odd:
        @hookimpl
        def score_forms(self, answers):
            return [Contribution(rule=7, contributions={"program": 2}, because={"en": "int points"})]

    class Broken:
        @hookimpl
        def assess_risks(self, answers):
            raise RuntimeError("boom")

    app = make_app(RULES_DIR=str(ROOT / "tests" / "packs" / "mini"), PLUGINS_EXTRA=[("odd", Odd()), ("broken", Broken())])
    advice = app.extensions["advisor"].engine.advise({"scope": "ongoing_task", "partners": 30}, "en")
    assert advice.failed_plugins
    schema = schemas.AdviceSchema()
    dumped = compile_dump(schema)(advice)
    assert dumped == generic(schema, advice)
    assert any(item["rule"] == "7" and item["contributions"] == {"program": 2.0} for item in dumped["explanation"])


def test_every_response_schema_dumps_like_marshmallow(mini_app):
    client = mini_app.test_client()
    from advisor.api import views

    with mini_app.test_request_context():
        cases = [
            (schemas.QuestionnaireSchema(), views.questionnaire_data("en")),
            (schemas.FormsSchema(), views.forms_data("nl")),
        ]
        for schema, data in cases:
            assert schema.dump(data) == generic(schema, data)
    assert client.get("/api/v1/plugins").status_code == 200


def test_schemas_with_hooks_many_or_missing_values_fall_back():
    class Hooked(Schema):
        a = fields.String()

        @post_dump
        def mark(self, data, **kwargs):
            return {**data, "hooked": True}

    assert compile_dump(Hooked()) is None
    assert compile_dump(Hooked(many=True)) is None

    class Plain(Schema):
        a = fields.String(dump_default="d")
        b = fields.Integer(data_key="B")
        c = fields.Float()
        d = fields.List(fields.String())

    dump = compile_dump(Plain())
    for obj in ({}, {"a": 1, "b": True, "c": 2, "d": [1, "x"]}, {"a": None, "b": None, "d": None}):
        assert dump(obj) == Plain().dump(obj)

    class Obj:
        b = 3
        c = 1

    assert dump(Obj()) == Plain().dump(Obj()) == {"a": "d", "B": 3, "c": 1.0}


KEY_LENGTH = "a question id has 1 to {max} characters"


def test_answers_field_loads_like_a_plain_dict_field():
    from marshmallow import ValidationError

    from marshmallow import validate

    class Generic(schemas.AdviceRequestSchema):
        answers = fields.Dict(
            keys=fields.String(validate=validate.Length(min=1, max=200, error=KEY_LENGTH)), values=fields.Raw(),
            required=True, validate=validate.Length(max=schemas.MAX_ANSWERS, error=schemas.TOO_MANY_ANSWERS),
        )

    fast, slow = schemas.AdviceRequestSchema(), Generic()
    bodies = [
        {"answers": {"scope": "ongoing_task", "domains": ["care"], "partners": 3}},
        {"answers": {}},
        {"answers": {"scope": None}},
        {"answers": {"scope": {"nested": [1, None]}, "n": 0, "f": 2.5, "b": False}},
        {"answers": ["not", "a", "dict"]},
        {"answers": "text"},
        {"answers": None},
        {},
        {"answers": {"a": 1}, "extra": 1},
        {"answers": {"": 1, "b": 2}},
        {"answers": {"x" * 201: 1}},
        {"answers": {f"q{n}": n for n in range(schemas.MAX_ANSWERS + 1)}},
        {"answers": {"a": 1}, "lang": "en", "alternatives": True},
    ]
    from advisor.api.answers_spec import AnswersField

    class Unfinished(Schema):
        answers = AnswersField(complete=False, required=True)

    class UnfinishedGeneric(Schema):
        answers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=200, error=KEY_LENGTH)),
                              values=fields.Raw(allow_none=True), required=True)

    pairs = [(fast, slow, body) for body in bodies]
    pairs += [(Unfinished(), UnfinishedGeneric(), {"answers": body.get("answers")}) for body in bodies]
    for fast, slow, body in pairs:
        try:
            expected = slow.load(body)
        except ValidationError as exc:
            with pytest.raises(ValidationError) as caught:
                fast.load(body)
            assert caught.value.messages == exc.messages
        else:
            assert fast.load(body) == expected


def test_null_answer_is_refused_by_field(mini_app):
    response = mini_app.test_client().post("/api/v1/advice", json={"answers": {"scope": None}})
    assert response.status_code == 422
    assert "answers.scope.value" in response.json["errors"] or any(
        key.startswith("answers.scope") for key in response.json["errors"])


def test_builtin_advice_dump_equals_marshmallow(app):
    engine = app.extensions["advisor"].engine
    schema = schemas.AdviceSchema()
    compiled = compile_dump(schema)
    rng = random.Random(5)
    for n in range(20):
        answers = {k: v for k, v in packgen.random_answers(rng).items() if k in engine.questions}
        advice = engine.advise(answers, ("nl", "en")[n % 2])
        assert compiled(advice) == generic(schema, advice)
