"""The manager's pages as a new user meets them (issue 16), in headless Chromium (as in
tests/test_browser.py): one test per problem found, each with axe-core finding no violation of
any impact on the pages it visits. Screenshots of the advice page at 1280 and 390 px, in Dutch
and English, go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
import requests

from advisor.cases import load_cases
from tests.conftest import ROOT, require
from tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS, AXE, answer_every_question, browser, expect, live_server, pdf_pages,
)
from tests.web_support import has_real_rules

pytestmark = pytest.mark.browser

COMMON = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
          "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
# The walk-through of the issue: trust "high / low / moderate", partner benefit 1–1.
PARTNERS = {
    "Gemeente": {**COMMON, "trust": "high", "goal_consensus": "high", "partner_benefit": "all"},
    "Wijkteam": {**COMMON, "horizon": "permanent", "trust": "low", "goal_consensus": "partial",
                 "partner_benefit": "unclear", "partners": 7},
    "School": {**COMMON, "trust": "moderate", "goal_consensus": "high", "partners": 5},
}
# The worked case whose scores are program 11, project 10: the lighter project is advised.
NEAR_TIE = next(dict(case.answers) for path in sorted((ROOT / "tests" / "cases").glob("*.toml"))
                for case in load_cases(path) if case.id == "near-tie-grant-funded-ongoing-task")
LONG_NAME = ("Samenwerkingsverbandjeugdzorgenonderwijsinderegiowestbrabantnoordoost" * 3)[:190]


@pytest.fixture(autouse=True)
def _real_rules_and_axe():
    require(has_real_rules(), "the page tests read the built-in rule packs in rules/")
    require(AXE.exists(), f"axe-core is missing at {AXE} (scripts/setup-browser)")


def no_axe_violations(page, name: str) -> None:
    """axe-core finds no WCAG 2.1 A/AA or best-practice violation of any impact."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']})"
    )
    assert not result["violations"], f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    )


def new_page(browser, lang: str = "en", width: int = 1280, **options):
    context = browser.new_context(locale="en-GB" if lang == "en" else "nl-NL", bypass_csp=True,
                                  viewport={"width": width, "height": 900}, **options)
    return context, context.new_page()


def assessment(live_server: str, answers: dict, lang: str = "en", label: str | None = None) -> str:
    """A stored assessment (through the API); returns its private link."""
    body = {"answers": answers, "lang": lang, **({"label": label} if label else {})}
    created = requests.post(f"{live_server}/api/v1/assessments", json=body, timeout=10)
    assert created.status_code == 201, created.text
    return f"{live_server}/a/{created.json()['id']}"


def collaboration(live_server: str, name: str = "Wijkaanpak Noord", partners: dict | None = None) -> dict:
    """A collaboration with the partners' answers (through the API)."""
    created = requests.post(f"{live_server}/api/v1/collaborations", json={"name": name, "lang": "en"}, timeout=10)
    assert created.status_code == 201, created.text
    body = created.json()
    for label, answers in (PARTNERS if partners is None else partners).items():
        response = requests.post(f"{live_server}/api/v1/invitations/{body['invitation']['token']}/responses",
                                 json={"label": label, "answers": answers}, timeout=10)
        assert response.status_code == 201, response.text
    return body


def walk_to_advice(page, live_server: str) -> None:
    """Answer every step by clicking, as in tests/test_browser.py, until the advice."""
    page.goto(live_server + "/steps/1")
    while "/steps/" in page.url:
        answer_every_question(page)
        with page.expect_navigation():
            page.locator("button[name=nav][value=next]").click()
    assert page.url.endswith("/advice")


def join_as(page, invitation: str, label: str) -> None:
    """A partner names itself on the invitation page and lands on step 1."""
    page.goto(invitation)
    page.get_by_label("Your organisation or role").fill(label)
    with page.expect_navigation():
        page.get_by_role("button", name="Start the questions").click()
    assert page.url.endswith("/steps/1")


def finish_partner(page) -> None:
    while "/steps/" in page.url:
        answer_every_question(page)
        with page.expect_navigation():
            page.locator("button[name=nav][value=next]").click()
    assert page.url.endswith("/done")


# 1 ---------------------------------------------------------------------------------------------

