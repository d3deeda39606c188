"""What the API and the pages do with collaborations: plain functions, no HTTP.

A coordinator creates a collaboration and shares its invitation token; each partner adds its
answers under its own label (role or organisation) to the open round. Answers are checked by
the engine as for assessments: unfinished answers are a draft, and only complete responses
count in the overview. Closing a round stores what the combined answers advised then, so the
history shows the form over time and :func:`advisor.combine.drift` can warn when it hardens.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import combine
from ..collabrules import CollaborationRules, load_collaboration_rules
from ..engine import AnswersError, Engine
from ..model import Advice
from . import concurrency, expiry, idempotency
from .db import get_session
from .models import Collaboration, CollaborationRound, Respondent, new_id, utcnow
from .service import ID_PATTERN, UNSET, LabelError, _engine, check_label

__all__ = [
    "CollaborationNotFound", "RespondentNotFound", "LabelTaken", "NothingToClose", "Overview", "HistoryEntry",
    "create_collaboration", "get_collaboration", "by_invitation", "update_collaboration", "delete_collaboration",
    "add_response", "get_response", "update_response", "delete_response", "close_round", "overview", "history",
    "collaboration_rules", "purge_expired_collaborations", "RoundClosed",
]


class CollaborationNotFound(LookupError):
    """No collaboration with this id or invitation token: never made, erased, or purged."""


class RespondentNotFound(LookupError):
    """No response with this id in this collaboration."""


class LabelTaken(ValueError):
    """Another response in the open round already has this label."""


class NothingToClose(ValueError):
    """The open round has no complete response, so there is nothing to keep."""


class RoundClosed(ValueError):
    """The response belongs to a round that was closed: what was kept stays as it was."""


def collaboration_rules() -> CollaborationRules:
    """The findings' texts (``COLLABORATION_RULES``, by default ``rules/collaboration/findings.toml``),
    loaded once per app."""
    from flask import current_app

    from ..extension import get_advisor

    advisor = get_advisor()
    rules = advisor.cache.get("collaboration_rules")
    if rules is None:
        path = Path(current_app.config["COLLABORATION_RULES"])
        rules = advisor.cache["collaboration_rules"] = load_collaboration_rules(path)
    return rules


def _label(label: Any, *, required: bool) -> str | None:
    if label is None and not required:
        return None
    if not isinstance(label, str) or not label.strip(" "):
        raise LabelError("must not be empty")
    return check_label(label.strip(" "))


def _evaluate(engine: Engine, answers: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    clean = engine.validate_answers(answers, require_complete=False)
    return clean, "draft" if engine.completeness(clean).required_missing else "complete"


def _load(session: Session, collaboration_id: Any, *, for_update: bool = False) -> Collaboration:
    """The collaboration as stored now; an expired one is not found even before the purge."""
    if not isinstance(collaboration_id, str) or not ID_PATTERN.match(collaboration_id):
        raise CollaborationNotFound(collaboration_id)
    return _first(session, Collaboration.id == collaboration_id, collaboration_id, for_update=for_update)


def _first(session: Session, where: Any, key: Any, *, for_update: bool = False) -> Collaboration:
    query = select(Collaboration).where(where, expiry.alive(Collaboration.updated_at, session)) \
        .execution_options(populate_existing=True)
    if for_update:
        query = query.with_for_update()
    collaboration = session.scalars(query).first()
    if collaboration is None:
        raise CollaborationNotFound(key)
    return collaboration


# --- Collaborations --------------------------------------------------------------------------


def create_collaboration(name: str, *, lang: str = "nl", session: Session | None = None,
                         request_key: idempotency.RequestKey | None = None) -> Collaboration:
    """A new collaboration with its first round open; raises LabelError for a name that cannot be
    stored. `request_key`: see :func:`advisor.storage.service.create`."""
    session = session or get_session()
    now = utcnow()
    collaboration = Collaboration(
        id=new_id(), invitation_token=new_id(), name=_label(name, required=True), lang=lang, round=1,
        round_started_at=now, created_at=now, updated_at=now)
    session.add(collaboration)
    idempotency.commit_with_key(session, request_key, "collaboration", collaboration.id)
    return collaboration


def get_collaboration(collaboration_id: str, *, session: Session | None = None) -> Collaboration:
    """The collaboration by its coordinator id; raises CollaborationNotFound."""
    return _load(session or get_session(), collaboration_id)


def by_invitation(token: str, *, session: Session | None = None) -> Collaboration:
    """The collaboration an invitation token opens; raises CollaborationNotFound."""
    session = session or get_session()
    if not isinstance(token, str) or not ID_PATTERN.match(token):
        raise CollaborationNotFound(token)
    return _first(session, Collaboration.invitation_token == token, token)


def update_collaboration(
    collaboration_id: str, *, name: str | None = None, lang: str | None = None, session: Session | None = None,
    expected_version: int | Collection[int] | None = None,
) -> Collaboration:
    """Rename or change the language (compare-and-swap on the version, as every write here)."""
    session = session or get_session()

    def attempt() -> Collaboration:
        collaboration = _load(session, collaboration_id, for_update=True)
        concurrency.expect_version(collaboration.version, expected_version)
        if name is not None:
            collaboration.name = _label(name, required=True)
        if lang is not None:
            collaboration.lang = lang
        collaboration.updated_at = utcnow()
        session.commit()
        return collaboration

    return concurrency.write(session, attempt)


def delete_collaboration(collaboration_id: str, *, session: Session | None = None,
                         expected_version: int | Collection[int] | None = None) -> None:
    """Erase the collaboration with every response and round, for good."""
    session = session or get_session()

    def attempt() -> None:
        collaboration = _load(session, collaboration_id, for_update=True)
        concurrency.expect_version(collaboration.version, expected_version)
        session.delete(collaboration)
        session.commit()

    concurrency.write(session, attempt)


def purge_expired_collaborations(retention_days: int, *, now: datetime | None = None,
                                 session: Session | None = None) -> int:
    """Erase collaborations not changed within `retention_days` (with their responses); 0 keeps all."""
    if retention_days <= 0:
        return 0
    session = session or get_session()
    cutoff = expiry.cutoff(session, retention_days, now)
    # One statement; the database removes their responses and rounds (ON DELETE CASCADE, with
    # foreign keys on for SQLite in db.py). "fetch" drops the erased ones from this session too.
    result = session.execute(
        sql_delete(Collaboration).where(Collaboration.updated_at < cutoff),
        execution_options={"synchronize_session": "fetch"},
    )
    session.commit()
    return int(result.rowcount or 0)


# --- Responses -------------------------------------------------------------------------------


def add_response(
    collaboration: Collaboration, answers: Mapping[str, Any], *, label: str, lang: str = "nl",
    engine: Engine | None = None, session: Session | None = None,
    request_key: idempotency.RequestKey | None = None,
) -> Respondent:
    """A partner's answers, complete or not, in the open round (as it is when the response is
    stored: a round closed meanwhile does not take it).

    Raises AnswersError, LabelError, or LabelTaken when the round already has this label.
    `request_key`: see :func:`advisor.storage.service.create`.
    """
    engine = _engine(engine)
    session = session or get_session()
    clean, status = _evaluate(engine, answers)
    label = _label(label, required=True)
    collaboration_id = collaboration.id

    def attempt() -> Respondent:
        current = _load(session, collaboration_id)
        now = utcnow()
        respondent = Respondent(
            id=new_id(), collaboration_id=current.id, round=current.round, label=label,
            answers=clean, status=status, lang=lang, ruleset_fingerprint=engine.ruleset.fingerprint,
            created_at=now, updated_at=now,
        )
        current.updated_at = now   # a new version of the collaboration, compared and swapped
        current.respondents.append(respondent)   # keeps the loaded collection current
        try:
            idempotency.commit_with_key(session, request_key, "response", respondent.id)
        except IntegrityError:
            raise LabelTaken(label) from None
        return respondent

    return concurrency.write(session, attempt)


def _commit_label(session: Session, label: str | None) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise LabelTaken(label) from None


def get_response(collaboration: Collaboration, respondent_id: str, *, session: Session | None = None) -> Respondent:
    session = session or get_session()
    if not isinstance(respondent_id, str) or not ID_PATTERN.match(respondent_id):
        raise RespondentNotFound(respondent_id)
    respondent = session.scalars(select(Respondent).where(Respondent.id == respondent_id)
                                 .execution_options(populate_existing=True)).first()
    if respondent is None or respondent.collaboration_id != collaboration.id:
        raise RespondentNotFound(respondent_id)
    return respondent


def update_response(
    collaboration: Collaboration, respondent_id: str, *, answers: Mapping[str, Any] | None = None,
    label: Any = UNSET, lang: str | None = None, engine: Engine | None = None, session: Session | None = None,
    expected_version: int | Collection[int] | None = None,
) -> Respondent:
    """Merge answers (None removes one, as JSON Merge Patch), rename, or change the language.

    An atomic read-merge-write (compare-and-swap on the versions of the response and of the
    collaboration, retried). Raises RoundClosed for a response of a closed round, and
    VersionMismatch when `expected_version` (If-Match) is not the response's stored version.
    """
    engine = _engine(engine)
    session = session or get_session()
    collaboration_id = collaboration.id

    def attempt() -> Respondent:
        current = _load(session, collaboration_id, for_update=True)
        respondent = get_response(current, respondent_id, session=session)
        if respondent.round != current.round:
            raise RoundClosed(respondent_id)
        concurrency.expect_version(respondent.version, expected_version)
        if label is not UNSET:
            respondent.label = _label(label, required=True)
        if answers is not None:
            merged = {k: v for k, v in {**respondent.answers, **answers}.items() if v is not None}
            respondent.answers, respondent.status = _evaluate(engine, merged)
            respondent.ruleset_fingerprint = engine.ruleset.fingerprint
        if lang is not None:
            respondent.lang = lang
        respondent.updated_at = current.updated_at = utcnow()
        _commit_label(session, respondent.label)
        return respondent

    return concurrency.write(session, attempt)


def delete_response(collaboration: Collaboration, respondent_id: str, *, session: Session | None = None,
                    expected_version: int | Collection[int] | None = None) -> None:
    """Erase one partner's response for good (also of a closed round: its snapshot keeps only
    the label and the form it advised)."""
    session = session or get_session()
    collaboration_id = collaboration.id

    def attempt() -> None:
        current = _load(session, collaboration_id, for_update=True)
        respondent = get_response(current, respondent_id, session=session)
        concurrency.expect_version(respondent.version, expected_version)
        current.respondents.remove(respondent)   # delete-orphan: erased at commit
        current.updated_at = utcnow()
        session.commit()

    concurrency.write(session, attempt)


# --- The overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """The open round seen together: answers side by side, per respondent and combined advice."""

    collaboration: Collaboration
    respondents: list[Respondent]
    """Every response of the open round, drafts included."""
    advices: list[tuple[Respondent, Advice]]
    """The advice per complete response, on the current rules, in the asked language."""
    combination: combine.Combination | None
    combined_advice: Advice | None
    findings: list[combine.Finding]
    partial_risks: list[combine.PartialRisk]


def current_respondents(collaboration: Collaboration) -> list[Respondent]:
    return [r for r in collaboration.respondents if r.round == collaboration.round]


def respondent_advice(respondent: Respondent, lang: str, *, engine: Engine | None = None) -> Advice | None:
    """A complete response's advice on today's rules; None for a draft, and for stored answers
    the current rules no longer accept (such a response is not counted)."""
    if respondent.status != "complete":
        return None
    engine = _engine(engine)
    try:
        return engine.advise(respondent.answers, lang)
    except AnswersError:
        return None


def overview(collaboration: Collaboration, lang: str, *, engine: Engine | None = None) -> Overview:
    """Combine the complete responses of the open round (see :mod:`advisor.combine`)."""
    engine = _engine(engine)
    respondents = current_respondents(collaboration)
    advices = []
    for respondent in respondents:
        advice = respondent_advice(respondent, lang, engine=engine)
        if advice is not None:
            advices.append((respondent, advice))
    if not advices:
        return Overview(collaboration, respondents, [], None, None, [], [])
    combination = combine.combine(engine, [(r.label, r.answers) for r, _ in advices], lang)
    combined_advice = engine.advise_valid(combination.answers, lang)
    return Overview(
        collaboration, respondents, advices, combination, combined_advice,
        combine.findings(collaboration_rules(), combination, lang),
        combine.partial_risks([(r.label, a) for r, a in advices]),
    )


def close_round(collaboration_id: str, *, note: str | None = None, engine: Engine | None = None,
                session: Session | None = None) -> CollaborationRound:
    """Keep what the open round's combined answers advise, and open the next round (empty).

    Raises NothingToClose when no response of the open round is complete.
    """
    engine = _engine(engine)
    session = session or get_session()
    note = check_label(note.strip(" ") or None) if note else None

    def attempt() -> CollaborationRound:
        collaboration = _load(session, collaboration_id, for_update=True)
        seen = overview(collaboration, collaboration.lang, engine=engine)
        if seen.combined_advice is None or seen.combination is None:
            session.rollback()
            raise NothingToClose(collaboration_id)
        now = utcnow()
        closed = CollaborationRound(
            collaboration_id=collaboration.id, number=collaboration.round,
            started_at=collaboration.round_started_at, closed_at=now, snapshot={**_snapshot(seen, engine), "note": note},
        )
        collaboration.rounds.append(closed)
        collaboration.round += 1
        collaboration.round_started_at = collaboration.updated_at = now
        try:
            session.commit()
        except IntegrityError:
            # SQLite: another close of the same round won (PostgreSQL's row lock made this one
            # wait instead). Read again: the new round is then empty, so NothingToClose.
            raise StaleDataError("round closed meanwhile") from None
        return closed

    return concurrency.write(session, attempt)


def _snapshot(seen: Overview, engine: Engine) -> dict[str, Any]:
    assert seen.combined_advice is not None and seen.combination is not None
    return {
        "recommended": seen.combined_advice.recommended,
        "answers": seen.combination.answers,
        "divergent": list(seen.combination.divergent),
        "respondents": [{"label": r.label, "recommended": a.recommended} for r, a in seen.advices],
        "ruleset": engine.ruleset.fingerprint,
    }


@dataclass(frozen=True)
class HistoryEntry:
    round: int
    note: str | None
    started_at: datetime
    closed_at: datetime | None
    """None for the open round."""
    recommended: str | None
    """What the combined answers advise(d); None while the open round has no complete response."""
    current_form: str | None
    respondents: list[dict[str, Any]]
    answers: dict[str, Any]


def history(collaboration: Collaboration, *, engine: Engine | None = None, lang: str = "nl",
            seen: Overview | None = None) -> tuple[list[HistoryEntry], list[combine.DriftWarning]]:
    """The form round by round (closed rounds as kept, the open one as it stands), and the drift
    warnings between consecutive rounds. `seen`: the open round's overview, when the caller has it."""
    engine = _engine(engine)
    entries = [history_entry(r) for r in collaboration.rounds]
    if seen is None:
        seen = overview(collaboration, lang, engine=engine)
    answers = seen.combination.answers if seen.combination else {}
    entries.append(HistoryEntry(
        collaboration.round, None, collaboration.round_started_at, None,
        seen.combined_advice.recommended if seen.combined_advice else None, answers.get("current_form"),
        [{"label": r.label, "recommended": a.recommended} for r, a in seen.advices], answers,
    ))
    points = [combine.RoundPoint(e.round, e.recommended, e.answers) for e in entries]
    return entries, combine.drift(engine, collaboration_rules(), points, lang)


def history_entry(closed: CollaborationRound) -> HistoryEntry:
    """A closed round as the history shows it."""
    snapshot = closed.snapshot
    return HistoryEntry(closed.number, snapshot.get("note"), closed.started_at, closed.closed_at,
                        snapshot["recommended"], snapshot["answers"].get("current_form"), snapshot["respondents"],
                        snapshot["answers"])


def expires_at(collaboration: Collaboration, retention_days: int) -> datetime | None:
    if retention_days <= 0:
        return None
    return collaboration.updated_at + timedelta(days=retention_days)

