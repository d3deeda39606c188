"""Save as you go, and the private link to resume or share: the pages over ``advisor.storage``.

The draft in the session cookie stays the working copy (it also holds what does not validate
yet); after every step the valid answers are stored as an assessment, whose unguessable id is
the private link ``/a/<id>``. A database that cannot be reached never stops a manager: the pages
go on from the cookie and say the answers are not saved.

Several people may work on one shared link at once. The session also keeps the answers as this
browser last saw them stored (*synced*); a save sends only the answers that differ from those
(what this person changed), so it never overwrites a colleague's answers with a stale copy.
When a colleague changed the same answer meanwhile, nothing is overwritten: the page shows both
values and the person chooses (:class:`Conflict`). Changes others stored are taken into the
draft when a page is shown, unless this person has changed that answer too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import session
from sqlalchemy.exc import SQLAlchemyError

from .. import storage
from ..engine import AnswersError
from . import answers as answer_rules
from .answers import Draft, Question

log = logging.getLogger("advisor.web")

SESSION_KEY = "assessment"
SYNCED_KEY = "synced"


@dataclass(frozen=True)
class Conflict:
    """An answer someone else changed since this browser saw it, to another value than this
    person chose: ``theirs`` is stored now, ``mine`` was sent (None: no answer)."""

    question: str
    theirs: Any
    mine: Any


@dataclass(frozen=True)
class Saved:
    """What a save did: the assessment id (None: not saved) and the answers in conflict."""

    assessment_id: str | None
    conflicts: tuple[Conflict, ...] = ()
    draft: Draft | None = None
    """The draft with what others stored meanwhile; None when it is unchanged."""


def saved_id() -> str | None:
    """The id of the visitor's stored assessment, if any."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def synced() -> dict[str, Any]:
    """The answers as this browser last saw them stored."""
    value = session.get(SYNCED_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _remember(assessment: storage.Assessment) -> None:
    session[SESSION_KEY] = assessment.id
    session[SYNCED_KEY] = dict(assessment.answers)


def save_as_you_go(draft: Mapping[str, Any], questions: Iterable[Question], lang: str) -> Saved:
    """Store the answers this person changed (the valid answers of the draft that differ from
    what was stored when this browser last saw it); the draft then takes what others stored."""
    questions = list(questions)
    clean = answer_rules.clean(questions, draft)[0]
    current = saved_id()
    try:
        if current:
            seen = synced()
            # None removes an answer the visitor cleared (storage merges like JSON Merge Patch).
            patch = {q["id"]: clean.get(q["id"]) for q in questions if clean.get(q["id"]) != seen.get(q["id"])}
            try:
                assessment = storage.update(current, answers=patch or None, lang=lang, seen_answers=seen)
            except storage.AnswerConflict as conflict:
                return Saved(current, _conflicts(conflict))
            except storage.AssessmentNotFound:
                assessment = storage.create(clean, lang=lang)  # erased or expired meanwhile: a new link
        else:
            assessment = storage.create(clean, lang=lang)
    except (SQLAlchemyError, AnswersError) as exc:
        log.warning("answers not saved: %s", type(exc).__name__)
        return Saved(None)
    updated, _ = _take_stored(draft, questions, assessment.answers, synced())
    _remember(assessment)
    return Saved(assessment.id, draft=updated)


def _conflicts(conflict: storage.AnswerConflict) -> tuple[Conflict, ...]:
    """The conflicts, remembered as seen: choosing again then stores the person's choice."""
    seen = synced()
    for qid, (theirs, _mine) in conflict.conflicts.items():
        if theirs is None:
            seen.pop(qid, None)
        else:
            seen[qid] = theirs
    session[SYNCED_KEY] = seen
    return tuple(Conflict(qid, theirs, mine) for qid, (theirs, mine) in sorted(conflict.conflicts.items()))


def take_others_changes(draft: Mapping[str, Any], questions: Iterable[Question]) -> Draft:
    """The draft with the answers others stored since this browser last saw them, except those
    this person changed too (their save will ask). Unchanged when nothing is stored or the
    database cannot be reached."""
    current = saved_id()
    if not current:
        return dict(draft)
    try:
        stored = storage.get(current).answers
    except (storage.AssessmentNotFound, SQLAlchemyError):
        return dict(draft)
    updated, session[SYNCED_KEY] = _take_stored(draft, questions, stored, synced())
    return updated


def _take_stored(draft: Mapping[str, Any], questions: Iterable[Question], stored: Mapping[str, Any],
                 seen: dict[str, Any]) -> tuple[Draft, dict[str, Any]]:
    """(draft, synced) with every stored answer that differs from what was seen, except where
    this person's draft differs from what was seen too."""
    mine = answer_rules.clean(list(questions), draft)[0]
    updated = dict(draft)
    for qid in set(stored) | set(seen):
        if stored.get(qid) == seen.get(qid) or mine.get(qid) != seen.get(qid):
            continue   # nobody else changed it, or this person did too
        if qid in stored:
            updated[qid] = to_draft({qid: stored[qid]})[qid]
            seen[qid] = stored[qid]
        else:
            updated.pop(qid, None)
            seen.pop(qid, None)
    return updated, seen


def resume(assessment_id: str) -> tuple[Draft, str]:
    """The stored answers as a draft, and the status; remembers the link in the session.

    Raises ``storage.AssessmentNotFound`` for an unknown, erased or expired link.
    """
    assessment = storage.get(assessment_id)
    _remember(assessment)
    return to_draft(assessment.answers), assessment.status


def to_draft(stored: Mapping[str, Any]) -> Draft:
    """Stored answers as the raw values a form would have sent."""
    return {qid: list(value) if isinstance(value, list) else str(value) for qid, value in stored.items()}


def erase() -> bool:
    """Erase the stored assessment for good; True when there was one."""
    current = saved_id()
    session.pop(SESSION_KEY, None)
    session.pop(SYNCED_KEY, None)
    if not current:
        return False
    try:
        storage.delete(current)
    except storage.AssessmentNotFound:
        return False
    return True


def forget_link() -> None:
    """Start afresh without erasing: the old link keeps working for whoever has it."""
    session.pop(SESSION_KEY, None)
    session.pop(SYNCED_KEY, None)
