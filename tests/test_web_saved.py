"""Save as you go and the private link (/a/<id>) through the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import MINI_PACKS
from tests.web_support import PLUGIN_PACK, csrf_token, markup

LINK = re.compile(r'id="saved-link" class="link" type="text" readonly value="([^"]+)"')


@pytest.fixture
def web_app(make_app, write_pack):
    return make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(write_pack("youth.toml", PLUGIN_PACK)))


def post_step(client, number: int, data: dict, nav: str = "next"):
    return client.post(f"/steps/{number}", data={**data, "nav": nav, "csrf_token": csrf_token(client, f"/steps/{number}")})


def private_link(client, path: str = "/steps/1") -> str:
    match = LINK.search(markup(client.get(path).get_data(as_text=True)))
    assert match, "no private link on the page"
    return match.group(1)


def test_answers_are_saved_after_each_step_under_an_unguessable_link(web_app):
    client = web_app.test_client()
    assert not LINK.search(markup(client.get("/steps/1").get_data(as_text=True)))
    post_step(client, 1, {"scope": "individual_cases", "partners": "12"})
    link = private_link(client, "/steps/2")
    assessment_id = link.rsplit("/a/", 1)[1]
    assert len(assessment_id) >= 16
    stored = client.get(f"/api/v1/assessments/{assessment_id}").get_json()
    assert stored["answers"] == {"scope": "individual_cases", "partners": 12}
    assert stored["status"] == "draft"

    post_step(client, 2, {"youth.safety_plan": "yes"})
    assert private_link(client, "/advice") == link
    stored = client.get(f"/api/v1/assessments/{assessment_id}").get_json()
    assert stored["status"] == "complete" and stored["answers"]["youth.safety_plan"] == "yes"


def test_the_link_resumes_in_another_browser(web_app):
    first = web_app.test_client()
    post_step(first, 1, {"scope": "ongoing_task", "partners": "40"})
    path = "/a/" + private_link(first, "/steps/2").rsplit("/a/", 1)[1]

    colleague = web_app.test_client()
    response = colleague.get(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/2")
    html = colleague.get("/steps/1").get_data(as_text=True)
    assert 'value="ongoing_task" checked' in html and 'value="40"' in html

    post_step(first, 2, {"youth.safety_plan": "no"})
    response = web_app.test_client().get(path)
    assert response.headers["Location"].endswith("/advice")


def test_a_shared_link_shows_the_same_advice(web_app):
    owner = web_app.test_client()
    post_step(owner, 1, {"scope": "individual_cases"})
    post_step(owner, 2, {"youth.safety_plan": "no"})
    path = "/a/" + private_link(owner, "/advice").rsplit("/a/", 1)[1]
    colleague = web_app.test_client()
    colleague.get(path)
    mine, theirs = (markup(c.get("/advice").get_data(as_text=True)) for c in (owner, colleague))
    heading = re.compile(r'<h1 id="advice-title">(.*?)</h1>')
    assert heading.search(mine).group(1) == heading.search(theirs).group(1)
    assert "Geen plan" in theirs


def test_unknown_link_is_a_404_page_that_says_why(web_app):
    client = web_app.test_client()
    response = client.get("/a/abcdefghijklmnopqrstuvwxyz")     # well-formed: erased or expired
    assert response.status_code == 404 and "Deze antwoorden zijn er niet meer" in response.get_data(as_text=True)
    response = client.get("/a/short")                            # never made
    assert response.status_code == 404 and "Deze link bestaat niet" in response.get_data(as_text=True)
    response = client.get("/a/..%2F..%2Fetc")                    # no such page at all
    assert response.status_code == 404 and "Pagina niet gevonden" in response.get_data(as_text=True)


def test_delete_my_answers_erases_them(web_app):
    client = web_app.test_client()
    post_step(client, 1, {"scope": "individual_cases"})
    assessment_id = private_link(client, "/steps/2").rsplit("/a/", 1)[1]
    token = csrf_token(client, "/steps/2")
    response = client.post("/erase", data={"csrf_token": token})       # without confirming: asks first
    assert response.status_code == 200 and "Ja, verwijder mijn antwoorden" in response.get_data(as_text=True)
    assert client.get(f"/a/{assessment_id}").status_code == 302
    response = client.post("/erase", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 302
    assert "Je antwoorden zijn verwijderd" in client.get("/").get_data(as_text=True)
    assert client.get(f"/a/{assessment_id}").status_code == 410      # this browser erased it: it says so
    assert client.get(f"/api/v1/assessments/{assessment_id}").status_code == 404
    assert 'value="individual_cases" checked' not in client.get("/steps/1").get_data(as_text=True)


def test_start_again_gives_a_new_link_and_keeps_the_old_one(web_app):
    client = web_app.test_client()
    post_step(client, 1, {"scope": "individual_cases"})
    old = private_link(client, "/steps/2").rsplit("/a/", 1)[1]
    client.post("/restart", data={"csrf_token": csrf_token(client)})
    post_step(client, 1, {"scope": "ongoing_task"})
    new = private_link(client, "/steps/2").rsplit("/a/", 1)[1]
    assert new != old and web_app.test_client().get(f"/a/{old}").status_code == 302


def test_pages_go_on_when_the_database_is_down(web_app, monkeypatch):
    from advisor import storage

    def down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(storage, "create", down)
    client = web_app.test_client()
    assert post_step(client, 1, {"scope": "individual_cases"}).status_code == 302
    assert post_step(client, 2, {"youth.safety_plan": "yes"}).headers["Location"].endswith("/advice")
    html = client.get("/advice").get_data(as_text=True)
    assert "Ons advies" in html and 'id="saved-link"' not in html

