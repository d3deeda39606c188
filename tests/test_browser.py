"""Headless Chromium (Debian's, driven by Playwright) through the whole questionnaire, in Dutch
and in English, with a validation error on the way, an axe-core accessibility check of the start,
question and advice pages, and a screenshot of each advice page in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from advisor import create_app
from advisor.cases import load_cases
from tests.conftest import BASE_CONFIG, MINI_PACKS, ROOT, require
from tests.web_support import PLUGIN_PACK, has_real_rules

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ADVISOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = Path(os.environ.get("ADVISOR_AXE_JS", ROOT / "test-artifacts/node/node_modules/axe-core/axe.min.js"))
ARTIFACTS = ROOT / "test-artifacts"
BLOCKING_IMPACTS = ("serious", "critical")

TEXT = {
    "nl": {"switch": "Nederlands", "start": "Begin met de vragen", "next": "Volgende stap",
           "advice": "Toon het advies", "progress": "Stap 1 van", "problem": "met je antwoorden",
           "heading": "Ons advies", "print": "Afdrukken / opslaan als pdf"},
    "en": {"switch": "English", "start": "Start the questions", "next": "Next step",
           "advice": "Show the advice", "progress": "Step 1 of", "problem": "with your answers",
           "heading": "Our advice", "print": "Print / save as PDF"},
}


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _playwright()
    require(sync_playwright is not None, "playwright is not installed (pip install -e '.[test]')")
    require(Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
            "chromium is missing (scripts/setup-browser)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def serving(app, ssl_context: tuple[str, str] | None = None) -> Iterator[str]:
    """`app` (any WSGI app) on 127.0.0.1 (a free port) in a thread, over HTTPS with a
    ``(cert, key)`` `ssl_context`; yields its base URL, shut down after."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port) in a thread, with CSRF on as in production."""
    config = {**BASE_CONFIG, "TESTING": False, "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance"))}
    if not has_real_rules():
        plugins = tmp_path_factory.mktemp("plugins")
        (plugins / "youth.toml").write_text(PLUGIN_PACK, encoding="utf-8")
        config.update(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(plugins))
    with serving(create_app(config)) as url:
        yield url


