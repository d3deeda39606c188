"""Which questions are facts of the situation is the rule packs' to say (``situation = true`` on
a question), not the web layer's: what would change the advice tries the other answers first and
marks these, for the core pack's questions and for a plugin pack's own questions alike."""

from __future__ import annotations

import html as htmllib
import re

from tests.conftest import MINI_PACKS, ROOT
from tests.test_browser_pages import NEAR_TIE
from tests.test_web_advice import text_of
from tests.web_support import fill_all_steps

FACT_NOTE = "(This describes your situation more than a choice you make.)"
# The questions the advice page used to list itself (advisor/web/advice_page.py, SITUATION_FACTS).
CORE_FACTS = {"scope", "horizon", "change_type", "domains", "partners", "current_form", "age_years",
              "turnover", "key_people", "funding_risk", "trust", "goal_consensus"}
DEMO_PLUGINS = ROOT / "tests" / "packs" / "situation"


def alternatives_on_the_page(client) -> list[str]:
    """Every "If ..." sentence of what would change the advice, as a person reads it, in page order."""
    page = client.get("/advice").get_data(as_text=True)
    return [text_of(item).strip() for item in re.findall(r'<li class="alternative[^"]*">(.*?)</li>', page, re.S)]


def test_a_plugin_pack_marks_its_own_question_as_a_fact_of_the_situation(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(DEMO_PLUGINS))
    client = app.test_client()
    client.get("/language/en")
    fill_all_steps(client, "en")          # the first option everywhere: informal, program close behind
    items = alternatives_on_the_page(client)
    rooted = [item for item in items if "Is the work bound by an act" in item]
    chosen = [item for item in items if "Do you agree on a fixed way of meeting" in item]
    assert rooted and chosen, items
    assert all(item.endswith(FACT_NOTE) for item in rooted), rooted
    assert not any(FACT_NOTE in item for item in chosen), chosen
    assert items.index(chosen[0]) < items.index(rooted[0]), "a fact of the situation came before a choice"


def test_the_core_pack_marks_the_same_questions_the_page_used_to(app):
    client = app.test_client()
    client.get("/language/en")
    questionnaire = client.get("/api/v1/questionnaire?lang=en").get_json()
    texts = {q["id"]: htmllib.unescape(q["text"]).rstrip("?:. ")
             for step in questionnaire["steps"] for q in step["questions"]}
    created = client.post("/api/v1/assessments", json={"answers": NEAR_TIE, "lang": "en"}).get_json()
    client.get(f"/a/{created['id']}")
    items = alternatives_on_the_page(client)
    assert items
    for item in items:
        asked = {qid for qid, text in texts.items() if f"“{text}”" in item}
        assert asked, item
        assert item.endswith(FACT_NOTE) == bool(asked & CORE_FACTS), item
