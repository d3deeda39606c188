"""What the API and the pages do with assessments: plain functions, no HTTP.

Each function works in the session of the current app context (or the one given) and commits
before it returns. Answers are checked by the engine: invalid answers raise the engine's
``AnswersError`` (field -> reasons); unfinished answers are kept as a draft without advice;
complete answers get the advice, stored in its wire form (``advisor.wire``, the form the API
sends) with the rule set that gave it, so ``get`` returns it exactly as it was given and
``replay`` can compare.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..engine import AnswersError, Engine
from ..reasons import N_
from ..wire import advice_to_wire
from . import concurrency, expiry, idempotency
from .concurrency import VersionMismatch, WriteConflict
from .db import get_session
from .models import Assessment, new_id, utcnow

__all__ = [
    "AssessmentNotFound", "LabelError", "Replay", "check_label", "create", "get", "update", "delete", "purge_expired",
    "replay", "expires_at", "iter_all", "Summary", "AnswerConflict", "VersionMismatch", "WriteConflict",
]

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
UNSET: Any = object()


class AssessmentNotFound(LookupError):
    """No assessment with this id: never stored, erased, or purged."""


class AnswerConflict(Exception):
    """Someone else changed answers this writer meant to change, since it last saw them.

    ``conflicts`` maps each question id to ``(stored, mine)``: the value stored now and the one
    this writer sent, so a page can show both and let the person choose."""

    def __init__(self, conflicts: dict[str, tuple[Any, Any]], version: int) -> None:
        super().__init__(sorted(conflicts))
        self.conflicts = conflicts
        self.version = version


class LabelError(ValueError):
    """A label no database stores as given: too long, or with control characters."""


LABEL_MAX = 200


def check_label(label: str | None) -> str | None:
    """The label if it can be stored as given; raises LabelError saying why not."""
    if label is None:
        return None
    if not isinstance(label, str):
        raise LabelError(N_("must be a string"))
    if len(label) > LABEL_MAX:
        raise LabelError(N_("must be at most {max} characters").format(max=LABEL_MAX))
    if any(ord(char) < 32 or ord(char) == 127 or 0xD800 <= ord(char) <= 0xDFFF for char in label):
        # PostgreSQL refuses NUL in text, and no driver encodes a lone surrogate.
        raise LabelError(N_("must be plain text: no control characters or unpaired surrogates"))
    return label


@dataclass(frozen=True)
class Replay:
    """The stored answers evaluated on the current rules, next to the advice as it was given."""

    assessment: Assessment
    lang: str
    ruleset_changed: bool
    stored_ruleset: dict[str, Any]
    current_ruleset: dict[str, Any]
    advice: dict[str, Any] | None
    """The advice on the current rules; None when the answers are unfinished or no longer fit."""
    answer_errors: dict[str, list[str]] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)


def _engine(engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    from ..extension import get_advisor

    return get_advisor().engine


def _evaluate(engine: Engine, answers: Mapping[str, Any], lang: str) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """(clean answers, status, dumped advice or None for a draft); raises AnswersError."""
    clean = engine.validate_answers(answers, require_complete=False)
    if engine.completeness(clean).required_missing:
        return clean, "draft", None
    return clean, "complete", advice_to_wire(engine.advise_valid(clean, lang))


def _ruleset(engine: Engine) -> tuple[str, list[dict[str, str]]]:
    ruleset = engine.ruleset
    return ruleset.fingerprint, [{"id": p.id, "version": p.version} for p in ruleset.packs]


def create(
    answers: Mapping[str, Any], *, label: str | None = None, lang: str = "nl",
    engine: Engine | None = None, session: Session | None = None,
    request_key: idempotency.RequestKey | None = None,
) -> Assessment:
    """Store new answers, complete or not; the advice comes with complete ones.

    With a `request_key` (the client's Idempotency-Key) the key is stored in the same
    transaction: a concurrent create under the same key raises ``idempotency.AlreadyDone``
    and leaves no second record. Raises AnswersError for answers that do not fit, LabelError
    for a label that cannot be stored.
    """
    engine = _engine(engine)
    session = session or get_session()
    clean, status, advice = _evaluate(engine, answers, lang)
    fingerprint, packs = _ruleset(engine)
    now = utcnow()
    assessment = Assessment(
        id=new_id(), label=check_label(label), answers=clean, advice=advice, status=status,
        ruleset_fingerprint=fingerprint, packs=packs, lang=lang, created_at=now, updated_at=now,
    )
    session.add(assessment)
    idempotency.commit_with_key(session, request_key, "assessment", assessment.id)
    return assessment


def get(assessment_id: str, *, session: Session | None = None) -> Assessment:
    """The assessment as stored; raises AssessmentNotFound."""
    return _load(assessment_id, session or get_session())


def _load(assessment_id: str, session: Session, *, for_update: bool = False) -> Assessment:
    """The stored assessment as it is now (never a stale copy from the session); an expired one
    is not found even before the purge erases it."""
    if not isinstance(assessment_id, str) or not ID_PATTERN.match(assessment_id):
        raise AssessmentNotFound(assessment_id)
    query = select(Assessment).where(
        Assessment.id == assessment_id, expiry.alive(Assessment.updated_at, session),
    ).execution_options(populate_existing=True)
    if for_update:
        query = query.with_for_update()
    assessment = session.scalars(query).first()
    if assessment is None:
        raise AssessmentNotFound(assessment_id)
    return assessment


EXPORT_BATCH = 500


@dataclass(frozen=True)
class Summary:
    """What an export shows of one assessment: no advice body, only the form it recommended."""

    id: str
    label: str | None
    status: str
    lang: str
    created_at: datetime
    updated_at: datetime
    recommended: str | None
    ruleset_fingerprint: str
    answers: dict[str, Any]


def iter_all(*, batch_size: int | None = None, session: Session | None = None) -> Iterator[Summary]:
    """Every stored assessment, oldest first, read in batches of `batch_size` (keyset paging on
    created_at and id) without the advice bodies, so an export of any size holds one small batch
    in memory and keeps no transaction open. Assessments created meanwhile may or may not appear."""
    session = session or get_session()
    batch_size = batch_size or EXPORT_BATCH
    columns = (
        Assessment.id, Assessment.label, Assessment.status, Assessment.lang, Assessment.created_at,
        Assessment.updated_at, Assessment.advice["recommended"].as_string(), Assessment.ruleset_fingerprint,
        Assessment.answers,
    )
    after: tuple[datetime, str] | None = None
    while True:
        query = select(*columns).order_by(Assessment.created_at, Assessment.id).limit(batch_size)
        if after is not None:
            created, last_id = after
            query = query.where(or_(
                Assessment.created_at > created,
                (Assessment.created_at == created) & (Assessment.id > last_id),
            ))
        batch = [Summary(*row) for row in session.execute(query)]
        session.rollback()  # no transaction stays open while the caller streams the batch
        yield from batch
        if len(batch) < batch_size:
            return
        after = (batch[-1].created_at, batch[-1].id)


def update(
    assessment_id: str, *, answers: Mapping[str, Any] | None = None, label: str | None = UNSET,
    lang: str | None = None, engine: Engine | None = None, session: Session | None = None,
    expected_version: int | Collection[int] | None = None, seen_answers: Mapping[str, Any] | None = None,
) -> Assessment:
    """Resume: merge `answers` into the stored ones (None removes an answer, as in JSON Merge
    Patch), change the label or language. The advice is recomputed on the current rules when
    answers or language change and the answers are complete; it is dropped when they are not.

    The read-merge-write is atomic on every database (compare-and-swap on the version, retried):
    concurrent changes to different answers all survive. `expected_version` (If-Match) refuses
    the write with VersionMismatch when another version is stored. `seen_answers` (the values
    the writer last saw for the answers it changes) refuses it with AnswerConflict when someone
    else changed one of them to a third value meanwhile.
    """
    engine = _engine(engine)
    session = session or get_session()

    def attempt() -> Assessment:
        assessment = _load(assessment_id, session, for_update=True)
        concurrency.expect_version(assessment.version, expected_version)
        if seen_answers is not None and answers:
            _check_unchanged(assessment, answers, seen_answers)
        if label is not UNSET:
            assessment.label = check_label(label)
        if answers is not None or (lang is not None and lang != assessment.lang):
            merged = {**assessment.answers, **(answers or {})}
            merged = {key: value for key, value in merged.items() if value is not None}
            new_lang = lang or assessment.lang
            clean, status, advice = _evaluate(engine, merged, new_lang)
            fingerprint, packs = _ruleset(engine)
            assessment.answers, assessment.status, assessment.advice = clean, status, advice
            assessment.ruleset_fingerprint, assessment.packs = fingerprint, packs
            assessment.lang = new_lang
        assessment.updated_at = utcnow()
        session.commit()
        return assessment

    return concurrency.write(session, attempt)


def _check_unchanged(assessment: Assessment, answers: Mapping[str, Any], seen: Mapping[str, Any]) -> None:
    """AnswerConflict for every answer being changed that is stored neither as the writer saw it
    nor as it is sending it (someone else set a third value)."""
    conflicts = {
        qid: (assessment.answers.get(qid), mine) for qid, mine in answers.items()
        if assessment.answers.get(qid) not in (seen.get(qid), mine)
    }
    if conflicts:
        raise AnswerConflict(conflicts, assessment.version)


def delete(
    assessment_id: str, *, session: Session | None = None, expected_version: int | Collection[int] | None = None,
) -> None:
    """Erase the assessment for good (the right to erasure); raises AssessmentNotFound, and
    VersionMismatch when `expected_version` (If-Match) is not the stored one."""
    session = session or get_session()

    def attempt() -> None:
        assessment = _load(assessment_id, session, for_update=True)
        concurrency.expect_version(assessment.version, expected_version)
        session.delete(assessment)
        session.commit()

    concurrency.write(session, attempt)


def purge_expired(retention_days: int, *, now: datetime | None = None, session: Session | None = None) -> int:
    """Erase assessments not changed within `retention_days`; returns how many. 0 keeps all."""
    if retention_days <= 0:
        return 0
    session = session or get_session()
    result = session.execute(
        sql_delete(Assessment).where(Assessment.updated_at < expiry.cutoff(session, retention_days, now)),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return int(result.rowcount or 0)


def expires_at(assessment: Assessment, retention_days: int) -> datetime | None:
    """When `purge_expired` may erase the assessment; None when retention is off."""
    if retention_days <= 0:
        return None
    return assessment.updated_at + timedelta(days=retention_days)


def replay(
    assessment_id: str, *, lang: str | None = None, engine: Engine | None = None,
    session: Session | None = None, as_of: date | None = None,
) -> Replay:
    """Evaluate the stored answers on the current rules and say what changed: the form, the
    risks added and removed, and the packs, next to the advice as it was given. Stores nothing."""
    engine = _engine(engine)
    assessment = get(assessment_id, session=session)
    lang = lang or assessment.lang
    fingerprint, packs = _ruleset(engine)
    current: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    try:
        clean = engine.validate_answers(assessment.answers, require_complete=True)
    except AnswersError as exc:
        errors = exc.errors
    else:
        current = advice_to_wire(engine.advise_valid(clean, lang, as_of=as_of))
    return Replay(
        assessment=assessment, lang=lang,
        ruleset_changed=fingerprint != assessment.ruleset_fingerprint,
        stored_ruleset=assessment.ruleset, current_ruleset={"fingerprint": fingerprint, "packs": packs},
        advice=current, answer_errors=errors,
        changes=_changes(assessment.advice, current, assessment.packs, packs),
    )


def _changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
    packs_before: list[dict[str, str]], packs_after: list[dict[str, str]],
) -> dict[str, Any]:
    recommended_before = before["recommended"] if before else None
    recommended_after = after["recommended"] if after else None
    risks_before = {risk["id"]: risk for risk in (before or {}).get("risks", [])}
    risks_after = {risk["id"]: risk for risk in (after or {}).get("risks", [])}
    versions_before = {pack["id"]: pack["version"] for pack in packs_before}
    versions_after = {pack["id"]: pack["version"] for pack in packs_after}

    def brief(risk: Mapping[str, Any]) -> dict[str, str]:
        return {"id": risk["id"], "severity": risk["severity"], "title": risk["title"]}

    return {
        "form_changed": recommended_before != recommended_after,
        "recommended_before": recommended_before,
        "recommended_after": recommended_after,
        "risks_added": [brief(r) for rid, r in risks_after.items() if rid not in risks_before],
        "risks_removed": [brief(r) for rid, r in risks_before.items() if rid not in risks_after],
        "packs_added": [{"id": pid, "version": v} for pid, v in versions_after.items() if pid not in versions_before],
        "packs_removed": [{"id": pid, "version": v} for pid, v in versions_before.items() if pid not in versions_after],
        "packs_updated": [
            {"id": pid, "before": versions_before[pid], "after": v}
            for pid, v in versions_after.items()
            if pid in versions_before and versions_before[pid] != v
        ],
    }
