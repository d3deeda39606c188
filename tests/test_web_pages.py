"""The manager's pages through the test client: steps, answers kept, errors, language, safety."""

from __future__ import annotations

import re

import pytest

from tests.conftest import MINI_PACKS
from tests.web_support import PLUGIN_PACK, csrf_token


@pytest.fixture
def web_app(make_app, write_pack):
    """The mini pack plus a plugin pack that adds a second step, a required question and risky texts."""
    plugins = write_pack("youth.toml", PLUGIN_PACK)
    return make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(plugins))


@pytest.fixture
def web(web_app):
    return web_app.test_client()


def page(response) -> str:
    return response.get_data(as_text=True)


def post_step(client, number: int, data: dict, nav: str = "next"):
    token = csrf_token(client, f"/steps/{number}")
    return client.post(f"/steps/{number}", data={**data, "nav": nav, "csrf_token": token})


def test_start_page_explains_in_dutch_with_language_switch(web):
    html = page(web.get("/"))
    assert '<html lang="nl">' in html
    assert "Welke vorm van samenwerking past bij jullie opgave?" in html
    assert "Hoe lang het duurt" in html and "3 vragen in 2 stappen" in html
    assert "Wat er met je antwoorden gebeurt" in html
    assert 'href="/steps/1"' in html
    assert 'href="/language/en?next=/"' in html and 'aria-current="true">Nederlands' in html


def test_step_shows_progress_fieldsets_help_and_required(web):
    html = page(web.get("/steps/2"))
    assert "Stap 2 van 2" in html and 'aria-current="step"' in html
    assert html.count("<fieldset") == 1 and "<legend>" in html
    assert "Is er een veiligheidsplan?" in html and ">verplicht<" in html
    assert 'id="help-youth.safety_plan"' in html
    assert '<label for="q-youth.safety_plan-yes">Ja</label>' in html
    optional = page(web.get("/steps/1"))
    assert ">niet verplicht<" in optional and 'for="q-partners"' in optional


def test_plugin_questions_are_a_step_of_their_own(web):
    steps = web.get("/api/v1/questionnaire?lang=nl").get_json()["steps"]
    assert [s["id"] for s in steps] == ["task", "extra"]
    assert "Jeugdhulp" in page(web.get("/steps/2"))


