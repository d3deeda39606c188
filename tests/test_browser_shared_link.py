"""Headless Chromium (as in tests/test_browser.py): two colleagues in two browser contexts on one
shared link. A change of one answer by each never overwrites the other's; when both change the
same answer, the second sees both values, chooses, and that choice is what is stored."""

from __future__ import annotations

import pytest
import requests

from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS, AXE, answer_every_question, browser, check_accessibility, expect, live_server,
)
from tests.conftest import require
from tests.web_support import has_real_rules

pytestmark = pytest.mark.browser


def choose(page, qid: str, option: str) -> None:
    page.locator(f"label[for='q-{qid}-{option}']").click()


def next_step(page) -> None:
    with page.expect_navigation():
        page.locator("button[name='nav'][value='next']").click()


def stored_answers(live_server: str, link: str) -> dict:
    assessment_id = link.rsplit("/a/", 1)[1]
    return requests.get(f"{live_server}/api/v1/assessments/{assessment_id}", timeout=10).json()["answers"]


def test_two_colleagues_on_one_link_never_overwrite_each_other(browser, live_server):
    require(AXE.exists(), f"axe-core is missing at {AXE} (scripts/setup-browser)")
    require(has_real_rules(), "needs the built-in rules (scope and horizon on step 1)")
    errors: list[str] = []
    owner_context = browser.new_context(locale="nl-NL", bypass_csp=True)
    colleague_context = browser.new_context(locale="nl-NL", bypass_csp=True)
    owner, colleague = owner_context.new_page(), colleague_context.new_page()
    for page in (owner, colleague):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The owner answers step 1 (the first option of each question) and shares the link.
    owner.goto(live_server + "/steps/1")
    answer_every_question(owner)
    next_step(owner)
    link = owner.locator("#saved-link").input_value()
    assert stored_answers(live_server, link)["scope"] == "individual_cases"

    # Both open step 1 of the shared link.
    colleague.goto(link)
    colleague.goto(live_server + "/steps/1")
    owner.goto(live_server + "/steps/1")
    expect(colleague.locator("#q-scope-individual_cases")).to_be_checked()

    # The owner changes the scope and saves; the colleague, whose page still shows the old scope,
    # changes the horizon and the scope too, to something else.
    choose(owner, "scope", "ongoing_task")
    next_step(owner)
    choose(colleague, "horizon", "permanent")
    choose(colleague, "scope", "core_task")
    next_step(colleague)

    conflict = colleague.locator(".conflict-summary")
    expect(conflict).to_be_visible()
    expect(conflict.locator("[data-question='scope'] .theirs")).to_have_text("Een taak die blijft, voor een groep inwoners")
    expect(conflict.locator("[data-question='scope'] .mine")).not_to_have_text("Een taak die blijft, voor een groep inwoners")
    expect(colleague.locator("#q-scope-core_task")).to_be_checked()   # their own choice, kept in the form
    check_accessibility(colleague, "step with a conflict")
    ARTIFACTS.mkdir(exist_ok=True)
    colleague.screenshot(path=str(ARTIFACTS / "shared-link-conflict.png"), full_page=True)
    assert stored_answers(live_server, link)["scope"] == "ongoing_task"   # nothing overwritten

    # The colleague takes the owner's scope; their own horizon change is stored with it.
    choose(colleague, "scope", "ongoing_task")
    next_step(colleague)
    assert "/steps/2" in colleague.url
    answers = stored_answers(live_server, link)
    assert (answers["scope"], answers["horizon"]) == ("ongoing_task", "permanent")

    # The owner's next page shows the colleague's horizon.
    owner.goto(live_server + "/steps/1")
    expect(owner.locator("#q-horizon-permanent")).to_be_checked()
    assert errors == []
    owner_context.close()
    colleague_context.close()
