"""/api/v1/collaborations and /api/v1/invitations: one collaboration, several respondents.

Three keys, each a capability: the collaboration's id is the coordinator's (read everything,
rename, close a round, erase); the invitation token only lets partners add responses; each
response's own id lets its author read, change or erase that response. Thin routes over
``advisor.storage.collaborations``; how answers are combined is in ``advisor.combine``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, url_for
from flask_smorest import abort
from werkzeug.routing import BuildError

from ..extension import get_advisor
from ..model import Advice
from ..reasons import N_
from ..storage import collaborations as store
from ..storage import idempotency
from ..storage.service import LabelError
from ..whatif import with_alternatives as add_alternatives
from ..wire import WireAdvice, advice_to_wire
from . import collaboration_schemas as schemas
from .assessments import INVALID, UNAVAILABLE, patch_changes, private
from .blueprint import Blueprint
from .preconditions import (
    CONFLICT, CREATED_HEADERS, ETAG, IDEMPOTENCY_KEY, IF_MATCH, KEY_REUSED, REPLAYED, STALE, etag_header,
    expected_versions, request_key, write_problems,
)
from .problem_docs import BAD_BODY, UNKNOWN_LANGUAGE
from .schemas import LangQuerySchema
from .adr import set_content_language
from .views import asked_lang, engine_problems, pick_lang, require_json_body

blp = Blueprint(
    "api_v1_collaborations", __name__, url_prefix="/api/v1/collaborations",
    description="Collaborations with several respondents: answers side by side, combined advice, rounds and drift.",
)
invitations = Blueprint(
    "api_v1_invitations", __name__, url_prefix="/api/v1/invitations",
    description="What a partner with an invitation token may do: add, change and erase its own response.",
)


for _bp in (blp, invitations):  # every write has a JSON body, closing a round too ({})
    _bp.before_request(require_json_body)

NOT_FOUND = "No collaboration with this id: it was never made, was erased, or has expired."
NO_INVITATION = "No collaboration with this invitation token: it was never made, was erased, or has expired."
NO_RESPONSE = "No response with this id in this collaboration."
NO_COLLABORATION = {404: "No collaboration (or response) with this key."}
LABEL_TAKEN = {409: "The open round already has a response with this label."}
NOTHING_TO_CLOSE = {409: "No response of the open round is complete."}
ROUND_CLOSED = {409: "The open round already has a response with this label, the response belongs to a closed "
                     "round, or the write collided with a concurrent one."}
ERASED_SINCE = "The record this Idempotency-Key made has been erased since."
NEW_RESPONSE_CONFLICT = {409: "The open round already has a response with this label, or the Idempotency-Key "
                              "was used before with another body (or its response was erased since)."}


blp.after_request(private)          # collaborations are personal: no shared cache may keep them
invitations.after_request(private)


@contextmanager
def problems(missing: str = NOT_FOUND) -> Iterator[None]:
    """Storage and engine refusals as problem details."""
    try:
        with engine_problems(), write_problems():
            yield
    except store.CollaborationNotFound:
        abort(404, message=missing)
    except store.RespondentNotFound:
        abort(404, message=NO_RESPONSE)
    except store.LabelTaken as exc:
        abort(409, message="The open round already has a response with this label.",
              errors={"label": [N_("'{label}' has answered in this round already").format(label=exc.args[0])]})
    except store.NothingToClose:
        abort(409, message="No response of the open round is complete: there is nothing to keep yet.")
    except store.RoundClosed:
        abort(409, message="This response belongs to a round that has been closed: what was kept stays as "
                           "it was. Answer again in the open round.")
    except LabelError as exc:
        abort(422, message="A name or label that cannot be stored.", errors={"label": [exc.args[0]]})


def _page(endpoint: str, **values: Any) -> str | None:
    """A page's URL; None when the HTML pages are not part of this app."""
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return None


