"""The collaboration pages through the test client (CSRF on, as in production): create, the
invitation flow for three partners, the collaboration page, rounds and erasure, in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_collaborations_api import GEMEENTE, SCHOOL, WIJKTEAM
from tests.test_web_advice import text_of
from tests.web_support import csrf_token, markup


@pytest.fixture
def web_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def create(client, name: str = "Wijkaanpak Noord") -> str:
    response = client.post("/c/new", data={"name": name, "csrf_token": csrf_token(client, "/c/new")})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def invitation_of(client, page: str) -> str:
    html = markup(client.get(page).get_data(as_text=True))
    return re.search(r'id="invitation-link" class="link" type="text" readonly value="http://localhost([^"]+)"', html).group(1)


def form_value(question: dict[str, Any], value: Any) -> Any:
    return str(value) if question["kind"] == "integer" else value


def answer_as(app, invitation: str, label: str, answers: dict[str, Any], lang: str = "en"):
    """A partner's browser: name itself, walk every step, land on the thank-you page."""
    partner = app.test_client()
    partner.get(f"/language/{lang}")
    token = csrf_token(partner, invitation)
    response = partner.post(invitation, data={"label": label, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/1")
    steps = partner.get(f"/api/v1/questionnaire?lang={lang}").get_json()["steps"]
    for number, step in enumerate(steps, start=1):
        data = {q["id"]: form_value(q, answers[q["id"]]) for q in step["questions"] if q["id"] in answers}
        response = partner.post(f"{invitation}/steps/{number}", data={**data, "nav": "next", "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert response.headers["Location"].endswith(f"{invitation}/done")
    return partner, partner.get(f"{invitation}/done")


@pytest.fixture
def three(web_app):
    coordinator = web_app.test_client()
    coordinator.get("/language/en")
    page = create(coordinator)
    invitation = invitation_of(coordinator, page)
    for label, answers in (("Gemeente", GEMEENTE), ("Wijkteam", WIJKTEAM), ("School", SCHOOL)):
        answer_as(web_app, invitation, label, answers)
    return coordinator, page, invitation


def test_start_page_links_to_several_partners(web_app):
    html = web_app.test_client().get("/?lang=en").get_data(as_text=True)
    assert 'href="/c/new"' in html


def test_create_needs_a_name_and_csrf(web_app):
    client = web_app.test_client()
    client.get("/language/en")
    response = client.post("/c/new", data={"name": "  ", "csrf_token": csrf_token(client, "/c/new")})
    assert response.status_code == 422 and "Fill in a name." in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert client.post("/c/new", data={"name": "Wijk"}).status_code == 400     # no CSRF token


def test_thank_you_page_shows_the_partners_own_advice(web_app):
    coordinator = web_app.test_client()
    invitation = invitation_of(coordinator, create(coordinator))
    _, done = answer_as(web_app, invitation, "Wijkteam", WIJKTEAM)
    assert "From your answers alone, the advice is: Programme" in text_of(done.get_data(as_text=True))


def test_collaboration_page_with_three_partners(three):
    coordinator, page, _ = three
    response = coordinator.get(page)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = markup(response.get_data(as_text=True))
    read = text_of(html)
    api = coordinator.get("/api/v1/collaborations/" + page.rsplit("/", 1)[1] + "?lang=en").get_json()
    assert "3 partners have answered every required question." in read
    for label in ("Gemeente", "Wijkteam", "School"):
        assert f'<th scope="col">{label}</th>' in html
    # per question side by side, divergent rows flagged
    assert html.count('<tr class="divergent">') == len(api["combined"]["divergent"])
    assert "How long should the collaboration last? differs" in read
    # findings and risks only some see, as the API says
    for finding in api["findings"]:
        assert finding["title"] in read
    assert "Partners rate trust differently" in read
    assert "Seen from the answers of: Wijkteam" in read
    # advice per partner and combined, and what would change it
    assert "Advice for the answers combined" in read and "What would change the advice" in read
    assert re.search(r'<p class="combined-form">[^<]+</p>', html)
    # the form over time: an SVG timeline, described in words too
    assert '<svg class="timeline"' in html and "Round 1" in read
    assert "<script>" not in html.replace('<script src=', '')


def test_pages_in_dutch(three, web_app):
    coordinator, page, invitation = three
    coordinator.get("/language/nl")
    read = text_of(coordinator.get(page).get_data(as_text=True))
    assert "Antwoorden naast elkaar" in read and "Partners schatten het vertrouwen verschillend in" in read
    partner = web_app.test_client()
    partner.get("/language/nl")
    assert "Je organisatie of rol" in text_of(partner.get(invitation).get_data(as_text=True))


def test_full_advice_pages_for_combined_and_each_partner(three):
    coordinator, page, _ = three
    combined = text_of(coordinator.get(page + "/advice").get_data(as_text=True))
    assert "Combined advice for Wijkaanpak Noord" in combined and "Back to the collaboration" in combined
    assert "What would change the advice" in combined
    html = coordinator.get(page).get_data(as_text=True)
    link = re.search(r'href="(/c/[^"]+/responses/[^"]+/advice)"', html).group(1)
    assert "Advice from the answers of Gemeente" in text_of(coordinator.get(link).get_data(as_text=True))


def test_same_label_twice_is_refused_in_words(three, web_app):
    _, _, invitation = three
    partner = web_app.test_client()
    partner.get("/language/en")
    response = partner.post(invitation, data={"label": "School", "csrf_token": csrf_token(partner, invitation)})
    assert response.status_code == 422
    assert "Another partner already answered under this name" in response.get_data(as_text=True)


def test_a_step_with_an_error_is_shown_again(web_app):
    coordinator = web_app.test_client()
    invitation = invitation_of(coordinator, create(coordinator))
    partner = web_app.test_client()
    partner.get("/language/en")
    token = csrf_token(partner, invitation)
    partner.post(invitation, data={"label": "Gemeente", "csrf_token": token})
    response = partner.post(f"{invitation}/steps/1", data={"nav": "next", "csrf_token": token})
    assert response.status_code == 422 and 'class="error-summary"' in markup(response.get_data(as_text=True))


def test_rounds_and_drift_on_the_page(web_app):
    coordinator = web_app.test_client()
    coordinator.get("/language/en")
    page = create(coordinator)
    invitation = invitation_of(coordinator, page)
    answer_as(web_app, invitation, "Gemeente", {**GEMEENTE, "current_form": "informal"})
    token = csrf_token(coordinator, page)
    response = coordinator.post(page + "/rounds", data={"note": "Evaluatie 2026", "csrf_token": token})
    assert response.status_code == 200 and "Yes, close round 1" in text_of(response.get_data(as_text=True))
    response = coordinator.post(page + "/rounds", data={"note": "Evaluatie 2026", "csrf_token": token,
                                                         "confirm": "yes"})
    assert response.status_code == 302
    answer_as(web_app, invitation, "Gemeente", {**GEMEENTE, "current_form": "project"})
    read = text_of(coordinator.get(page).get_data(as_text=True))
    assert "Round 1 (Evaluatie 2026)" in read and "Creeping compartmentalisation between rounds" in read
    assert "Current form: Informal collaboration → Collaboration project" in read


def test_erase_a_partner_and_the_collaboration(three):
    coordinator, page, invitation = three
    html = coordinator.get(page).get_data(as_text=True)
    token = csrf_token(coordinator, page)
    erase_one = re.search(r'href="(/c/[^"]+/responses/[^"]+/erase)"', html).group(1)
    assert coordinator.post(erase_one, data={"csrf_token": token}).status_code == 200      # asks first
    assert coordinator.post(erase_one, data={"csrf_token": token, "confirm": "yes"}).status_code == 302
    assert "2 partners have answered" in text_of(coordinator.get(page).get_data(as_text=True))
    response = coordinator.post(page + "/erase", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 302
    assert coordinator.get(page).status_code == 410                    # erased from this browser: it says so
    assert coordinator.get(invitation).status_code == 410


def test_single_advice_page_says_what_would_change_it(web_app):
    from tests.web_support import fill_all_steps

    client = web_app.test_client()
    client.get("/language/en")
    answers = fill_all_steps(client, "en")
    read = text_of(client.get("/advice").get_data(as_text=True))
    api = client.post("/api/v1/advice", json={"answers": answers, "lang": "en", "alternatives": True}).get_json()
    forms = {f["id"]: f["name"] for f in client.get("/api/v1/forms?lang=en").get_json()["forms"]}
    assert "What would change the advice" in read and api["alternatives"]
    html = markup(client.get("/advice").get_data(as_text=True))
    groups = re.findall(r'<h3 class="alternative-form">(.*?) would be advised</h3>\s*<ul class="alternative-list">(.*?)</ul>',
                        html, re.S)
    assert {name for name, _ in groups} == {forms[a["form"]] for a in api["alternatives"]}
    assert all(1 <= items.count("<li") <= 3 for _, items in groups)