def test_back_and_next_keep_answers(web):
    response = post_step(web, 1, {"scope": "individual_cases", "partners": "12"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/2")
    response = post_step(web, 2, {"youth.safety_plan": "no"}, nav="back")
    assert response.headers["Location"].endswith("/steps/1")
    first = page(web.get("/steps/1"))
    assert re.search(r'value="individual_cases" checked', first)
    assert 'value="12"' in first
    assert 'value="no" checked' in page(web.get("/steps/2"))


def test_back_from_the_first_step_goes_to_the_start_page(web):
    response = post_step(web, 1, {}, nav="back")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_validation_error_next_to_question_and_in_summary_nothing_lost(web):
    response = post_step(web, 1, {"scope": "individual_cases", "partners": "veel"})
    assert response.status_code == 422
    html = page(response)
    assert "Er is 1 probleem met je antwoorden" in html
    assert '<a href="#q-partners">Aantal partners: Vul een heel getal in, bijvoorbeeld 12.</a>' in html
    assert 'id="error-partners"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="error-partners"' in html
    assert 'value="veel"' in html and 'value="individual_cases" checked' in html
    assert "<title>Fout:" in html
    # Still there after leaving and coming back.
    assert 'value="veel"' in page(web.get("/steps/1"))


def test_required_and_range_errors_in_words(web):
    html = page(post_step(web, 1, {"partners": "600"}))
    assert "Er zijn 2 problemen met je antwoorden" in html
    assert '<a href="#q-scope-individual_cases">Waar gaat het om? Kies een antwoord.</a>' in html
    assert "Vul een getal in van 1 tot en met 500." in html


def test_advice_needs_complete_answers_and_says_which(web):
    response = web.get("/advice")
    assert response.status_code == 302 and "/steps/1?check=1" in response.headers["Location"]
    assert "Kies een antwoord." in page(web.get("/steps/1?check=1"))
    post_step(web, 1, {"scope": "ongoing_task"})
    response = post_step(web, 2, {})
    assert response.status_code == 422


def test_last_step_leads_to_the_advice(web):
    post_step(web, 1, {"scope": "individual_cases"})
    response = post_step(web, 2, {"youth.safety_plan": "yes"})
    assert response.headers["Location"].endswith("/advice")
    html = page(web.get("/advice"))
    assert "Ons advies" in html and "<h1 id=\"advice-title\">Informeel</h1>" in html
    assert "Afdrukken / opslaan als pdf" in html and "js/print.js" in html
    assert "Je beantwoordde 2 van de 3 vragen." in html
    assert "core 0.1.0" in html and "youth 0.2.0" in html


def test_restart_empties_the_answers(web):
    post_step(web, 1, {"scope": "individual_cases", "partners": "3"})
    assert "Verder met je antwoorden" in page(web.get("/"))
    response = web.post("/restart", data={"csrf_token": csrf_token(web)})
    assert response.status_code == 302
    assert 'value="3"' not in page(web.get("/steps/1"))


def test_language_switch_is_remembered(web):
    response = web.get("/language/en?next=/steps/1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/steps/1")
    assert "lang=en" in response.headers["Set-Cookie"]
    html = page(web.get("/steps/1"))
    assert '<html lang="en">' in html and "Step 1 of 2" in html and "What is it about?" in html
    assert ">required<" in html
    assert '<html lang="en">' in page(web.get("/"))
    web.get("/language/nl?next=/")
    assert "Stap 1 van 2" in page(web.get("/steps/1"))


def test_language_follows_the_browser_until_chosen(web):
    assert '<html lang="en">' in page(web.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_language_switch_never_redirects_off_site(web, target):
    response = web.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_and_pages_get_html_404(web):
    for path in ("/language/fr", "/steps/9", "/nowhere"):
        response = web.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert "Pagina niet gevonden" in page(response)
    api = web.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.mimetype == "application/problem+json"


def test_csrf_enforced_on_forms_not_on_the_api(web_app):
    web_app.config["WTF_CSRF_ENABLED"] = True
    client = web_app.test_client()
    client.get("/")
    response = client.post("/steps/1", data={"scope": "individual_cases", "nav": "next"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Je sessie is verlopen" in page(response)
    response = client.post("/restart", data={"csrf_token": "forged"})
    assert response.status_code == 400
    api = client.post("/api/v1/advice", json={"answers": {"scope": "individual_cases", "youth.safety_plan": "yes"}})
    assert api.status_code == 200


def test_plugin_texts_are_escaped(web):
    post_step(web, 1, {"scope": "individual_cases"})
    post_step(web, 2, {"youth.safety_plan": "yes"})
    html = page(web.get("/advice"))
    assert "Er is een plan &lt;script&gt;alert(&#39;nl&#39;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    post_step(web, 2, {"youth.safety_plan": "no"})
    html = page(web.get("/advice"))
    assert "Geen plan &lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "Een plan &lt;b&gt;voor&lt;/b&gt; thuis." in page(web.get("/steps/2"))


@pytest.mark.parametrize("path", ["/", "/steps/1", "/steps/2", "/nowhere", "/api/v1/health"])
def test_security_headers(web, path):
    headers = web.get(path).headers
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(web):
    post_step(web, 1, {"scope": "individual_cases"})
    post_step(web, 2, {"youth.safety_plan": "no"})
    for path in ("/", "/steps/1", "/steps/2", "/advice", "/nowhere"):
        html = page(web.get(path))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html and " on" + "click=" not in html, path


def test_static_files_are_served(web):
    for path in ("/static/css/site.css", "/static/css/print.css", "/static/js/enhance.js", "/static/js/print.js"):
        assert web.get(path).status_code == 200, path
    assert "@media print" in page(web.get("/static/css/print.css"))


def test_api_docs_paths_keep_scripts_strict_but_allow_swagger_styles(web):
    csp = web.get("/api/v1/openapi.json").headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "style-src 'self' 'unsafe-inline'" in csp and "img-src 'self' data:" in csp
    assert "style-src 'self';" in web.get("/").headers["Content-Security-Policy"]


def test_switching_language_on_a_step_keeps_what_was_typed(web):
    assert 'data-switch-language="en"' in page(web.get("/steps/1"))
    response = post_step(web, 1, {"scope": "individual_cases", "partners": "abc"}, nav="lang:en")
    assert response.status_code == 302 and "/language/en" in response.headers["Location"]
    response = web.get(response.headers["Location"])
    assert response.headers["Location"].endswith("/steps/1")
    html = page(web.get("/steps/1"))
    assert "Step 1 of 2" in html and 'value="abc"' in html and 'value="individual_cases" checked' in html


def test_pages_are_not_cached_but_static_files_may_be(web):
    for path in ("/", "/steps/1", "/nowhere"):
        assert web.get(path).headers["Cache-Control"] == "no-store", path
    assert web.get("/static/css/site.css").headers.get("Cache-Control") != "no-store"


def test_server_errors_and_wrong_methods_get_html_pages(web_app):
    web_app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        raise RuntimeError("a bug")

    web_app.add_url_rule("/broken", view_func=broken)
    client = web_app.test_client()
    response = client.get("/broken")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Er ging bij ons iets mis" in page(response) and "a bug" not in page(response)
    response = client.get("/restart")
    assert response.status_code == 405 and "Dit werkt hier niet" in page(response)
