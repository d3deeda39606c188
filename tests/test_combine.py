"""advisor.combine: contested answers lean toward caution, as the collaboration rules list it."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.collabrules import load_collaboration_rules
from advisor.combine import combine
from advisor.extension import get_advisor
from advisor.rulepack import PackError
from tests.conftest import ROOT

FINDINGS = ROOT / "rules" / "collaboration" / "findings.toml"
COMMON = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
          "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
SPLIT = [("Gemeente", {**COMMON, "trust": "high", "partner_benefit": "all", "meeting_load": "little"}),
         ("Wijkteam", {**COMMON, "trust": "low", "partner_benefit": "unclear", "meeting_load": "most"}),
         ("School", {**COMMON, "trust": "moderate", "meeting_load": "little"})]


@pytest.fixture
def engine(app):
    with app.app_context():
        yield get_advisor().engine


def test_contested_answers_take_the_most_cautious_one(engine):
    caution = load_collaboration_rules(FINDINGS).caution
    combined = combine(engine, SPLIT, "en", caution=caution)
    assert combined.answers["trust"] == "low"               # the lower trust
    assert combined.answers["partner_benefit"] == "unclear"  # the weaker benefit, 1–1
    assert combined.answers["meeting_load"] == "most"       # the heavier meeting load, against a 2–1 majority
    assert combined.answers["horizon"] == "years"           # not listed: agreed, as it was
    contested = combined.contested
    assert set(contested) == {"trust", "partner_benefit", "meeting_load"}
    assert all(q.cautious and not q.tie for q in contested.values())
    assert [side.respondent for side in contested["trust"].answers] == ["Gemeente", "Wijkteam", "School"]


def test_without_caution_a_majority_and_the_lightest_tie_break_decide(engine):
    combined = combine(engine, SPLIT, "en")
    assert combined.answers["meeting_load"] == "little" and "trust" in combined.ties
    assert not any(q.cautious for q in combined.questions)


def test_caution_file_problems_are_named(tmp_path: Path):
    good = FINDINGS.read_text(encoding="utf-8")
    broken = tmp_path / "findings.toml"
    broken.write_text(good + '\n[[caution]]\nquestion = "trust"\noptions = ["low", "high"]\nsource = "001"\n',
                      encoding="utf-8")
    with pytest.raises(PackError, match="caution 'trust'.*a second caution order"):
        load_collaboration_rules(broken)
    broken.write_text(good + '\n[[caution]]\nquestion = "turnover"\noptions = ["high", "high"]\nsource = "004"\n',
                      encoding="utf-8")
    with pytest.raises(PackError, match="lists an option twice"):
        load_collaboration_rules(broken)
