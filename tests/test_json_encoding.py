"""How JSON responses are encoded (advisor/http.py): orjson, with Flask's conventions kept.

A platform must get the same JSON values and key order as Flask's own provider gives; only
non-ASCII text travels as UTF-8 instead of ``\\u`` escapes. Values orjson cannot encode take
Flask's encoder, so nothing that Flask would encode is refused.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from flask.json.provider import DefaultJSONProvider


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_advice_is_utf8_json_with_sorted_keys_equal_to_flasks_encoding(app, client):
    answers = client.get("/api/v1/questionnaire?lang=nl").get_json()
    response = client.post("/api/v1/advice", json={"answers": _first_options(answers), "lang": "nl"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    text = response.data.decode("utf-8")
    assert "\\u00e9" not in text and "é" in text        # Dutch texts as UTF-8, not escaped
    data = json.loads(text)
    flask_encoded = DefaultJSONProvider(app).dumps(data, separators=(",", ":"))
    assert json.loads(flask_encoded) == data
    assert list(data) == sorted(data)                     # Flask's sorted keys, kept
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_values_outside_json_go_through_flasks_conventions(app):
    moment = datetime.datetime(2026, 11, 23, 14, 5, tzinfo=datetime.timezone.utc)
    value = {"b": moment, "a": uuid.UUID(int=1), "c": decimal.Decimal("1.5"), "d": Point(1, 2), "n": 2**70}
    ours = json.loads(app.json.dumps(value))
    flasks = json.loads(DefaultJSONProvider(app).dumps(value))
    assert ours == flasks
    assert ours["b"] == "Mon, 23 Nov 2026 14:05:00 GMT"   # an HTTP date, as Flask writes it
    assert ours["n"] == 2**70                             # beyond orjson's 64 bits: Flask's encoder


def test_unencodable_value_fails_as_in_flask(app):
    with pytest.raises(TypeError):
        app.json.dumps({"x": object()})


def test_debug_responses_are_indented(app):
    app.debug = True
    with app.app_context():
        body = app.json.response({"b": 1, "a": [1]}).get_data(as_text=True)
    assert body == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'


def _first_options(questionnaire: dict) -> dict:
    answers = {}
    for question in (q for step in questionnaire["steps"] for q in step["questions"]):
        if question["kind"] == "integer":
            answers[question["id"]] = question["min"] if question["min"] is not None else 1
        elif question["kind"] == "multi":
            answers[question["id"]] = [question["options"][0]["id"]]
        else:
            answers[question["id"]] = question["options"][0]["id"]
    return answers
