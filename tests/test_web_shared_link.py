"""Two people on one shared link at once, through the pages: each save sends only the answers
that person changed, and when both changed the same answer, nothing is overwritten and the page
shows both values to choose from."""

from __future__ import annotations

import pytest

from tests.conftest import MINI_PACKS
from tests.test_web_saved import private_link
from tests.web_support import PLUGIN_PACK, csrf_token

TOKENS: dict[int, str] = {}


def post_step(client, number: int, data: dict):
    """Submit step `number` as the page the client has open (no new page load before it: a
    page load would already show the other person's changes)."""
    token = TOKENS.get(id(client)) or TOKENS.setdefault(id(client), csrf_token(client, f"/steps/{number}"))
    return client.post(f"/steps/{number}", data={**data, "nav": "next", "csrf_token": token})


@pytest.fixture
def web_app(make_app, write_pack):
    return make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(write_pack("youth.toml", PLUGIN_PACK)))


def two_on_one_link(web_app):
    TOKENS.clear()
    owner = web_app.test_client()
    post_step(owner, 1, {"scope": "individual_cases", "partners": "12"})
    assessment_id = private_link(owner, "/steps/2").rsplit("/a/", 1)[1]
    colleague = web_app.test_client()
    colleague.get(f"/a/{assessment_id}")
    for client in (owner, colleague):   # both have step 1 open, with the same answers on it
        assert 'value="12"' in client.get("/steps/1").get_data(as_text=True)
        TOKENS[id(client)] = csrf_token(client, "/steps/1")
    return owner, colleague, assessment_id


def stored(client, assessment_id):
    return client.get(f"/api/v1/assessments/{assessment_id}").get_json()["answers"]


def test_a_save_sends_only_the_answers_changed_so_a_colleagues_change_survives(web_app):
    owner, colleague, assessment_id = two_on_one_link(web_app)
    assert post_step(owner, 1, {"scope": "ongoing_task", "partners": "12"}).status_code == 302
    # The colleague's page still shows "individual_cases"; they change only the number.
    assert post_step(colleague, 1, {"scope": "individual_cases", "partners": "30"}).status_code == 302
    assert stored(owner, assessment_id) == {"scope": "ongoing_task", "partners": 30}
    # And the colleague's pages now show the owner's change.
    assert 'value="ongoing_task" checked' in colleague.get("/steps/1").get_data(as_text=True)


def test_pages_take_what_others_stored_meanwhile(web_app):
    owner, colleague, assessment_id = two_on_one_link(web_app)
    post_step(owner, 1, {"scope": "ongoing_task", "partners": "40"})
    html = colleague.get("/steps/1").get_data(as_text=True)
    assert 'value="ongoing_task" checked' in html and 'value="40"' in html


def test_the_same_answer_changed_by_both_shows_both_values_and_the_choice_is_stored(web_app):
    owner, colleague, assessment_id = two_on_one_link(web_app)
    post_step(owner, 1, {"scope": "individual_cases", "partners": "30"})
    clash = post_step(colleague, 1, {"scope": "ongoing_task", "partners": "50"})
    assert clash.status_code == 409
    html = clash.get_data(as_text=True)
    assert "Iemand anders heeft deze antwoorden intussen gewijzigd" in html
    assert '<strong class="theirs">30</strong>' in html and '<strong class="mine">50</strong>' in html
    assert 'value="50"' in html                        # the colleague's own answer stays in the form
    assert stored(owner, assessment_id) == {"scope": "individual_cases", "partners": 30}  # nothing overwritten

    # The colleague keeps their own number: now it is stored, with their other change.
    assert post_step(colleague, 1, {"scope": "ongoing_task", "partners": "50"}).status_code == 302
    assert stored(owner, assessment_id) == {"scope": "ongoing_task", "partners": 50}


def test_choosing_the_other_answer_keeps_it(web_app):
    owner, colleague, assessment_id = two_on_one_link(web_app)
    post_step(owner, 1, {"scope": "individual_cases", "partners": "30"})
    assert post_step(colleague, 1, {"scope": "individual_cases", "partners": "50"}).status_code == 409
    assert post_step(colleague, 1, {"scope": "individual_cases", "partners": "30"}).status_code == 302
    assert stored(owner, assessment_id) == {"scope": "individual_cases", "partners": 30}