def respondent_body(respondent: store.Respondent, url: str,
                    advice: WireAdvice | None | bool = False) -> dict[str, Any]:
    """A response; its advice (in its wire form) is computed in its own language unless given."""
    if advice is False:
        advice = _wire(store.respondent_advice(respondent, respondent.lang))
    return {
        "id": respondent.id, "url": url, "label": respondent.label, "round": respondent.round,
        "status": respondent.status, "lang": respondent.lang, "answers": respondent.answers,
        "completeness": get_advisor().engine.completeness(respondent.answers),
        "advice": advice,
        "created_at": respondent.created_at, "updated_at": respondent.updated_at, "version": respondent.version,
    }


def _wire(advice: Advice | None) -> WireAdvice | None:
    return None if advice is None else advice_to_wire(advice)


def coordinator_response_url(collaboration: store.Collaboration, respondent: store.Respondent) -> str:
    return url_for("api_v1_collaborations.read_response", collaboration_id=collaboration.id,
                   respondent_id=respondent.id, _external=True)


def invited_response_url(collaboration: store.Collaboration, respondent: store.Respondent) -> str:
    return url_for("api_v1_invitations.read_invited_response", token=collaboration.invitation_token,
                   respondent_id=respondent.id, _external=True)


def collaboration_body(collaboration: store.Collaboration, lang: str, *, with_alternatives: bool = False) -> dict[str, Any]:
    """The coordinator's view of the open round (see ``advisor.combine`` for the combining)."""
    set_content_language(lang)
    seen = store.overview(collaboration, lang)
    advice_by_id = {r.id: advice_to_wire(a) for r, a in seen.advices}   # each turned into its wire form once
    combined = None
    if seen.combination is not None and seen.combined_advice is not None:
        advice = seen.combined_advice
        if with_alternatives:
            engine = get_advisor().engine
            advice = add_alternatives(engine, advice, seen.combination.answers, lang)
        combined = {"answers": seen.combination.answers, "advice": advice_to_wire(advice),
                    "divergent": list(seen.combination.divergent), "ties": list(seen.combination.ties)}
    return {
        "id": collaboration.id,
        "url": url_for("api_v1_collaborations.read_collaboration", collaboration_id=collaboration.id, _external=True),
        "page_url": _page("collaboration_pages.collaboration", collaboration_id=collaboration.id),
        "name": collaboration.name, "lang": lang, "round": collaboration.round,   # the texts' language
        "invitation": invitation_body(collaboration),
        "respondents": [
            respondent_body(r, coordinator_response_url(collaboration, r), advice_by_id.get(r.id))
            for r in seen.respondents
        ],
        "counted": len(seen.advices),
        "questions": list(seen.combination.questions) if seen.combination else [],
        "advice_per_respondent": [{"respondent": r.id, "label": r.label, "advice": advice_by_id[r.id]}
                                  for r, _ in seen.advices],
        "combined": combined,
        "findings": seen.findings,
        "risks_some_see": seen.partial_risks,
        "created_at": collaboration.created_at, "updated_at": collaboration.updated_at,
        "version": collaboration.version,
        "expires_at": store.expires_at(collaboration, current_app.config["RETENTION_DAYS"]),
    }


def invitation_body(collaboration: store.Collaboration) -> dict[str, Any]:
    token = collaboration.invitation_token
    return {
        "token": token,
        "url": _page("collaboration_pages.join", token=token),
        "api_url": url_for("api_v1_invitations.respond", token=token, _external=True),
    }


def history_entry(entry: store.HistoryEntry) -> dict[str, Any]:
    return {"round": entry.round, "note": entry.note, "started_at": entry.started_at, "closed_at": entry.closed_at,
            "recommended": entry.recommended, "current_form": entry.current_form,
            "respondents": entry.respondents, "answers": entry.answers}


# --- The coordinator ---------------------------------------------------------------------------