def test_combined_advice_shows_disagreement_and_leans_toward_caution(browser, live_server):
    body = collaboration(live_server)
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    page.goto(f"{body['page_url']}/advice")
    contested = page.locator("section.contested")
    expect(contested).to_be_visible()
    trust = contested.locator("li", has_text="trust each other")
    expect(trust).to_contain_text("3 partners: Gemeente: A lot, Wijkteam: Little, School: Moderately")
    expect(trust).to_contain_text("Little")                                  # the lower trust counts
    expect(trust).to_contain_text("the most cautious answer")
    benefit = contested.locator("li", has_text="gain")
    expect(benefit).to_contain_text("2 partners: Gemeente:")
    # The weaker partner benefit is carried into the rules: the risk fires, marked as contested.
    risk = page.locator("article.risk", has=page.locator("h3", has_text="Only the higher goal as glue"))
    expect(risk.locator(".tag.differs")).to_be_visible()
    expect(risk.locator(".spread")).to_contain_text("2 partners:")
    assert "no particular risks" not in page.locator("main").inner_text()
    no_axe_violations(page, "combined advice")
    # The printout marks the contested answers too.
    page.emulate_media(media="print")
    expect(contested).to_be_visible()
    expect(page.locator(".answers-summary .spread").first).to_be_visible()
    # The coordinator's page says how the answers were combined.
    page.emulate_media(media="screen")
    page.goto(body["page_url"])
    expect(page.locator("table.divergence tr", has_text="trust each other")).to_contain_text("most cautious")
    context.close()


# 2 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "nl"])
def test_near_tie_headline_chart_and_margin_line_agree(browser, live_server, lang):
    context, page = new_page(browser, lang)
    page.goto(f"{live_server}/language/{lang}")
    page.goto(assessment(live_server, NEAR_TIE, lang))
    advised = page.locator("#advice-title").inner_text()
    rows = page.locator(".rank-row")
    # The longest bar is the highest score, and the chart says so; the advised row is the headline's.
    expect(rows.first.locator(".tag.highest")).to_be_visible()
    highest = rows.first.locator(".rank-form").inner_text()
    assert highest != advised
    expect(page.locator(".rank-row.recommended .rank-form")).to_have_text(advised)
    margin = page.locator(".margin-line").inner_text()
    words = {"en": ("scored highest", "lighter form"), "nl": ("scoorde het hoogst", "lichtere vorm")}[lang]
    assert highest in margin and words[0] in margin and words[1] in margin and advised in margin, margin
    assert not re.search(r"ahead|voorsprong", margin), margin
    chart_text = page.locator("section[aria-labelledby=ranking-title] > p").inner_text()
    assert highest in chart_text and advised in chart_text, chart_text
    no_axe_violations(page, "near-tie advice")
    context.close()


# 3 ---------------------------------------------------------------------------------------------

def _fits(page, name: str, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: the page is {scroll} px wide at a {width} px screen"


def test_no_page_scrolls_sideways_at_320_px(browser, live_server):
    """WCAG 1.4.10 Reflow: every page at 320 px, with a long name without spaces."""
    body = collaboration(live_server, name=LONG_NAME, partners={
        LONG_NAME[:150]: PARTNERS["Gemeente"], "Wijkteam": PARTNERS["Wijkteam"]})
    requests.post(f"{live_server}/api/v1/collaborations/{body['id']}/rounds", json={"note": LONG_NAME[:150]},
                  timeout=10)
    requests.post(f"{live_server}/api/v1/invitations/{body['invitation']['token']}/responses",
                  json={"label": "School", "answers": PARTNERS["School"]}, timeout=10)
    context, page = new_page(browser, "nl", width=320)
    visited = []

    def check(name: str) -> None:
        _fits(page, name, 320)
        no_axe_violations(page, name)
        visited.append(name)

    page.goto(live_server + "/")
    check("start")
    page.goto(live_server + "/steps/1")
    check("step 1")
    with page.expect_navigation():
        page.locator("button[name=nav][value=next]").click()
    check("step 1 with errors")
    walk_to_advice(page, live_server)
    check("advice")
    expect(page.locator("#advice-title")).to_be_visible()
    title = page.locator("#advice-title")
    assert title.evaluate("e => e.scrollWidth <= e.clientWidth"), "the advised form's name is cut off"
    page.goto(live_server + "/erase")
    check("confirm erase")
    page.goto(live_server + "/a/abcdefghijklmnopqrstuvwxyz")
    check("gone link")
    page.goto(live_server + "/no-such-page")
    check("not found")
    page.goto(live_server + "/c/new")
    check("new collaboration")
    page.goto(body["page_url"])
    check("collaboration")
    delete = page.locator("table.respondents a.danger").first
    assert delete.evaluate("e => e.getBoundingClientRect().right <= window.innerWidth"), "delete button off screen"
    respondent_advice = page.locator("table.respondents td a").first.get_attribute("href")
    page.goto(live_server + respondent_advice)
    check("a partner's advice")
    page.goto(body["page_url"] + "/advice")
    check("combined advice")
    page.goto(body["page_url"] + "/rounds/1")
    check("closed round")
    page.goto(body["page_url"] + "/rounds")
    check("confirm close round")
    page.goto(body["page_url"] + "/erase")
    check("confirm delete collaboration")
    invitation = body["invitation"]["url"].replace("http://localhost", live_server)
    page.goto(invitation)
    check("invitation")
    page.get_by_label("Je organisatie of rol").fill(LONG_NAME[:150] + "x")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    check("a partner's step")
    finish_partner(page)
    check("thank you")
    page.goto(page.url.replace("/done", "/erase"))
    check("confirm a partner's erase")
    assert len(visited) == 18
    context.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_advice_page_screenshots(browser, live_server, lang, width):
    context, page = new_page(browser, lang, width=width)
    page.goto(f"{live_server}/language/{lang}")
    page.goto(assessment(live_server, NEAR_TIE, lang, label="Wijkaanpak Noord"))
    _fits(page, f"advice at {width}", width)
    title = page.locator("#advice-title")
    assert title.evaluate("e => e.scrollWidth <= e.clientWidth"), "the advised form's name is cut off"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"advice-{lang}-{width}.png"), full_page=True)
    context.close()