def check_accessibility(page, name: str) -> None:
    """Inject axe-core and fail on serious or critical WCAG 2.1 A/AA violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']})"
    )
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking
    )


def pdf_pages(pdf: bytes) -> int:
    """Pages in a PDF written by Chromium (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def answer_every_question(page) -> None:
    """Answer the questions on the page by clicking labels, as a person would."""
    for question in page.locator(".question").all():
        number = question.locator("input.number")
        if number.count():
            if not number.input_value():
                number.fill("12")
            continue
        first = question.locator("input:not([value=''])").first
        if not first.is_checked():
            question.locator(f"label[for='{first.get_attribute('id')}']").click()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_questionnaire_to_advice_in_the_browser(browser, live_server, lang):
    require(AXE.exists(), f"axe-core is missing at {AXE} (scripts/setup-browser)")
    words = TEXT[lang]
    # bypass_csp lets add_script_tag inject axe-core; the CSP itself is checked in the next test.
    context = browser.new_context(locale="nl-NL" if lang == "en" else "en-GB", bypass_csp=True,
                                  viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Start page: the browser asks for the other language, the visitor switches.
    page.goto(live_server + "/")
    page.get_by_role("link", name=words["switch"]).click()
    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page, "start page")
    page.get_by_role("link", name=words["start"]).click()

    # Step 1: send it empty, get the error summary, follow its first link with the keyboard.
    assert words["progress"] in page.locator(".progress-text").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=words["next"]).click()
    summary = page.locator(".error-summary")
    assert words["problem"] in summary.inner_text()
    expect(summary).to_be_focused()
    check_accessibility(page, "question page with errors")
    first_link = summary.locator("a").first
    target = first_link.get_attribute("href")[1:]
    first_link.focus()
    page.keyboard.press("Enter")
    control = page.locator(f"[id='{target}']")
    expect(control).to_be_focused()
    page.keyboard.press("Space")
    expect(control).to_be_checked()

    # Switching language on a step keeps what was just chosen, then switch back.
    other = "en" if lang == "nl" else "nl"
    with page.expect_navigation():
        page.locator(f"[data-switch-language='{other}']").click()
    assert page.locator("html").get_attribute("lang") == other
    expect(page.locator(f"[id='{target}']")).to_be_checked()
    with page.expect_navigation():
        page.locator(f"[data-switch-language='{lang}']").click()
    assert page.locator("html").get_attribute("lang") == lang

    # Every step, the last one leading to the advice.
    while "/steps/" in page.url:
        answer_every_question(page)
        button = page.get_by_role("button", name=words["advice"])
        if not button.count():
            button = page.get_by_role("button", name=words["next"])
        with page.expect_navigation():
            button.click()
        assert not page.locator(".error-summary").count(), page.locator(".error-summary").inner_text()

    assert page.url.endswith("/advice")
    assert words["heading"] in page.locator(".advice-head").text_content()
    expect(page.get_by_role("button", name=words["print"])).to_be_visible()
    assert page.locator(".rank-row").count() >= 2
    check_accessibility(page, "advice page")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"advice-{lang}.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / f"advice-{lang}-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    (ARTIFACTS / f"advice-{lang}.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) <= 2, f"the printed advice has {pdf_pages(pdf)} pages"
    assert not errors

    # The private link opens the same advice in another browser (a colleague).
    link = page.locator("#saved-link").input_value()
    advised = page.locator("#advice-title").text_content()
    colleague = browser.new_context(locale="nl-NL" if lang == "nl" else "en-GB")
    shared = colleague.new_page()
    shared.goto(link)
    assert shared.url.endswith("/advice")
    assert shared.locator("#advice-title").text_content() == advised
    colleague.close()
    context.close()


def test_pages_work_under_the_content_security_policy(browser, live_server):
    """No CSP violation on any page, and our own script files do run (the print button shows)."""
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(live_server + "/")
    page.get_by_role("link", name="Begin met de vragen").click()
    while "/steps/" in page.url:
        answer_every_question(page)
        with page.expect_navigation():
            page.locator("button[value=next]").click()
    expect(page.get_by_role("button", name="Afdrukken / opslaan als pdf")).to_be_visible()
    assert not violations
    context.close()


def test_api_docs_page_works_under_the_content_security_policy(browser, live_server):
    """The Swagger UI page (another blueprint) renders its operations with our CSP in force."""
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(live_server + "/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    assert not violations, violations
    context.close()


def test_printed_advice_of_every_worked_case_is_a_short_report(browser, live_server):
    """Print / save as PDF on A4: two pages up to four risks, three at most for the worked cases."""
    require(has_real_rules(), "the worked cases need the built-in rule packs in rules/")
    cases = [case for path in sorted((ROOT / "tests" / "cases").glob("*.toml")) for case in load_cases(path)]
    context = browser.new_context()
    page = context.new_page()
    pages_by_case = {}
    for number, case in enumerate(cases):
        lang = ("nl", "en")[number % 2]
        created = requests.post(f"{live_server}/api/v1/assessments", timeout=10,
                                json={"answers": dict(case.answers), "lang": lang})
        assert created.status_code == 201, created.text
        stored = created.json()
        page.goto(f"{live_server}/a/{stored['id']}")
        page.emulate_media(media="print")
        pages = pdf_pages(page.pdf(format="A4"))
        risks = len(stored["advice"]["risks"])
        pages_by_case[case.id] = (risks, pages)
        assert pages <= (2 if risks <= 4 else 3), f"{case.id} ({lang}): {risks} risks on {pages} pages"
    assert any(pages == 2 for _, pages in pages_by_case.values()), pages_by_case
    context.close()
