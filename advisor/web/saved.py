"""Save as you go, and the private link to resume or share: the pages over ``advisor.storage``.

The draft in the session cookie stays the working copy (it also holds what does not validate
yet); after every step the valid answers are stored as an assessment, whose unguessable id is
the private link ``/a/<id>``. A database that cannot be reached never stops a manager: the pages
go on from the cookie and say the answers are not saved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import session
from sqlalchemy.exc import SQLAlchemyError

from .. import storage
from ..engine import AnswersError
from . import answers as answer_rules
from .answers import Draft, Question

log = logging.getLogger("advisor.web")

SESSION_KEY = "assessment"


def saved_id() -> str | None:
    """The id of the visitor's stored assessment, if any."""
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def save_as_you_go(draft: Mapping[str, Any], questions: Iterable[Question], lang: str) -> str | None:
    """Store the valid answers of the draft; returns the assessment id, None when not saved."""
    questions = list(questions)
    clean = answer_rules.clean(questions, draft)[0]
    current = saved_id()
    try:
        if current:
            try:
                # None removes an answer the visitor cleared (storage merges like JSON Merge Patch).
                patch = {q["id"]: clean.get(q["id"]) for q in questions}
                return storage.update(current, answers=patch, lang=lang).id
            except storage.AssessmentNotFound:
                pass  # erased or expired meanwhile: store afresh under a new link
        assessment = storage.create(clean, lang=lang)
    except (SQLAlchemyError, AnswersError) as exc:
        log.warning("answers not saved: %s", type(exc).__name__)
        return None
    session[SESSION_KEY] = assessment.id
    return assessment.id


def saved_label() -> str | None:
    """The name of the visitor's stored assessment, when it has one (the printout shows it)."""
    current = saved_id()
    if not current:
        return None
    try:
        return storage.get(current).label
    except (storage.AssessmentNotFound, SQLAlchemyError):
        return None


def resume(assessment_id: str) -> tuple[Draft, str]:
    """The stored answers as a draft, and the status; remembers the link in the session.

    Raises ``storage.AssessmentNotFound`` for an unknown, erased or expired link.
    """
    assessment = storage.get(assessment_id)
    session[SESSION_KEY] = assessment.id
    return to_draft(assessment.answers), assessment.status


def to_draft(stored: Mapping[str, Any]) -> Draft:
    """Stored answers as the raw values a form would have sent."""
    return {qid: list(value) if isinstance(value, list) else str(value) for qid, value in stored.items()}


def erase() -> bool:
    """Erase the stored assessment for good; True when there was one."""
    current = saved_id()
    session.pop(SESSION_KEY, None)
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
