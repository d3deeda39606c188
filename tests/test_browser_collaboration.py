"""Headless Chromium (as in tests/test_browser.py): a coordinator creates a collaboration, three
partners answer through the invitation link in their own browsers, and the coordinator's page
shows them side by side; axe-core checks the pages, a screenshot goes to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS, AXE, answer_every_question, browser, check_accessibility, expect, live_server,
)
from tests.conftest import require

pytestmark = pytest.mark.browser

PARTNERS = {
    # label: answers a person picks by clicking the label of the option
    "Gemeente": {"horizon": "years", "trust": "high", "goal_consensus": "high", "partner_benefit": "all"},
    "Wijkteam": {"horizon": "permanent", "trust": "low", "goal_consensus": "partial", "partner_benefit": "unclear"},
    "School": {"horizon": "years", "trust": "moderate", "goal_consensus": "high", "partner_benefit": "all"},
}


def answer_as(browser, invitation: str, label: str, choices: dict[str, str], errors: list[str],
              *, check: bool = False) -> None:
    """A partner in its own browser: name, every step (first options, then its own choices)."""
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(invitation)
    if check:
        check_accessibility(page, "invitation page")
    page.get_by_label("Your organisation or role").fill(label)
    with page.expect_navigation():
        page.get_by_role("button", name="Start the questions").click()
    if check:
        check_accessibility(page, "a partner's question page")
    while "/steps/" in page.url:
        answer_every_question(page)
        for qid, option in choices.items():
            control = page.locator(f"[id='q-{qid}-{option}']")
            if control.count():
                page.locator(f"label[for='q-{qid}-{option}']").click()
        button = page.get_by_role("button", name=re.compile("Send my answers|Next step"))
        with page.expect_navigation():
            button.click()
        assert not page.locator(".error-summary").count(), page.locator(".error-summary").inner_text()
    assert page.url.endswith("/done")
    expect(page.locator("h1")).to_have_text("Thank you, your answers are in")
    context.close()


def test_collaboration_with_three_partners_in_the_browser(browser, live_server):
    require(AXE.exists(), f"axe-core is missing at {AXE} (scripts/setup-browser)")
    context = browser.new_context(locale="en-GB", bypass_csp=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(live_server + "/language/en")
    page.get_by_role("link", name="Start a collaboration with several partners").click()
    check_accessibility(page, "new collaboration page")
    page.get_by_label("Name of the collaboration").fill("Wijkaanpak Noord")
    with page.expect_navigation():
        page.get_by_role("button", name="Create and get the invitation link").click()
    expect(page.locator("#collaboration-title")).to_have_text("Wijkaanpak Noord")
    copy = page.locator("[data-copy='invitation-link']")
    expect(copy).to_be_visible()                       # our script file ran under the page's CSP
    invitation = page.locator("#invitation-link").input_value()
    assert "/join/" in invitation

    for number, (label, choices) in enumerate(PARTNERS.items()):
        answer_as(browser, invitation, label, choices, errors, check=number == 0)

    page.reload()
    assert "3 partners have answered" in page.locator(".advice-head").inner_text()
    table = page.get_by_role("table", name=re.compile("Per question the answer of every partner"))
    for label in PARTNERS:
        expect(table.get_by_role("columnheader", name=label)).to_be_visible()
    assert page.locator("tr.divergent").count() >= 3
    expect(page.get_by_role("heading", name="Partners rate trust differently")).to_be_visible()
    expect(page.get_by_role("heading", name="Advice for the answers combined")).to_be_visible()
    expect(page.get_by_role("heading", name="What would change the advice")).to_be_visible()
    expect(page.locator("svg.timeline circle")).to_have_count(1)
    check_accessibility(page, "collaboration page")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "collaboration-en.png"), full_page=True)
    assert not errors
    context.close()


def test_collaboration_pages_work_under_the_content_security_policy(browser, live_server):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(live_server + "/c/new")
    page.locator("#collaboration-name").fill("Wijk Zuid")
    with page.expect_navigation():
        page.locator("button[type=submit]").click()
    expect(page.locator("[data-copy='invitation-link']")).to_be_visible()
    assert not violations, violations
    context.close()
