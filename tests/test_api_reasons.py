"""Every reason a field is refused for, in the request's language (issue 21 item 8).

The reasons in ``errors`` and ``invalidParams[].reason`` come from marshmallow (through
``RequestSchema``), from the engine's answer checks and from the API's own checks; each is said
in Dutch or English from the Flask-Babel catalogs, with its parameters (bounds, option lists,
question ids) intact. The language is chosen as for every other text: ``lang`` in the body, then
``?lang=``, then Accept-Language, then ``DEFAULT_LANG`` (Dutch). Through the Flask test client.
"""

from __future__ import annotations

import json
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from advisor.reasons import TRANSLATIONS, Reason, say
from tests.conftest import ROOT

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
EN = {"headers": {"Accept-Language": "en"}}
NL = {"headers": {"Accept-Language": "nl"}}
DROP = object()


@pytest.fixture
def api(app):
    return app.test_client()


def refused(response, status=422):
    """The problem's reasons by field, after checking ``errors`` and ``invalidParams`` agree."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    flat = sorted(reason for reasons in body["errors"].values() for reason in reasons)
    assert sorted(param["reason"] for param in body["invalidParams"]) == flat
    assert body.get("lang", response.headers["Content-Language"]) == response.headers["Content-Language"]
    return body["errors"]


# --- marshmallow's messages, through POST /advice ---------------------------------------------

MARSHMALLOW_CASES = [
    pytest.param({"answers": ANSWERS, "extra": 1}, "extra", "Onbekend veld.", "Unknown field.", id="unknown"),
    pytest.param({}, "answers", "Dit veld is verplicht, maar ontbreekt.", "Missing data for required field.",
                 id="required"),
    pytest.param({"answers": ANSWERS, "ruleset": 3}, "ruleset", "Dit moet een tekst zijn.", "Not a valid string.",
                 id="string"),
    pytest.param({"answers": ANSWERS, "alternatives": 1}, "alternatives", "Dit moet true of false zijn.",
                 "Not a valid boolean.", id="boolean"),
    pytest.param({"answers": 3}, "answers", "Dit moet een object zijn.", "Not a valid mapping type.", id="dict"),
    pytest.param({"answers": ANSWERS, "ruleset": None}, "ruleset", "Dit veld mag niet null zijn.",
                 "Field may not be null.", id="null"),
    pytest.param({"answers": {**ANSWERS, "": "x"}}, "answers.key", "een vraag-id heeft 1 tot 200 tekens",
                 "a question id has 1 to 200 characters", id="dict-key-length"),
    pytest.param({"answers": {f"q{n}": 1 for n in range(501)}}, "answers", "hoogstens 500 antwoorden",
                 "at most 500 answers", id="length"),
]


@pytest.mark.parametrize("body, field, dutch, english", MARSHMALLOW_CASES)
def test_marshmallow_reasons_in_dutch_and_english(api, body, field, dutch, english):
    assert dutch in refused(api.post("/api/v1/advice", json=body))[field]            # DEFAULT_LANG
    assert dutch in refused(api.post("/api/v1/advice", json=body, **NL))[field]
    assert english in refused(api.post("/api/v1/advice", json=body, **EN))[field]
    assert english in refused(api.post("/api/v1/advice?lang=EN", json=body))[field]
    assert english in refused(api.post("/api/v1/advice", json={**body, "lang": "en"}, **NL))[field]


def test_one_of_keeps_its_choices_and_a_wrong_lang_falls_back(api):
    """``lang: fr`` is the error, so the problem takes the next choice: ?lang=, Accept-Language."""
    dutch = api.post("/api/v1/advice", json={"answers": ANSWERS, "lang": "fr"})
    english = api.post("/api/v1/advice", json={"answers": ANSWERS, "lang": "fr"}, **EN)
    assert refused(dutch)["lang"] == ["Kies een van deze: nl, en."] and dutch.headers["Content-Language"] == "nl"
    assert refused(english)["lang"] == ["Must be one of: nl, en."] and english.headers["Content-Language"] == "en"
    query = api.get("/api/v1/forms?lang=fr", **EN)
    assert refused(query)["query.lang"] == ["Must be one of: nl, en."]
    assert query.json["invalidParams"] == [{"name": "lang", "reason": "Must be one of: nl, en."}]
    assert refused(api.get("/api/v1/questionnaire?lang=fr"))["query.lang"] == ["Kies een van deze: nl, en."]


def test_the_whole_problem_is_in_one_language(api):
    body = {"answers": {**ANSWERS, "horizon": "forever"}, "lang": "en"}
    english = api.post("/api/v1/advice", json=body, **NL)
    assert english.headers["Content-Language"] == "en"
    assert (english.json["title"], english.json["detail"]) == (
        "Invalid input", "Some answers do not fit the questionnaire: see errors.")
    dutch = api.post("/api/v1/advice", json={**body, "lang": "nl"}, **EN)
    assert dutch.headers["Content-Language"] == "nl"
    assert (dutch.json["title"], dutch.json["detail"]) == (
        "Ongeldige invoer", "Sommige antwoorden passen niet bij de vragenlijst: zie errors.")


# --- the engine's answer checks ------------------------------------------------------------------

ENGINE_CASES = [
    pytest.param({"bogus": "x"}, "answers.bogus", "onbekende vraag", "unknown question", id="unknown-question"),
    pytest.param({"horizon": "forever"}, "answers.horizon",
                 "onbekende optie 'forever' (je kunt kiezen uit: months, years, permanent)",
                 "unknown option 'forever' (known: months, years, permanent)", id="unknown-option"),
    pytest.param({"horizon": ["months"]}, "answers.horizon", "moet één optie-id zijn (een tekst)",
                 "must be one option id (a string)", id="choice-type"),
    pytest.param({"domains": "care"}, "answers.domains", "moet een lijst met optie-id's zijn",
                 "must be a list of option ids", id="multi-type"),
    pytest.param({"domains": ["care", "care"]}, "answers.domains", "een optie staat er meer dan één keer in",
                 "an option is given more than once", id="multi-twice"),
    pytest.param({"domains": ["care"] * 10}, "answers.domains", "noemt 10 opties, maar de vraag heeft er 9",
                 "lists 10 options; the question has 9", id="multi-too-many"),
    pytest.param({"domains": []}, "answers.domains", "kies minstens één optie", "choose at least one option",
                 id="multi-empty"),
    pytest.param({"partners": "3"}, "answers.partners", "moet een heel getal zijn", "must be a whole number",
                 id="integer-type"),
    pytest.param({"partners": 501}, "answers.partners", "moet tussen 1 en 500 liggen", "must be between 1 and 500",
                 id="integer-range"),
    pytest.param({"scope": DROP}, "answers.scope", "deze vraag is verplicht", "this question is required",
                 id="required"),
]


@pytest.mark.parametrize("change, field, dutch, english", ENGINE_CASES)
def test_engine_reasons_in_dutch_and_english(api, change, field, dutch, english):
    answers = {key: value for key, value in {**ANSWERS, **change}.items() if value is not DROP}
    assert refused(api.post("/api/v1/advice", json={"answers": answers}))[field] == [dutch]
    assert refused(api.post("/api/v1/advice", json={"answers": answers}, **EN))[field] == [english]
    assert refused(api.post("/api/v1/advice", json={"answers": answers, "lang": "en"}, **NL))[field] == [english]


def test_dotted_question_ids_stay_as_they_are_in_both_languages(api):
    answers = {**ANSWERS, "youth.child_voice": "x"}
    dutch = api.post("/api/v1/advice", json={"answers": answers}).json
    assert dutch["errors"]["answers.youth.child_voice"] == ["onbekende vraag"]
    assert {"name": "/answers/youth.child_voice", "reason": "onbekende vraag"} in dutch["invalidParams"]


# --- bodies that are not JSON -----------------------------------------------------------------

@pytest.mark.parametrize("raw, dutch, english", [
    (b'{"answers": {}, "answers": {}}', 'Ongeldige JSON: de sleutel "answers" staat twee keer in één object.',
     'Invalid JSON body: the key "answers" occurs twice in one object.'),
    (b'{"answers": {"partners": NaN}}', "Ongeldige JSON: NaN is geen getal in JSON.",
     "Invalid JSON body: NaN is not a JSON number."),
    (b'{"answers": ', "Ongeldige JSON: Hier hoort een waarde op regel 1, kolom 13.",
     "Invalid JSON body: Expecting value at line 1 column 13."),
    (b"[" * 100_000, "Ongeldige JSON: de JSON is te diep genest.", "Invalid JSON body: the JSON nests too deeply."),
])
def test_json_reasons_in_dutch_and_english(api, raw, dutch, english):
    def post(**kwargs):
        return api.post("/api/v1/advice", data=raw, content_type="application/json", **kwargs)

    assert refused(post(), 400) == {"body": [dutch]}
    assert refused(post(**EN), 400) == {"body": [english]}
    batch = api.post("/api/v1/advice/batch", data=raw, content_type="application/json", **EN)
    assert refused(batch, 400) == {"body": [english]}


# --- batch: each item's problem in the item's language, else the batch's -----------------------

def test_batch_item_problems_in_the_item_language_else_the_batch_language(api):
    items = [{"ref": "own-en", "lang": "en", "answers": {**ANSWERS, "partners": 0}},
             {"ref": "batch", "answers": {**ANSWERS, "partners": 0}},
             {"ref": "bad-item", "lang": "EN", "answers": 3},
             {"ref": "bad-lang", "lang": "fr", "answers": ANSWERS}]
    for ask, batch_lang in (({"json": {"items": items}}, "nl"), ({"json": {"items": items, "lang": "nl"}, **EN}, "nl"),
                            ({"json": {"items": items}, **EN}, "en")):
        body = api.post("/api/v1/advice/batch", **ask).json
        problems = {result["ref"]: result["problem"] for result in body["results"]}
        assert body["lang"] == batch_lang
        assert problems["own-en"]["errors"] == {"answers.partners": ["must be between 1 and 500"]}
        assert problems["own-en"]["title"] == "Invalid input"
        assert problems["bad-item"]["errors"] == {"answers": ["Not a valid mapping type."]}
        batch_words = {"nl": (["moet tussen 1 en 500 liggen"], ["Kies een van deze: nl, en."], "Ongeldige invoer"),
                       "en": (["must be between 1 and 500"], ["Must be one of: nl, en."], "Invalid input")}[batch_lang]
        assert problems["batch"]["errors"] == {"answers.partners": batch_words[0]}
        assert problems["batch"]["invalidParams"] == [{"name": "/answers/partners", "reason": batch_words[0][0]}]
        assert problems["bad-lang"]["errors"] == {"lang": batch_words[1]}
        assert problems["batch"]["title"] == batch_words[2]


def test_batch_refused_as_a_whole_in_the_body_language(api):
    body = {"items": [], "lang": "en"}
    assert refused(api.post("/api/v1/advice/batch", json=body, **NL))["items"] == ["from 1 to 1000 answer sets; send more as NDJSON"]
    dutch = refused(api.post("/api/v1/advice/batch", json={"items": 3}))
    assert dutch["items"] == ["moet een lijst met antwoordsets zijn"]


def test_ndjson_lines_in_the_item_language_else_the_request_language(api):
    lines = b"\n".join([b'{"ref": "a", "answers": {"horizon": "months"}, "lang": "en"}',
                        b'{"ref": "b", "answers": {"horizon": "forever"}}', b'{"ref": '])
    results = [json.loads(line) for line in api.post("/api/v1/advice/batch", data=lines, content_type="application/x-ndjson",
                                                     **NL).get_data().splitlines()]
    assert results[0]["problem"]["errors"]["answers.scope"] == ["this question is required"]
    assert results[1]["problem"]["errors"]["answers.horizon"] == [
        "onbekende optie 'forever' (je kunt kiezen uit: months, years, permanent)"]
    assert results[2]["status"] == 400 and results[2]["problem"]["errors"] == {
        "body": ["Ongeldige JSON: Hier hoort een waarde op regel 1, kolom 9."]}
    assert results[2]["problem"]["detail"] == "Deze regel is geen JSON: zie errors."


# --- assessments and collaborations ----------------------------------------------------------

@pytest.fixture
def store_api(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules")).test_client()


def test_assessment_reasons_in_dutch_and_english(store_api):
    bad = {"answers": {"partners": 0, "bogus": 1}}
    assert refused(store_api.post("/api/v1/assessments", json=bad)) == {
        "answers.partners": ["moet tussen 1 en 500 liggen"], "answers.bogus": ["onbekende vraag"]}
    assert refused(store_api.post("/api/v1/assessments", json={**bad, "lang": "en"})) == {
        "answers.partners": ["must be between 1 and 500"], "answers.bogus": ["unknown question"]}
    label = {"answers": {}, "label": "x" * 201}
    assert refused(store_api.post("/api/v1/assessments", json=label, **EN))["label"] == [
        "Longer than maximum length 200.", "must be at most 200 characters"]
    assert refused(store_api.post("/api/v1/assessments", json=label))["label"] == [
        "Te lang: hoogstens 200.", "mag hoogstens 200 tekens hebben"]
    created = store_api.post("/api/v1/assessments", json={"answers": {}}).json
    patch = store_api.patch(created["url"], json={"answers": {"horizon": "forever"}, "label": "a\x00b"}, **EN)
    assert refused(patch) == {"label": ["must be plain text: no control characters or unpaired surrogates"]}
    patch = store_api.patch(created["url"], json={"answers": {"horizon": "forever"}}, **NL)
    assert refused(patch) == {"answers.horizon": [
        "onbekende optie 'forever' (je kunt kiezen uit: months, years, permanent)"]}
    bare = store_api.post("/api/v1/assessments", **EN)
    assert bare.status_code == 400 and bare.json["errors"] == {"body": ["a body is required"]}
    assert store_api.post("/api/v1/assessments").json["errors"] == {"body": ["stuur een body mee"]}
    key = store_api.post("/api/v1/assessments", json={"answers": {}}, headers={"Idempotency-Key": "é"})
    assert refused(key, 400) == {"Idempotency-Key": ["1 tot 255 zichtbare ASCII-tekens, bijvoorbeeld een UUID"]}


def test_collaboration_reasons_in_dutch_and_english(store_api):
    assert refused(store_api.post("/api/v1/collaborations", json={"name": " "})) == {"name": ["mag niet leeg zijn"]}
    assert refused(store_api.post("/api/v1/collaborations", json={"name": " ", "lang": "en"})) == {
        "name": ["must not be empty"]}
    collaboration = store_api.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "en"}).json
    token = collaboration["invitation"]["token"]
    answers = {"label": "Gemeente", "answers": {"trust": "total"}}
    dutch = refused(store_api.post(f"/api/v1/invitations/{token}/responses", json=answers, **NL))
    assert dutch == {"answers.trust": ["onbekende optie 'total' (je kunt kiezen uit: high, moderate, low)"]}
    english = refused(store_api.post(f"/api/v1/invitations/{token}/responses?lang=en", json=answers))
    assert english == {"answers.trust": ["unknown option 'total' (known: high, moderate, low)"]}
    store_api.post(f"/api/v1/invitations/{token}/responses", json={"label": "Gemeente", "answers": {}})
    taken = {"label": "Gemeente", "answers": {}}
    assert refused(store_api.post(f"{collaboration['url']}/responses", json=taken), 409) == {
        "label": ["'Gemeente' heeft in deze ronde al geantwoord"]}
    assert refused(store_api.post(f"{collaboration['url']}/responses", json={**taken, "lang": "en"}), 409) == {
        "label": ["'Gemeente' has answered in this round already"]}
    assert refused(store_api.post(f"{collaboration['url']}/rounds", json={"note": 3}, **EN)) == {
        "note": ["Not a valid string."]}
    assert refused(store_api.get(f"{collaboration['url']}?alternatives=maybe", **NL)) == {
        "query.alternatives": ["Dit moet true of false zijn."]}


# --- the catalogs ------------------------------------------------------------------------------

def _catalog(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=lang)


def _placeholders(text):
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_marked_reason_is_in_both_catalogs_with_the_same_parameters():
    """``pybabel extract`` (babel.cfg) finds every N_ template; each has Dutch with the same
    ``{parameters}``, so no reason is ever said with one lost or invented."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    marked = {message for _, _, message, *_ in extract_from_dir(str(ROOT), method_map, options_map)}
    dutch, english = _catalog("nl"), _catalog("en")
    assert not [msgid for msgid in marked if msgid not in dutch or msgid not in english]
    for msgid in marked:
        if "{" in msgid:
            assert _placeholders(dutch[msgid].string) == _placeholders(msgid), msgid


