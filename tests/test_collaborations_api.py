"""/api/v1/collaborations and /api/v1/invitations through the test client, on the built-in rules,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.conftest import ROOT

BASE = "/api/v1/collaborations"
COMMON = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
          "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
GEMEENTE = {**COMMON, "trust": "high", "goal_consensus": "high", "partner_benefit": "all"}
WIJKTEAM = {**COMMON, "horizon": "permanent", "trust": "low", "goal_consensus": "partial",
            "partner_benefit": "unclear", "partners": 7}
SCHOOL = {**COMMON, "trust": "moderate", "goal_consensus": "high", "partner_benefit": "all", "partners": 5}


@pytest.fixture
def app(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules"))


@pytest.fixture
def api(app):
    return app.test_client()


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == status
    return response.json


def create(api, name="Wijkaanpak Noord", lang="en"):
    response = api.post(BASE, json={"name": name, "lang": lang})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def respond(api, collaboration, label, answers):
    token = collaboration["invitation"]["token"]
    response = api.post(f"/api/v1/invitations/{token}/responses", json={"label": label, "answers": answers})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


@pytest.fixture
def three(api):
    """A collaboration with three partners who answered through the invitation."""
    collaboration = create(api)
    responses = [respond(api, collaboration, label, answers)
                 for label, answers in (("Gemeente", GEMEENTE), ("Wijkteam", WIJKTEAM), ("School", SCHOOL))]
    return collaboration, responses


def test_create_gives_coordinator_url_and_a_separate_invitation(api):
    response = api.post(BASE, json={"name": "Wijkaanpak Noord", "lang": "en"})
    body = response.json
    assert response.status_code == 201 and response.headers["Location"] == body["url"]
    assert response.headers["Cache-Control"] == "no-store"
    assert body["url"] == f"http://localhost{BASE}/{body['id']}"
    token = body["invitation"]["token"]
    assert len(body["id"]) >= 22 and len(token) >= 22 and token != body["id"]   # >= 128 random bits each
    assert body["invitation"]["api_url"].endswith(f"/api/v1/invitations/{token}/responses")
    assert body["invitation"]["url"] == f"http://localhost/join/{token}"          # the page to send partners
    assert body["page_url"] == f"http://localhost/c/{body['id']}"
    assert (body["name"], body["lang"], body["round"], body["counted"]) == ("Wijkaanpak Noord", "en", 1, 0)
    assert body["respondents"] == [] and body["combined"] is None and body["findings"] == []
    assert api.get(f"/api/v1/invitations/{token}").json == {
        "name": "Wijkaanpak Noord", "round": 1, "lang": "en", "labels": []}


def test_three_respondents_side_by_side(api, three):
    collaboration, responses = three
    assert [r["advice"]["recommended"] for r in responses] == ["project", "program", "project"]
    body = api.get(collaboration["url"]).json
    assert body["counted"] == 3 and [r["label"] for r in body["respondents"]] == ["Gemeente", "Wijkteam", "School"]
    questions = {q["question"]: q for q in body["questions"]}
    horizon = questions["horizon"]
    assert horizon["divergent"] and not horizon["tie"]
    assert [(s["respondent"], s["answer"]) for s in horizon["answers"]] == [
        ("Gemeente", "years"), ("Wijkteam", "permanent"), ("School", "years")]
    assert not questions["scope"]["divergent"] and not questions["partners"]["divergent"]   # 5, 6, 7: within 1.5 times
    assert {"trust", "goal_consensus", "partner_benefit", "horizon"} <= set(body["combined"]["divergent"])
    assert [(a["label"], a["advice"]["recommended"]) for a in body["advice_per_respondent"]] == [
        ("Gemeente", "project"), ("Wijkteam", "program"), ("School", "project")]


def test_combined_advice_majority_median_and_toward_caution(api, three):
    collaboration, _ = three
    combined = api.get(collaboration["url"]).json["combined"]
    answers = combined["answers"]
    assert answers["horizon"] == "years"                  # majority
    assert answers["partners"] == 6                       # median of 5, 6, 7
    # Contested answers to the [[caution]] questions take the most cautious answer a partner gave.
    assert answers["goal_consensus"] == "partial" and answers["partner_benefit"] == "unclear"
    assert answers["trust"] == "low" and combined["ties"] == []
    advice = api.post("/api/v1/advice", json={"answers": answers, "lang": "en"}).json
    assert combined["advice"] == advice                   # the combined answers, advised as usual


def test_tie_is_settled_toward_the_lightest_advice(api):
    collaboration = create(api)
    respond(api, collaboration, "Gemeente", {**COMMON, "horizon": "months"})
    respond(api, collaboration, "Wijkteam", {**COMMON, "horizon": "permanent"})
    body = api.get(collaboration["url"]).json
    assert body["combined"]["ties"] == ["horizon"]
    forms = [api.post("/api/v1/advice", json={"answers": {**COMMON, "horizon": h}}).json["recommended"]
             for h in ("months", "permanent")]
    order = ["informal", "project", "program", "embedded"]
    assert body["combined"]["advice"]["recommended"] == min(forms, key=order.index)


def test_multi_takes_options_chosen_by_at_least_half(api):
    collaboration = create(api)
    for label, domains in (("A", ["care", "youth"]), ("B", ["care", "welfare"]), ("C", ["youth", "debt"])):
        respond(api, collaboration, label, {**COMMON, "domains": domains})
    body = api.get(collaboration["url"]).json
    assert body["combined"]["answers"]["domains"] == ["care", "youth"]


def test_divergence_on_trust_goal_consensus_and_partner_benefit_are_findings(api, three):
    collaboration, _ = three
    findings = {f["id"]: f for f in api.get(collaboration["url"]).json["findings"]}
    assert set(findings) == {"divergent_trust", "divergent_goal_consensus", "divergent_partner_benefit"}
    trust = findings["divergent_trust"]
    assert trust["question"] == "trust" and trust["severity"] == "warning" and trust["source"].startswith("002")
    assert [(s["respondent"], s["answer_text"]) for s in trust["answers"]] == [
        ("Gemeente", "A lot"), ("Wijkteam", "Little"), ("School", "Moderately")]
    dutch = api.get(collaboration["url"] + "?lang=nl").json["findings"]
    assert dutch[0]["title"] != findings[dutch[0]["id"]]["title"]     # texts from the data file, per language


def test_risks_only_some_respondents_see(api, three):
    collaboration, _ = three
    partial = {r["id"]: r for r in api.get(collaboration["url"]).json["risks_some_see"]}
    assert partial["vertical_alignment"]["seen_by"] == ["Wijkteam"]
    assert partial["vertical_alignment"]["not_seen_by"] == ["Gemeente", "School"]


def test_drafts_are_listed_but_do_not_count(api, three):
    collaboration, _ = three
    draft = respond(api, collaboration, "Welzijn", {"scope": "ongoing_task"})
    assert draft["status"] == "draft" and draft["advice"] is None
    body = api.get(collaboration["url"]).json
    assert body["counted"] == 3 and len(body["respondents"]) == 4
    # the partner resumes through its own URL; complete, it counts
    response = api.patch(draft["url"], json={"answers": {**GEMEENTE, "trust": None}})
    assert response.status_code == 200 and response.json["status"] == "complete"
    assert api.get(collaboration["url"]).json["counted"] == 4


def test_alternatives_for_the_combined_advice(api, three):
    collaboration, _ = three
    assert api.get(collaboration["url"]).json["combined"]["advice"]["alternatives"] is None
    advice = api.get(collaboration["url"] + "?alternatives=true").json["combined"]["advice"]
    assert advice["alternatives"] and all(a["form"] != advice["recommended"] for a in advice["alternatives"])


def test_history_and_drift_warning_when_the_form_hardens(api):
    collaboration = create(api)
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "informal"})
    closed = api.post(f"{collaboration['url']}/rounds", json={})
    assert closed.status_code == 201 and closed.json["round"] == 2
    assert closed.json["closed"]["round"] == 1 and closed.json["closed"]["closed_at"]
    assert api.get(f"/api/v1/invitations/{collaboration['invitation']['token']}").json["labels"] == []
    # a year later: same task, same size band, same goal consensus, but a heavier current form
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "project", "partners": 7})
    history = api.get(f"{collaboration['url']}/history").json
    assert [(r["round"], r["current_form"]) for r in history["rounds"]] == [(1, "informal"), (2, "project")]
    assert history["rounds"][1]["closed_at"] is None and history["rounds"][0]["recommended"]
    [warning] = history["drift"]
    assert (warning["id"], warning["from_round"], warning["to_round"]) == ("creeping_verkokering", 1, 2)
    assert "current_form" in warning["hardened"] and warning["source"].startswith("004")
    assert {"what": "current_form", "before": "informal", "after": "project"} in warning["changes"]


def test_no_drift_warning_when_the_task_changed(api):
    collaboration = create(api)
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "informal", "scope": "individual_cases"})
    api.post(f"{collaboration['url']}/rounds", json={})
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "project"})
    assert api.get(f"{collaboration['url']}/history").json["drift"] == []


def test_no_drift_warning_when_the_network_grew_a_band(api):
    collaboration = create(api)
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "informal", "partners": 4})
    api.post(f"{collaboration['url']}/rounds", json={})
    respond(api, collaboration, "Gemeente", {**GEMEENTE, "current_form": "project", "partners": 30})
    assert api.get(f"{collaboration['url']}/history").json["drift"] == []


def test_closing_an_empty_round_is_a_conflict(api):
    collaboration = create(api)
    respond(api, collaboration, "Gemeente", {"scope": "ongoing_task"})
    body = problem(api.post(f"{collaboration['url']}/rounds", json={}, headers={"Accept-Language": "en"}), 409)
    assert "nothing to keep" in body["detail"]


def test_same_label_twice_in_a_round_is_a_conflict(api, three):
    collaboration, _ = three
    body = problem(api.post(f"{collaboration['url']}/responses", json={"label": "School", "answers": COMMON},
                            headers={"Accept-Language": "en"}), 409)
    assert body["errors"] == {"label": ["'School' has answered in this round already"]}


def test_patch_and_delete_respondents_and_the_collaboration(api, three, app):
    collaboration, responses = three
    school = responses[2]
    # the coordinator renames the collaboration and a respondent
    assert api.patch(collaboration["url"], json={"name": "Wijkaanpak Noord-Oost"}).json["name"] == "Wijkaanpak Noord-Oost"
    coordinator_url = f"{collaboration['url']}/responses/{school['id']}"
    assert api.patch(coordinator_url, json={"label": "Basisschool"}).json["label"] == "Basisschool"
    # a respondent erases its own response through its URL
    assert api.delete(responses[1]["url"]).status_code == 204
    problem(api.get(responses[1]["url"]), 404)
    assert api.get(collaboration["url"]).json["counted"] == 2
    # erasing the collaboration erases every response and round with it
    api.post(f"{collaboration['url']}/rounds", json={})
    assert api.delete(collaboration["url"]).status_code == 204
    problem(api.get(collaboration["url"]), 404)
    problem(api.get(responses[0]["url"]), 404)
    problem(api.get(f"/api/v1/invitations/{collaboration['invitation']['token']}"), 404)
    from sqlalchemy import text
    with app.extensions["advisor_db"].engine.connect() as connection:
        for table in ("collaborations", "collaboration_respondents", "collaboration_rounds"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_the_invitation_cannot_reach_the_coordinator_or_other_responses(api, three):
    collaboration, responses = three
    token = collaboration["invitation"]["token"]
    problem(api.get(f"{BASE}/{token}"), 404)
    problem(api.delete(f"{BASE}/{token}"), 404)
    other = create(api, "Elders")
    problem(api.get(f"/api/v1/invitations/{other['invitation']['token']}/responses/{responses[0]['id']}"), 404)


def test_errors_are_problem_details(api, three):
    collaboration, _ = three
    token = collaboration["invitation"]["token"]
    invite = f"/api/v1/invitations/{token}/responses"
    body = problem(api.post(invite, json={"label": "X", "answers": {"horizon": "forever"}}), 422)
    assert "answers.horizon" in body["errors"]
    assert "label" in problem(api.post(invite, json={"label": "  ", "answers": {}}), 422)["errors"]
    assert "label" in problem(api.post(invite, json={"label": "a\u0000b", "answers": {}}), 422)["errors"]
    assert "name" in problem(api.post(BASE, json={}), 422)["errors"]
    assert "name" in problem(api.post(BASE, json={"name": "x" * 201}), 422)["errors"]
    problem(api.post(BASE, data="name=x", content_type="application/x-www-form-urlencoded"), 415)
    problem(api.post(BASE, data="{", content_type="application/json"), 400)
    problem(api.get(f"{BASE}/not-an-id"), 404)
    problem(api.get(f"{BASE}/{'A' * 32}/history"), 404)
    problem(api.post("/api/v1/invitations/nope/responses", json={"label": "X", "answers": {}}), 404)
    problem(api.get(collaboration["url"] + "?lang=fr"), 422)


def test_spec_documents_the_collaboration_routes(api):
    spec = api.get("/api/v1/openapi.json").json
    validate(spec)
    paths = spec["paths"]
    assert {"post"} <= set(paths["/collaborations"])
    assert {"get", "patch", "delete"} <= set(paths["/collaborations/{collaboration_id}"])
    assert "409" in paths["/collaborations/{collaboration_id}/rounds"]["post"]["responses"]
    assert "201" in paths["/invitations/{token}/responses"]["post"]["responses"]