@blp.route("", methods=["POST"])
@blp.arguments(schemas.CollaborationCreateSchema)
@blp.response(201, schemas.CollaborationSchema, headers={
    "Location": {"description": "The coordinator's private URL.", "schema": {"type": "string"}}, **CREATED_HEADERS,
})
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.problems(BAD_BODY, INVALID, KEY_REUSED, UNAVAILABLE)
def create_collaboration(body: dict[str, Any]):
    """Start a collaboration: its coordinator URL and the invitation to send the partners."""
    lang = pick_lang(body.get("lang"))
    key = request_key("collaborations", body)
    headers: dict[str, str] = {}
    with problems():
        try:
            idempotency.check(key)
            collaboration = store.create_collaboration(body["name"], lang=lang, request_key=key)
        except idempotency.AlreadyDone as done:
            collaboration = _made_before(lambda: store.get_collaboration(done.resource_id))
            headers.update(REPLAYED)
    data = collaboration_body(collaboration, lang)
    return data, 201, {"Location": data["url"], **etag_header(collaboration.version), **headers}


def _made_before(load):
    """What a retried create made the first time; 409 when it has been erased since."""
    try:
        return load()
    except (store.CollaborationNotFound, store.RespondentNotFound):
        abort(409, message=ERASED_SINCE)


@blp.route("/<collaboration_id>")
@blp.arguments(schemas.OverviewQuerySchema, location="query", as_kwargs=True)
@blp.response(200, schemas.CollaborationSchema, headers=ETAG)
@blp.problems(NO_COLLABORATION, UNKNOWN_LANGUAGE, UNAVAILABLE)
def read_collaboration(collaboration_id: str, lang: str | None = None, alternatives: bool = False):
    """The open round side by side: answers per question (divergence flagged), the advice per
    respondent and combined, findings, and the risks only some respondents' advice raises.
    The ETag changes with every change to the collaboration, its responses included."""
    with problems():
        collaboration = store.get_collaboration(collaboration_id)
        body = collaboration_body(collaboration, lang or asked_lang() or collaboration.lang,
                                  with_alternatives=alternatives)
        return body, 200, etag_header(collaboration.version)


@blp.route("/<collaboration_id>", methods=["PATCH"])
@blp.arguments(schemas.CollaborationPatchSchema)
@blp.response(200, schemas.CollaborationSchema, headers=ETAG)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(BAD_BODY, NO_COLLABORATION, STALE, CONFLICT, INVALID, UNAVAILABLE)
def update_collaboration(body: dict[str, Any], collaboration_id: str):
    """Rename the collaboration or change its language."""
    with problems():
        collaboration = store.update_collaboration(collaboration_id, name=body.get("name"), lang=body.get("lang"),
                                                   expected_version=expected_versions())
        return collaboration_body(collaboration, collaboration.lang), 200, etag_header(collaboration.version)