def test_every_message_a_request_schema_can_give_is_a_reason_with_dutch(app):
    """Each field's error_messages and each validator's templates, in every request schema."""
    from marshmallow import fields

    from advisor.api.request_schema import VALIDATOR_MESSAGES, RequestSchema

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    def messages(field):
        yield from field.error_messages.values()
        for validator in field.validators:
            yield from (getattr(validator, name) for name in VALIDATOR_MESSAGES if hasattr(validator, name))
        for part in (getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None)):
            if isinstance(part, fields.Field):
                yield from messages(part)

    dutch = _catalog("nl")
    schemas = list(subclasses(RequestSchema))
    assert len(schemas) >= 10
    for schema_class in schemas:
        schema = schema_class()
        found = [*schema.error_messages.values(), *(m for f in schema.fields.values() for m in messages(f))]
        for message in found:
            if message is None or callable(message):
                continue
            assert isinstance(message, Reason), (schema_class.__name__, message)
            assert message.template in dutch and dutch[message.template].string, (schema_class.__name__, message)


def test_a_reason_keeps_its_english_and_its_parameters():
    reason = Reason("must be between {min} and {max}").format(min=1, max=500)
    assert reason == "must be between 1 and 500" and reason.params == {"min": 1, "max": 500}
    assert say(reason, "nl") == "moet tussen 1 en 500 liggen" and say(reason, "en") == reason
    assert say("a plain text", "nl") == "a plain text"


