"""advisor.storage.collaborations in one session (as a command or a worker would use it), and the
findings file's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.collabrules import load_collaboration_rules
from advisor.rulepack import PackError
from advisor.storage import collaborations as store
from tests.conftest import ROOT
from tests.test_collaborations_api import GEMEENTE


@pytest.fixture
def app(make_store_app):
    return make_store_app(RULES_DIR=str(ROOT / "rules"))


def test_rounds_in_one_session_see_their_own_responses(app):
    with app.app_context():
        collaboration = store.create_collaboration("Wijk")
        store.add_response(collaboration, {**GEMEENTE, "current_form": "informal"}, label="A")
        store.close_round(collaboration.id, note="2025")
        store.add_response(collaboration, {**GEMEENTE, "current_form": "project"}, label="A")
        assert [r.label for r in store.current_respondents(collaboration)] == ["A"]
        store.close_round(collaboration.id)
        entries, drift = store.history(collaboration)
        assert [(e.round, e.note, e.current_form) for e in entries] == [
            (1, "2025", "informal"), (2, None, "project"), (3, None, None)]
        assert [(w.from_round, w.to_round) for w in drift] == [(1, 2)]
        respondent = store.add_response(collaboration, GEMEENTE, label="B")
        store.delete_response(collaboration, respondent.id)
        assert store.current_respondents(collaboration) == []


def test_purge_erases_collaborations_with_their_responses(app):
    from datetime import timedelta

    from sqlalchemy import func, select

    from advisor.storage.db import get_session
    from advisor.storage.models import CollaborationRound, Respondent, utcnow

    with app.app_context():
        collaboration = store.create_collaboration("Oud")
        store.add_response(collaboration, GEMEENTE, label="A")
        assert store.purge_expired_collaborations(30) == 0
        store.close_round(collaboration.id)
        assert store.purge_expired_collaborations(30, now=utcnow() + timedelta(days=31)) == 1
        with pytest.raises(store.CollaborationNotFound):
            store.get_collaboration(collaboration.id)
        session = get_session()
        for table in (Respondent, CollaborationRound):  # gone with it, not left behind
            assert session.scalar(select(func.count()).select_from(table)) == 0, table.__name__


def test_findings_file_problems_name_the_file_and_field(tmp_path: Path):
    good = (ROOT / "rules" / "collaboration" / "findings.toml").read_text(encoding="utf-8")
    assert set(load_collaboration_rules(ROOT / "rules" / "collaboration" / "findings.toml").divergence) == {
        "partner_benefit", "goal_consensus", "trust"}
    broken = tmp_path / "findings.toml"
    broken.write_text(good.replace('severity = "warning"', 'severity = "loud"', 1), encoding="utf-8")
    with pytest.raises(PackError, match="divergence 'divergent_partner_benefit': severity"):
        load_collaboration_rules(broken)
    broken.write_text(good.replace("partner_bands = [1, 2, 6, 16, 51]", "partner_bands = [6, 2]"), encoding="utf-8")
    with pytest.raises(PackError, match="partner_bands: must be increasing"):
        load_collaboration_rules(broken)
