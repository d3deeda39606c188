"""Input that used to give 500 on the pages: non-ASCII digits in number fields, header injection
through the language switch's ``next``."""

from __future__ import annotations

import pytest

from tests.conftest import MINI_PACKS
from tests.web_support import csrf_token


@pytest.fixture
def web(make_app):
    return make_app(RULES_DIR=str(MINI_PACKS)).test_client()


def post_step(client, number: int, data: dict):
    token = csrf_token(client, f"/steps/{number}")
    return client.post(f"/steps/{number}", data={**data, "nav": "next", "csrf_token": token})


@pytest.mark.parametrize("typed", ["²", "³³", "1²", "١٢", "１２", "12 ", "+12", "-3", "1_000", "0x10"])
def test_non_ascii_digits_in_a_number_field_are_an_error_in_words(web, typed):
    response = post_step(web, 1, {"scope": "individual_cases", "partners": typed})
    if typed.strip() == "12":   # surrounding spaces are trimmed: a normal answer
        assert response.status_code == 302
        return
    assert response.status_code == 422
    assert "Vul een heel getal in, bijvoorbeeld 12." in response.get_data(as_text=True)
    # The draft keeps what was typed, and the pages that read it keep working.
    advice = web.get("/advice")
    assert advice.status_code == 302 and "/steps/1?check=1" in advice.headers["Location"]
    again = web.get("/steps/1?check=1")
    assert again.status_code == 200 and "Vul een heel getal in" in again.get_data(as_text=True)
    # Correcting the answer clears it: the advice follows.
    assert post_step(web, 1, {"scope": "individual_cases", "partners": "12"}).status_code == 302
    assert web.get("/advice").status_code == 200


@pytest.mark.parametrize("target", [
    "/x\r\nSet-Cookie:x", "/x\nLocation: https://evil.example", "/x\rx", "/x\x00y", "/x\ty",
    "/\\evil.example", "/ /evil.example", "/x\u2028y",
])
def test_language_switch_refuses_control_characters_and_backslashes_in_next(web, target):
    response = web.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.headers.getlist("Set-Cookie") == [response.headers["Set-Cookie"]]
    assert "lang=en" in response.headers["Set-Cookie"]


def test_language_switch_with_encoded_crlf_in_the_raw_query(web):
    response = web.get("/language/en?next=/x%0d%0aSet-Cookie:x")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_local_next_paths_still_go_back(web):
    response = web.get("/language/en", query_string={"next": "/steps/1?check=1"})
    assert response.headers["Location"] == "/steps/1?check=1"


@pytest.mark.parametrize("nav", ["lang:../../x", "lang:\r\nSet-Cookie: x", "lang:en/../..", "lang:", "lang:fr"])
def test_a_language_button_with_an_unknown_code_does_not_redirect_through_it(web, nav):
    token = csrf_token(web, "/steps/1")
    response = web.post("/steps/1", data={"scope": "individual_cases", "nav": nav, "csrf_token": token})
    assert response.status_code == 302 and "/language/" not in response.headers["Location"]


def test_the_language_button_still_switches(web):
    token = csrf_token(web, "/steps/1")
    response = web.post("/steps/1", data={"scope": "individual_cases", "nav": "lang:en", "csrf_token": token})
    assert response.headers["Location"] == "/language/en?next=/steps/1"
