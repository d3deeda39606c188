"""/api/v1/assessments: save, read, resume, replay and erase an assessment.

Thin routes over ``advisor.storage``: they translate its exceptions and the engine's into
problem details. A database that cannot be reached is a 503 for every route that needs it
(handled once for the app in ``register_error_handlers``); ``POST /advice`` needs none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import Flask, current_app, url_for
from flask_smorest import Api, abort
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import ServiceUnavailable

from .. import storage
from ..storage.guard import DatabaseFileChanged
from ..extension import get_advisor
from ..storage import idempotency
from . import assessment_schemas as schemas
from .blueprint import Blueprint
from .preconditions import (
    CONFLICT, CREATED_HEADERS, ETAG, IDEMPOTENCY_KEY, IF_MATCH, KEY_REUSED, REPLAYED, STALE, etag_header,
    expected_versions, request_key, write_problems,
)
from .problem_docs import BAD_BODY, UNKNOWN_LANGUAGE
from .schemas import ReplayQuerySchema
from .adr import set_content_language
from .views import asked_lang, engine_problems, pick_lang, require_json_body

blp = Blueprint(
    "api_v1_assessments", __name__, url_prefix="/api/v1/assessments",
    description="Stored assessments: save, resume, share, replay and erase.",
)
blp.before_request(require_json_body)

DATABASE_ERRORS = (OperationalError, DisconnectionError, PoolTimeoutError, DatabaseFileChanged)
RETRY_AFTER_S = 10
NOT_FOUND = "No assessment with this id: it was never stored, was erased, or has expired."

NO_ASSESSMENT = {404: "No assessment with this id."}
INVALID = {422: "Answers or fields that do not fit, by field."}
UNAVAILABLE = {503: "The database is unreachable, or a plugin failed in strict mode."}


@blp.after_request
def private(response):
    """Assessments are personal: no shared cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    return response


@contextmanager
def problems() -> Iterator[None]:
    """Storage and engine refusals as problem details."""
    try:
        with engine_problems(), write_problems():
            yield
    except storage.AssessmentNotFound:
        abort(404, message=NOT_FOUND)


def patch_changes(body: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body as changes: answers and lang always (None keeps them), label only when sent
    (null clears it)."""
    changes: dict[str, Any] = {"answers": body.get("answers"), "lang": body.get("lang")}
    if "label" in body:
        changes["label"] = body["label"]
    return changes


def assessment_body(assessment: storage.Assessment) -> dict[str, Any]:
    set_content_language(assessment.lang)  # the stored advice is in the assessment's language
    return {
        "id": assessment.id,
        "url": url_for("api_v1_assessments.read_assessment", assessment_id=assessment.id, _external=True),
        "label": assessment.label,
        "status": assessment.status,
        "lang": assessment.lang,
        "answers": assessment.answers,
        "advice": assessment.advice,
        "completeness": get_advisor().engine.completeness(assessment.answers),
        "ruleset": assessment.ruleset,
        "created_at": assessment.created_at,
        "updated_at": assessment.updated_at,
        "version": assessment.version,
        "expires_at": storage.expires_at(assessment, current_app.config["RETENTION_DAYS"]),
    }


ERASED_SINCE = "The record this Idempotency-Key made has been erased since."


@blp.route("", methods=["POST"])
@blp.arguments(schemas.AssessmentCreateSchema)
@blp.response(201, schemas.AssessmentSchema, headers={
    "Location": {"description": "The assessment's private URL.", "schema": {"type": "string"}}, **CREATED_HEADERS,
})
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.problems(BAD_BODY, INVALID, KEY_REUSED, UNAVAILABLE)
def create_assessment(body: dict[str, Any]):
    """Store answers, finished or not; complete answers come back with their advice."""
    key = request_key("assessments", body)
    headers: dict[str, str] = {}
    with problems():
        try:
            idempotency.check(key)
            assessment = storage.create(body["answers"], label=body.get("label"),
                                        lang=pick_lang(body.get("lang")), request_key=key)
        except idempotency.AlreadyDone as done:
            assessment = _made_before(done.resource_id)
            headers.update(REPLAYED)
    data = assessment_body(assessment)
    return data, 201, {"Location": data["url"], **etag_header(assessment.version), **headers}


def _made_before(assessment_id: str) -> storage.Assessment:
    """The assessment a retried create made the first time; 409 when it has been erased since."""
    try:
        return storage.get(assessment_id)
    except storage.AssessmentNotFound:
        abort(409, message=ERASED_SINCE)


@blp.route("/<assessment_id>")
@blp.response(200, schemas.AssessmentSchema, headers=ETAG)
@blp.problems(NO_ASSESSMENT, UNAVAILABLE)
def read_assessment(assessment_id: str):
    """The assessment with its answers and the advice exactly as it was given."""
    with problems():
        assessment = storage.get(assessment_id)
        return assessment_body(assessment), 200, etag_header(assessment.version)


@blp.route("/<assessment_id>", methods=["PATCH"])
@blp.arguments(schemas.AssessmentPatchSchema)
@blp.response(200, schemas.AssessmentSchema, headers=ETAG)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(BAD_BODY, NO_ASSESSMENT, STALE, CONFLICT, INVALID, UNAVAILABLE)
def update_assessment(body: dict[str, Any], assessment_id: str):
    """Resume: add, change (or, with null, remove) answers; the advice follows when complete.
    Changes sent at the same time to different answers are all kept."""
    with problems():
        assessment = storage.update(assessment_id, expected_version=expected_versions(), **patch_changes(body))
        return assessment_body(assessment), 200, etag_header(assessment.version)


@blp.route("/<assessment_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(NO_ASSESSMENT, STALE, CONFLICT, UNAVAILABLE)
def delete_assessment(assessment_id: str):
    """Erase the assessment for good (the right to erasure)."""
    with problems():
        storage.delete(assessment_id, expected_version=expected_versions())
    return ""


@blp.route("/<assessment_id>/replay")
@blp.arguments(ReplayQuerySchema, location="query", as_kwargs=True)
@blp.response(200, schemas.ReplaySchema)
@blp.problems(NO_ASSESSMENT, UNKNOWN_LANGUAGE, UNAVAILABLE)
def replay_assessment(assessment_id: str, lang: str | None = None, as_of: date | None = None):
    """The stored answers on the current rules (those in force on `as_of`): the new advice and
    what changed (form, risks, packs) next to the advice as it was given. Changes nothing."""
    with problems():
        replay = storage.replay(assessment_id, lang=lang or asked_lang(), as_of=as_of)
    set_content_language(replay.lang)
    return {
        "id": replay.assessment.id, "lang": replay.lang, "ruleset_changed": replay.ruleset_changed,
        "stored_ruleset": replay.stored_ruleset, "current_ruleset": replay.current_ruleset,
        "stored_advice": replay.assessment.advice, "advice": replay.advice,
        "answer_errors": replay.answer_errors, "changes": replay.changes,
    }


def register_error_handlers(app: Flask, api: Api) -> None:
    """A database that cannot be reached is a 503 (problem details on the API, the HTML error
    page elsewhere); the pool reconnects by itself once it is back (pre-ping)."""

    def database_unavailable(error: Exception):
        app.logger.warning("database unavailable: %s", error)
        return api.handle_http_exception(ServiceUnavailable(
            description="The database cannot be reached; try again shortly.", retry_after=RETRY_AFTER_S))

    for error_class in DATABASE_ERRORS:
        app.register_error_handler(error_class, database_unavailable)