# --- the details that carry a value, and werkzeug's own -------------------------------------------

def test_details_with_values_in_dutch_and_english(api):
    encoded = {"data": b"{}", "content_type": "application/json", "headers": {"Content-Encoding": "br"}}
    assert api.post("/api/v1/advice", **encoded).json["detail"] == (
        "De body is gecodeerd als 'br', en die codering leest deze dienst niet: stuur hem ongecodeerd.")
    english = api.post("/api/v1/advice?lang=en", **encoded)
    assert english.status_code == 415 and english.json["detail"] == (
        "The body is encoded as 'br', which this service does not decode: send it unencoded.")
    refused = api.get("/api/v1/forms", headers={"Accept": "text/html", "Accept-Language": "nl"})
    assert refused.status_code == 406
    assert refused.json["detail"] == (
        "Deze route stuurt application/json, application/problem+json; de Accept-header sluit dat uit.")
    batch = api.post("/api/v1/advice/batch", data=b"x", content_type="text/plain", **EN)
    assert batch.json["detail"] == "Send the batch as application/json or as application/x-ndjson (one item per line)."
    assert api.post("/api/v1/advice/batch", data=b"x", content_type="text/plain").json["detail"] == (
        "Stuur de batch als application/json of als application/x-ndjson (één item per regel).")
    assert api.get("/api/v1/nowhere").json["detail"] == (
        "Deze URL bestaat niet. Typte je hem zelf? Kijk dan of hij goed gespeld is.")
    assert api.delete("/api/v1/forms").json["detail"] == "Deze methode kan niet op deze URL."
    assert api.delete("/api/v1/forms", **EN).json["detail"] == "The method is not allowed for the requested URL."


def test_ndjson_limits_in_the_request_language(make_app):
    client = make_app(BATCH_NDJSON_MAX_ITEMS=1).test_client()
    lines = b'{"ref": "a", "answers": {}}\n{"ref": "b", "answers": {}}\n'
    results = [json.loads(line) for line in client.post(
        "/api/v1/advice/batch", data=lines, content_type="application/x-ndjson").get_data().splitlines()]
    assert results[-1]["status"] == 413 and results[-1]["problem"]["detail"] == (
        "Hoogstens 1 items per NDJSON-batch: deze regel en de rest zijn niet gelezen.")
