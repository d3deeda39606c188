"""The advice's own places of rule set 1.1.0, through the API and the page: the risks that could
not be checked (never "no risks" on few answers), the informal layer kept under a heavier form
(004), and a risk's why that names only the reasons that fired here."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.web_support import csrf_token

REQUIRED = {"scope": "defined_result", "horizon": "months", "change_type": "known_route",
            "domains": ["welfare"], "partners": 2, "budget": "one_off"}
LASTING_NETWORK = {"scope": "ongoing_task", "horizon": "permanent", "change_type": "known_goal",
                   "domains": ["care", "welfare", "youth", "housing"], "partners": 12, "budget": "structural"}


def advise(client, answers, lang="en"):
    response = client.post("/api/v1/advice", json={"answers": answers, "lang": lang})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_required_answers_only_list_the_risks_not_checked_with_their_questions(app):
    advice = advise(app.test_client(), REQUIRED)
    assert advice["risks"] == []
    unchecked = {item["id"]: [q["question"] for q in item["questions"]] for item in advice["not_checked"]}
    assert unchecked["no_mandate"] == ["leadership_backing"]
    assert unchecked["residents_outside"] == ["residents_involved"]
    assert unchecked["person_dependence"] == ["key_people", "turnover", "current_form"]
    assert advice["not_checked"][0]["severity"] == "critical"  # most severe first
    for item in advice["not_checked"]:
        assert item["questions"], item["id"]
        assert all(q["question"] not in REQUIRED and q["question_text"] for q in item["questions"])


def test_answering_a_question_checks_its_risk(app):
    client = app.test_client()
    backed = advise(client, {**REQUIRED, "leadership_backing": "yes"})
    assert "no_mandate" not in {item["id"] for item in backed["not_checked"]}
    assert "no_mandate" not in {risk["id"] for risk in backed["risks"]}
    unbacked = advise(client, {**REQUIRED, "leadership_backing": "no"})
    assert "no_mandate" in {risk["id"] for risk in unbacked["risks"]}
    assert "no_mandate" not in {item["id"] for item in unbacked["not_checked"]}


def test_a_branch_that_cannot_fire_names_no_question(app):
    """Consensus among eight or more partners is bureaucracy; with two partners the decision
    question cannot make it fire, so only the meetings question decides it."""
    advice = advise(app.test_client(), REQUIRED)
    bureaucracy = next(item for item in advice["not_checked"] if item["id"] == "bureaucracy")
    assert [q["question"] for q in bureaucracy["questions"]] == ["meeting_load"]


def required_only_form(step):
    data = {}
    for question in step["questions"]:
        if question["required"]:
            value = REQUIRED[question["id"]]
            data[question["id"]] = value if isinstance(value, list) else str(value)
    return data


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_page_on_required_answers_does_not_reassure_and_links_the_questions(app, lang):
    client = app.test_client()
    client.get(f"/language/{lang}")
    steps = client.get(f"/api/v1/questionnaire?lang={lang}").get_json()["steps"]
    token = csrf_token(client, "/steps/1")
    for number, step in enumerate(steps, start=1):
        response = client.post(f"/steps/{number}", data={**required_only_form(step), "nav": "next",
                                                           "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    page = client.get("/advice").get_data(as_text=True)
    read = text_of(page)
    assert "no particular risks" not in read and "niet op bijzondere risico" not in read
    assert 'id="not-checked-title"' in page
    step_of = {q["id"]: n for n, step in enumerate(steps, start=1) for q in step["questions"]}
    link = f'href="/steps/{step_of["leadership_backing"]}#question-leadership_backing"'
    assert link in page
    api = advise(client, REQUIRED, lang)
    for item in api["not_checked"]:
        assert item["title"] in read
        for question in item["questions"]:
            assert question["question_text"] in read
    # The linked anchor exists on that step's page.
    step_page = client.get(f"/steps/{step_of['leadership_backing']}").get_data(as_text=True)
    assert 'id="question-leadership_backing"' in step_page


def test_complete_answers_leave_nothing_unchecked(app, engine_answers_complete):
    advice = advise(app.test_client(), engine_answers_complete)
    assert advice["not_checked"] == []


@pytest.fixture
def engine_answers_complete(app):
    """Every question answered (the first option, or a middle number)."""
    answers = {}
    for question in app.extensions["advisor"].engine.ordered_questions:
        if question.kind == "integer":
            answers[question.id] = 5
        elif question.kind == "multi":
            answers[question.id] = [question.options[0].id, question.options[1].id]
        else:
            answers[question.id] = question.options[0].id
    return answers


def test_informal_layer_is_kept_when_a_heavier_form_is_advised_where_people_know_each_other(app):
    client = app.test_client()
    advice = advise(client, {**LASTING_NETWORK, "key_people": "yes", "current_form": "informal"})
    assert advice["recommended"] in {"program", "embedded", "project"}
    layer = advice["informal_layer"]
    assert layer["id"] == "keep-informal-layer" and layer["source"].startswith("004")
    assert "keep-informal-layer" not in {c["id"] for c in advice["conditions"]}
    # Nobody knows each other yet: nothing to keep.
    assert advise(client, {**LASTING_NETWORK, "key_people": "no", "current_form": "none"})["informal_layer"] is None
    # Informal advised: the informal layer is the advice itself.
    informal = advise(client, {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
                               "domains": ["care"], "partners": 3, "budget": "none", "key_people": "yes"})
    assert informal["recommended"] == "informal" and informal["informal_layer"] is None


def test_informal_layer_has_its_own_block_on_the_page(app):
    client = app.test_client()
    client.get("/language/en")
    steps = client.get("/api/v1/questionnaire?lang=en").get_json()["steps"]
    answers = {**LASTING_NETWORK, "key_people": "yes", "current_form": "informal"}
    token = csrf_token(client, "/steps/1")
    for number, step in enumerate(steps, start=1):
        data = {}
        for question in step["questions"]:
            if question["id"] in answers:
                value = answers[question["id"]]
                data[question["id"]] = value if isinstance(value, list) else str(value)
        client.post(f"/steps/{number}", data={**data, "nav": "next", "csrf_token": token})
    page = client.get("/advice").get_data(as_text=True)
    api = advise(client, answers)
    block = re.search(r'<section class="block informal-layer".*?</section>', page, re.S)
    assert block and api["informal_layer"]["text"] in htmllib.unescape(block.group(0))


def test_a_risks_why_names_only_the_reasons_that_fired(app):
    client = app.test_client()
    heavier = advise(client, {**LASTING_NETWORK, "current_form": "informal", "age_years": 1, "meeting_load": "little"})
    risk = next(r for r in heavier["risks"] if r["id"] == "creeping_verkokering")
    assert "heavier than the form you work in now" in risk["why"]
    assert "meetings" not in risk["why"] and "standing structure" not in risk["why"]
    assert {t["question"] for t in risk["triggers"]} == {"current_form"}

    meetings = advise(client, {"scope": "individual_cases", "horizon": "permanent", "change_type": "known_route",
                               "domains": ["care"], "partners": 3, "budget": "none",
                               "current_form": "informal", "age_years": 4, "meeting_load": "most"})
    assert meetings["recommended"] == "informal"
    risk = next(r for r in meetings["risks"] if r["id"] == "creeping_verkokering")
    assert "turned into meetings" in risk["why"] and "heavier than the form" not in risk["why"]
    assert {t["question"] for t in risk["triggers"]} == {"current_form", "age_years", "meeting_load"}


def test_power_steering_names_the_power_that_is_there(app):
    """Also where the goal is known but the route is not (003 calls that a system change too)."""
    client = app.test_client()
    dominant = advise(client, {**LASTING_NETWORK, "change_type": "known_goal", "power_balance": "one_dominant"})
    risk = next(r for r in dominant["risks"] if r["id"] == "power_steering")
    assert "One party is clearly the strongest." in risk["why"]
    assert "pushed through" not in risk["why"] and "decides alone" not in risk["why"]
    assert {t["question"] for t in risk["triggers"]} == {"change_type", "power_balance"}
    pushed = advise(client, {**LASTING_NETWORK, "change_type": "system_change", "enforcement": "often",
                             "power_balance": "balanced"})
    risk = next(r for r in pushed["risks"] if r["id"] == "power_steering")
    assert "pushed through" in risk["why"] and "strongest" not in risk["why"]
    assert "{reasons}" not in risk["why"]


def test_cli_advice_lists_risks_not_checked_and_the_informal_layer(runner, tmp_path):
    import json
    few = tmp_path / "few.json"
    few.write_text(json.dumps({"lang": "en", "answers": REQUIRED}))
    out = runner.invoke(args=["advice", str(few)]).output
    assert "Risks: none of those checked" in out and "Risks: none\n" not in out
    assert "Not checked (skipped questions decide them):" in out
    assert "[critical] No room from the top (no_mandate): Do boards and managers give professionals room" in out
    layered = tmp_path / "layered.json"
    layered.write_text(json.dumps({"lang": "en", "answers": {**LASTING_NETWORK, "key_people": "yes"}}))
    assert "Keep the informal layer: The professionals already know each other" in runner.invoke(
        args=["advice", str(layered)]).output


def test_openapi_documents_the_new_advice_fields(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    advice = spec["components"]["schemas"]["Advice"]
    assert "not_checked" in advice["required"]   # informal_layer may be null: not required (ADR spec rules)
    layer = advice["properties"]["informal_layer"]
    assert layer["allOf"] == [{"$ref": "#/components/schemas/Condition"}] and layer["nullable"] is True
    unchecked = spec["components"]["schemas"]["NotChecked"]
    assert set(unchecked["required"]) == {"id", "severity", "title", "questions"}