@blp.route("/<collaboration_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(NO_COLLABORATION, STALE, CONFLICT, UNAVAILABLE)
def delete_collaboration(collaboration_id: str):
    """Erase the collaboration with every response and round, for good."""
    with problems():
        store.delete_collaboration(collaboration_id, expected_version=expected_versions())
    return ""


def _add_response(body: dict[str, Any], collaboration: store.Collaboration, scope: str, url) -> tuple:
    """Add a response, once per Idempotency-Key; (body, 201, headers) with `url(collaboration, respondent)`."""
    key = request_key(scope, body)
    headers: dict[str, str] = {}
    try:
        idempotency.check(key)
        respondent = store.add_response(collaboration, body["answers"], label=body["label"],
                                        lang=pick_lang(body.get("lang")), request_key=key)
    except idempotency.AlreadyDone as done:
        respondent = _made_before(lambda: store.get_response(collaboration, done.resource_id))
        headers.update(REPLAYED)
    data = respondent_body(respondent, url(collaboration, respondent))
    return data, 201, {"Location": data["url"], **etag_header(respondent.version), **headers}


@blp.route("/<collaboration_id>/responses", methods=["POST"])
@blp.arguments(schemas.ResponseCreateSchema)
@blp.response(201, schemas.RespondentSchema, headers={
    "Location": {"description": "The response's URL.", "schema": {"type": "string"}}, **CREATED_HEADERS,
})
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.problems(BAD_BODY, NO_COLLABORATION, NEW_RESPONSE_CONFLICT, INVALID, UNAVAILABLE)
def add_response(body: dict[str, Any], collaboration_id: str):
    """Add a partner's answers (finished or not) to the open round, under its label."""
    with problems():
        collaboration = store.get_collaboration(collaboration_id)
        return _add_response(body, collaboration, f"collaborations/{collaboration.id}/responses",
                             coordinator_response_url)


@blp.route("/<collaboration_id>/responses/<respondent_id>")
@blp.response(200, schemas.RespondentSchema, headers=ETAG)
@blp.problems(NO_COLLABORATION, UNAVAILABLE)
def read_response(collaboration_id: str, respondent_id: str):
    """One response with its answers and its advice."""
    with problems():
        collaboration = store.get_collaboration(collaboration_id)
        respondent = store.get_response(collaboration, respondent_id)
        return (respondent_body(respondent, coordinator_response_url(collaboration, respondent)), 200,
                etag_header(respondent.version))


@blp.route("/<collaboration_id>/responses/<respondent_id>", methods=["PATCH"])
@blp.arguments(schemas.ResponsePatchSchema)
@blp.response(200, schemas.RespondentSchema, headers=ETAG)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(BAD_BODY, NO_COLLABORATION, ROUND_CLOSED, STALE, INVALID, UNAVAILABLE)
def update_response(body: dict[str, Any], collaboration_id: str, respondent_id: str):
    """Change a response of the open round: answers (null removes one), label or language."""
    with problems():
        collaboration = store.get_collaboration(collaboration_id)
        respondent = store.update_response(collaboration, respondent_id, expected_version=expected_versions(),
                                           **patch_changes(body))
        return (respondent_body(respondent, coordinator_response_url(collaboration, respondent)), 200,
                etag_header(respondent.version))


@blp.route("/<collaboration_id>/responses/<respondent_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(parameters=[IF_MATCH])
@blp.problems(NO_COLLABORATION, STALE, CONFLICT, UNAVAILABLE)
def delete_response(collaboration_id: str, respondent_id: str):
    """Erase one response for good."""
    with problems():
        store.delete_response(store.get_collaboration(collaboration_id), respondent_id,
                              expected_version=expected_versions())
    return ""


@blp.route("/<collaboration_id>/rounds", methods=["POST"])
@blp.arguments(schemas.RoundCloseSchema, description="`{}` closes the round without a note; a request "
               "without a body is refused (400), so a stray POST cannot close a round.")
@blp.response(201, schemas.RoundClosedSchema)
@blp.problems(BAD_BODY, NO_COLLABORATION, NOTHING_TO_CLOSE, INVALID, UNAVAILABLE)
def close_round(body: dict[str, Any], collaboration_id: str):
    """Close the open round (its combined advice is kept with a timestamp) and open the next,
    empty one: the partners answer again, and the history shows the form over time."""
    with problems():
        closed = store.close_round(collaboration_id, note=body.get("note"))
        collaboration = store.get_collaboration(collaboration_id)
    return {"closed": history_entry(store.history_entry(closed)), "round": collaboration.round}, 201


@blp.route("/<collaboration_id>/history")
@blp.arguments(LangQuerySchema, location="query", as_kwargs=True)
@blp.response(200, schemas.HistorySchema)
@blp.problems(NO_COLLABORATION, UNKNOWN_LANGUAGE, UNAVAILABLE)
def read_history(collaboration_id: str, lang: str | None = None):
    """The form round by round, and a warning when it hardened while the task, the partners'
    size band and goal consensus stayed the same (creeping verkokering)."""
    with problems():
        collaboration = store.get_collaboration(collaboration_id)
        lang = lang or asked_lang() or collaboration.lang
        set_content_language(lang)
        entries, warnings = store.history(collaboration, lang=lang)
    return {
        "id": collaboration.id, "rounds": [history_entry(e) for e in entries],
        "drift": [{"from_round": w.from_round, "to_round": w.to_round, "hardened": list(w.hardened),
                   "changes": [{"what": what, "before": old, "after": new} for what, old, new in w.changes],
                   **_finding_fields(w.finding)} for w in warnings],
    }


def _finding_fields(finding) -> dict[str, Any]:
    return {"id": finding.id, "severity": finding.severity, "title": finding.title, "why": finding.why,
            "advice": finding.advice, "source": finding.source, "question": finding.question,
            "answers": finding.answers}


# --- Partners with an invitation -------------------------------------------------------------


@invitations.route("/<token>")
@invitations.response(200, schemas.InvitationViewSchema)
@invitations.problems(NO_COLLABORATION, UNAVAILABLE)
def read_invitation(token: str):
    """What a partner needs before answering: the collaboration's name, the round, labels taken."""
    with problems(NO_INVITATION):
        collaboration = store.by_invitation(token)
    return {"name": collaboration.name, "round": collaboration.round, "lang": collaboration.lang,
            "labels": [r.label for r in store.current_respondents(collaboration)]}


@invitations.route("/<token>/responses", methods=["POST"])
@invitations.arguments(schemas.ResponseCreateSchema)
@invitations.response(201, schemas.RespondentSchema, headers={
    "Location": {"description": "The response's private URL: keep it to change or erase it.",
                 "schema": {"type": "string"}}, **CREATED_HEADERS,
})
@invitations.doc(parameters=[IDEMPOTENCY_KEY])
@invitations.problems(BAD_BODY, NO_COLLABORATION, NEW_RESPONSE_CONFLICT, INVALID, UNAVAILABLE)
def respond(body: dict[str, Any], token: str):
    """Answer the questionnaire under your own label (role or organisation); drafts allowed."""
    with problems(NO_INVITATION):
        collaboration = store.by_invitation(token)
        return _add_response(body, collaboration, f"invitations/{collaboration.id}/responses", invited_response_url)


@invitations.route("/<token>/responses/<respondent_id>")
@invitations.response(200, schemas.RespondentSchema, headers=ETAG)
@invitations.problems(NO_COLLABORATION, UNAVAILABLE)
def read_invited_response(token: str, respondent_id: str):
    """Your response with its answers and its advice."""
    with problems(NO_INVITATION):
        collaboration = store.by_invitation(token)
        respondent = store.get_response(collaboration, respondent_id)
        return (respondent_body(respondent, invited_response_url(collaboration, respondent)), 200,
                etag_header(respondent.version))


@invitations.route("/<token>/responses/<respondent_id>", methods=["PATCH"])
@invitations.arguments(schemas.ResponsePatchSchema)
@invitations.response(200, schemas.RespondentSchema, headers=ETAG)
@invitations.doc(parameters=[IF_MATCH])
@invitations.problems(BAD_BODY, NO_COLLABORATION, ROUND_CLOSED, STALE, INVALID, UNAVAILABLE)
def update_invited_response(body: dict[str, Any], token: str, respondent_id: str):
    """Resume or change your response while its round is open (a closed round's is kept as it was: 409)."""
    with problems(NO_INVITATION):
        collaboration = store.by_invitation(token)
        respondent = store.update_response(collaboration, respondent_id, expected_version=expected_versions(),
                                           **patch_changes(body))
        return (respondent_body(respondent, invited_response_url(collaboration, respondent)), 200,
                etag_header(respondent.version))


@invitations.route("/<token>/responses/<respondent_id>", methods=["DELETE"])
@invitations.response(204)
@invitations.doc(parameters=[IF_MATCH])
@invitations.problems(NO_COLLABORATION, STALE, CONFLICT, UNAVAILABLE)
def delete_invited_response(token: str, respondent_id: str):
    """Erase your response for good."""
    with problems(NO_INVITATION):
        store.delete_response(store.by_invitation(token), respondent_id, expected_version=expected_versions())
    return ""
