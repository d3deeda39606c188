"""Every bound on what a client may send has one clear error naming the field, on every route
that takes it: body size, number of answers, question id length, list length, numbers, label
length and characters, JSON depth, id length."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, reading_english

WRITES = [("POST", "/api/v1/advice"), ("POST", "/api/v1/assessments"), ("PATCH", "{draft}")]
MULTI = "domains"  # a multi-choice question of the built-in rules with 9 options


@pytest.fixture
def client(make_app):
    return reading_english(make_app(RULES_DIR=str(ROOT / "rules")).test_client())


def send(client, method: str, path: str, body=None, **kwargs):
    if path == "{draft}":
        created = client.post("/api/v1/assessments", json={"answers": {"partners": 3}})
        assert created.status_code == 201
        path = created.json["url"]
    return client.open(path, method=method, json=body, **kwargs)


def refused(response, status: int) -> dict[str, list[str]]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    return response.json.get("errors", {})


@pytest.mark.parametrize("method, path", WRITES)
def test_too_many_answers(client, method, path):
    errors = refused(send(client, method, path, {"answers": {f"q{i}": 1 for i in range(501)}}), 422)
    assert errors == {"answers": ["at most 500 answers"]}


@pytest.mark.parametrize("method, path", WRITES)
def test_question_id_too_long(client, method, path):
    errors = refused(send(client, method, path, {"answers": {"q" * 201: 1}}), 422)
    assert ["a question id has 1 to 200 characters"] in errors.values()


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("length", [10, 10_000])
def test_list_longer_than_the_options(client, method, path, length):
    errors = refused(send(client, method, path, {"answers": {MULTI: ["care"] * length}}), 422)
    assert errors[f"answers.{MULTI}"] == [f"lists {length} options; the question has 9"]


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("number", [0, 501, 10**30, -(10**30)])
def test_number_out_of_range(client, method, path, number):
    errors = refused(send(client, method, path, {"answers": {"partners": number}}), 422)
    assert errors["answers.partners"] == ["must be between 1 and 500"]


@pytest.mark.parametrize("method, path", WRITES)
def test_number_with_thousands_of_digits_is_malformed_json(client, method, path):
    body = b'{"answers": {"partners": 1' + b"0" * 5000 + b"}}"
    errors = refused(send(client, method, path, data=body, content_type="application/json"), 400)
    assert errors == {"body": ["Invalid JSON body: a number has more digits than any answer can have."]}


@pytest.mark.parametrize("method, path", WRITES)
def test_json_nested_too_deeply(client, method, path):
    body = b'{"answers": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_000 + b"}"
    errors = refused(send(client, method, path, data=body, content_type="application/json"), 400)
    assert errors == {"body": ["Invalid JSON body: the JSON nests too deeply."]}


@pytest.mark.parametrize("method, path", WRITES)
@pytest.mark.parametrize("body, reason", [
    (b'{"answers": ', "Expecting value at line 1 column 13"),
    (b'{"answers" {}}', "Expecting ':' delimiter at line 1 column 12"),
    (b"\xff\xfe", "Bytes decoding error : invalid start byte at line 1 column 1"),
])
def test_broken_json_says_what_and_where(client, method, path, body, reason):
    errors = refused(send(client, method, path, data=body, content_type="application/json"), 400)
    assert errors == {"body": [f"Invalid JSON body: {reason}."]}


@pytest.mark.parametrize("method, path", WRITES)
def test_body_too_large(client, method, path):
    body = b'{"answers": {"scope": "' + b"x" * (1024 * 1024) + b'"}}'  # MAX_CONTENT_LENGTH: 1 MiB
    response = send(client, method, path, data=body, content_type="application/json")
    refused(response, 413)
    assert response.json["type"] == "/api/v1/problems/payload-too-large"


@pytest.mark.parametrize("method, path", WRITES[1:])
@pytest.mark.parametrize("label, reason", [
    ("x" * 201, "Longer than maximum length 200."),
    ("a\u0000b", "must be plain text: no control characters or unpaired surrogates"),
    ("a\nb", "must be plain text: no control characters or unpaired surrogates"),
    (12, "Not a valid string."),
])
def test_label_bounds(client, method, path, label, reason):
    errors = refused(send(client, method, path, {"answers": {}, "label": label}), 422)
    assert reason in errors["label"]


@pytest.mark.parametrize("assessment_id", ["short", "x" * 65, "a" * 5000, "bad%20chars-0123456789abcdef"])
def test_assessment_id_outside_the_pattern_is_404(client, assessment_id):
    refused(client.get(f"/api/v1/assessments/{assessment_id}"), 404)