# 4 ---------------------------------------------------------------------------------------------

def test_irreversible_actions_ask_first_without_javascript(browser, live_server):
    """Without JavaScript (so without axe here: the 320 px test checks these pages with it)."""
    context, page = new_page(browser, java_script_enabled=False)
    page.goto(f"{live_server}/language/en")
    page.goto(assessment(live_server, NEAR_TIE))
    with page.expect_navigation():
        page.get_by_role("link", name="Delete my answers").click()
    expect(page.locator("h1")).to_have_text("Delete your answers?")
    expect(page.locator(".gone-list")).to_contain_text("your 23 answers")
    with page.expect_navigation():
        page.get_by_role("link", name="No, go back").click()
    assert page.url.endswith("/advice")                        # nothing happened
    with page.expect_navigation():
        page.get_by_role("link", name="Delete my answers").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, delete my answers").click()
    expect(page.locator(".flash")).to_contain_text("Your answers have been deleted")

    body = collaboration(live_server)
    page.goto(body["page_url"])
    with page.expect_navigation():
        page.get_by_role("link", name="Delete the answers of School").click()
    expect(page.locator("h1")).to_have_text("Delete the answers of School?")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, delete the answers of School").click()
    expect(page.locator("table.respondents")).not_to_contain_text("School")

    page.get_by_label("Note for this round (optional)").fill("Evaluatie 2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Close this round").click()
    expect(page.locator("h1")).to_have_text("Close round 1?")
    expect(page.locator(".kept-list")).to_contain_text("stay visible in the history")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, close round 1").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Answers and findings of round 1").click()
    expect(page.locator("h1")).to_contain_text("Round 1 (Evaluatie 2026)")
    expect(page.locator("table.divergence")).to_contain_text("Wijkteam")
    expect(page.get_by_role("heading", name="Partners rate trust differently")).to_be_visible()

    page.goto(body["page_url"])
    with page.expect_navigation():
        page.get_by_role("link", name="Delete the collaboration and all answers").click()
    expect(page.locator(".gone-list")).to_contain_text("the answers of 2 partners, in every round")
    expect(page.locator(".gone-list")).to_contain_text("1 closed round")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, delete everything").click()
    expect(page.locator(".flash")).to_contain_text("The collaboration and all answers have been deleted")
    context.close()


# 5 ---------------------------------------------------------------------------------------------

def test_partners_get_back_to_their_answers_with_a_private_link(browser, live_server):
    body = collaboration(live_server, partners={})
    invitation = body["invitation"]["url"].replace("http://localhost", live_server)
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    join_as(page, invitation, "Gemeente")
    finish_partner(page)
    link = page.locator("#resume-link").input_value()
    assert "/r/" in link
    no_axe_violations(page, "thank you with a private link")
    context.close()                                            # the browser, and its cookie, are gone

    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    join_as_again = page.goto(invitation)
    assert join_as_again.ok
    page.get_by_label("Your organisation or role").fill("Gemeente")
    with page.expect_navigation():
        page.get_by_role("button", name="Start the questions").click()
    expect(page.locator(".error-message")).to_contain_text("private link")   # says how to get back
    page.goto(link)
    assert page.url.endswith("/done")
    with page.expect_navigation():
        page.get_by_role("link", name="Change your answers").click()
    page.locator("label[for='q-scope-core_task']").click()
    with page.expect_navigation():
        page.locator("button[name=nav][value=next]").click()
    stored = requests.get(body["url"], timeout=10).json()
    assert stored["respondents"][0]["answers"]["scope"] == "core_task"

    requests.post(f"{body['url']}/rounds", json={}, timeout=10)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("This round is closed")
    no_axe_violations(page, "a closed round's resume link")

    # An expired form says what was lost and what was not, without promising more.
    page.goto(live_server + "/r/short")
    expect(page.locator("h1")).to_have_text("This link does not exist")
    join_as(page, invitation, "Wijkteam")
    context.clear_cookies()
    page.locator("label[for='q-scope-core_task']").click()
    page.locator("button[name=nav][value=next]").click()
    expect(page.locator("h1")).to_have_text("This form has expired")
    text = page.locator("main").inner_text()
    assert "was not saved" in text and "is kept" not in text
    context.close()


# 6 ---------------------------------------------------------------------------------------------

def test_switching_language_on_a_partners_step_keeps_its_answers(browser, live_server):
    body = collaboration(live_server, partners={})
    invitation = body["invitation"]["url"].replace("http://localhost", live_server)
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    join_as(page, invitation, "Gemeente")
    page.locator("label[for='q-scope-defined_result']").click()
    with page.expect_navigation():
        page.locator("[data-switch-language='nl']").click()
    assert page.locator("html").get_attribute("lang") == "nl"
    expect(page.locator("#q-scope-defined_result")).to_be_checked()
    no_axe_violations(page, "a partner's step after switching language")
    context.close()


# 7 ---------------------------------------------------------------------------------------------

def test_progress_links_and_change_links_go_straight_to_a_question(browser, live_server):
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    walk_to_advice(page, live_server)
    # From a risk's answer straight to the step of its question, and back to the advice.
    risk = page.locator("article.risk").first
    change = risk.locator("a.change-link").first
    href = change.get_attribute("href")
    question = href.rsplit("#question-", 1)[1]
    with page.expect_navigation():
        change.click()
    assert re.search(r"/steps/\d+\?from=advice#question-", page.url), page.url
    expect(page.locator(f"#question-{question}")).to_be_in_viewport()
    no_axe_violations(page, "a step from the advice")
    other = page.locator(f"#question-{question} input[type=radio]:not(:checked):not([value=''])").first
    label = page.locator(f"label[for='{other.get_attribute('id')}']")
    chosen = label.inner_text()
    label.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and back to the advice").click()
    assert page.url.endswith("/advice")
    expect(page.locator(f"#answer-{question} dd")).to_contain_text(chosen)
    # The progress steps are links; what was entered on a step is kept when leaving by them.
    page.goto(live_server + "/steps/2")
    radio = page.locator(".question input[type=radio]:not(:checked):not([value=''])").first
    radio_id = radio.get_attribute("id")
    page.locator(f"label[for='{radio_id}']").click()
    with page.expect_navigation():
        page.locator(".progress-steps a.progress-link").first.click()
    assert page.url.endswith("/steps/1")
    with page.expect_navigation():
        page.locator(".progress-steps a.progress-link", has_text=page.locator(".progress-steps li").nth(1)
                     .inner_text().strip()).click()
    assert page.url.endswith("/steps/2")
    expect(page.locator(f"[id='{radio_id}']")).to_be_checked()
    no_axe_violations(page, "a step with progress links")
    context.close()


# 8 ---------------------------------------------------------------------------------------------

def test_after_erasing_and_for_dead_links_the_page_says_what_happened(browser, live_server):
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    walk_to_advice(page, live_server)
    with page.expect_navigation():
        page.get_by_text("Delete my answers", exact=True).click()
    confirm = page.get_by_role("button", name="Yes, delete my answers")
    if confirm.count():
        with page.expect_navigation():
            confirm.click()
    page.go_back()                                      # Back: the confirmation, then the advice
    if "/erase" in page.url:
        page.go_back()
    assert "problem" not in page.locator("main").inner_text(), page.locator("main").inner_text()[:300]
    expect(page.locator("h1")).to_have_text("You deleted these answers")
    no_axe_violations(page, "after erasing")

    response = page.goto(f"{live_server}/a/abcdefghijklmnopqrstuvwxyz")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("These answers are no longer here")
    expect(page.locator("main")).to_contain_text("days after the last change")
    no_axe_violations(page, "an erased or expired link")
    page.goto(f"{live_server}/a/short")
    expect(page.locator("h1")).to_have_text("This link does not exist")
    expect(page.locator("main")).to_contain_text("copied the whole link")

    body = collaboration(live_server, partners={})
    requests.delete(body["url"], timeout=10)
    page.goto(body["page_url"])
    expect(page.locator("h1")).to_have_text("This collaboration is no longer here")
    page.goto(body["invitation"]["url"].replace("http://localhost", live_server))
    expect(page.locator("main")).to_contain_text("Ask the coordinator")
    context.close()


# 9 ---------------------------------------------------------------------------------------------

def test_what_would_change_the_advice_is_short_grouped_and_in_a_managers_hands(browser, live_server):
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    page.goto(assessment(live_server, NEAR_TIE))
    groups = page.locator(".alternative-group")
    assert groups.count() >= 1
    forms = []
    for index in range(groups.count()):
        group = groups.nth(index)
        forms.append(group.locator("h3").inner_text())
        items = group.locator("li.alternative")
        assert 1 <= items.count() <= 3
        texts = [items.nth(i).inner_text() for i in range(items.count())]
        sentences = [t.split(" (This describes")[0] for t in texts]
        assert all(s.startswith("If ") and s.endswith(".") and ". " not in s for s in sentences), texts
        facts = [("describes your situation" in t) for t in texts]
        assert facts == sorted(facts), f"a fact of the situation came before a choice: {texts}"
    assert len(forms) == len(set(forms)), forms                  # one group per form
    first = groups.first.locator("li.alternative").first.inner_text()
    assert "How many organisations" not in first, first
    no_axe_violations(page, "what would change the advice")
    context.close()


# 10 --------------------------------------------------------------------------------------------

def test_printout_has_date_name_and_answers_on_two_pages(browser, live_server):
    context, page = new_page(browser)
    page.goto(f"{live_server}/language/en")
    page.goto(assessment(live_server, NEAR_TIE, label="Wijkaanpak Noord"))
    page.emulate_media(media="print")
    meta = page.locator(".report-meta")
    expect(meta).to_be_visible()
    expect(meta).to_contain_text("Wijkaanpak Noord")
    assert re.search(r"Advice of \w+ \d+, 20\d\d", meta.inner_text()), meta.inner_text()
    summary = page.locator(".answers-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("How many organisations take part")
    expect(summary).to_contain_text("10")
    pdf = page.pdf(format="A4")
    assert pdf_pages(pdf) <= 2
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "advice-near-tie-en.pdf").write_bytes(pdf)

    body = collaboration(live_server)
    page.emulate_media(media="screen")
    page.goto(body["page_url"] + "/advice")
    page.emulate_media(media="print")
    expect(page.locator(".report-meta")).to_contain_text("Wijkaanpak Noord")
    expect(page.locator(".answers-summary")).to_contain_text("3 partners:")
    context.close()


# 11 --------------------------------------------------------------------------------------------

def test_wording_reads_as_text_not_as_an_engine_dump(browser, live_server):
    context, page = new_page(browser, "nl")
    page.goto(f"{live_server}/language/nl")
    page.goto(live_server + "/")
    expect(page.locator("#how-long + p")).to_contain_text(re.compile(r"Maar 6 van de \d+ vragen zijn verplicht"))
    page.goto(assessment(live_server, NEAR_TIE, "nl"))
    text = page.locator("main").inner_text()
    assert not re.search(r"\b1 punten\b", text) and "1 punt" in page.content()
    assert not re.search(r"\d+%\s*\(", text), "the chart still shows points next to the share"
    sources = page.locator(".risk .source").all_inner_texts()
    assert sources and not any(re.search(r"Bron: \d{3}", s) for s in sources), sources
    auditors = page.locator("details.auditors")
    expect(auditors.locator("summary")).to_have_text("Voor controleurs: de regelset achter dit advies")
    expect(auditors.locator("code.fingerprint")).not_to_be_visible()
    auditors.locator("summary").click()
    expect(auditors.locator("code.fingerprint")).to_be_visible()
    no_axe_violations(page, "advice wording")
    context.close()
