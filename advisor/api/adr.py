"""What the NL API Design Rules and plain HTTP ask of every API request and response.

Before an API operation runs (the docs and problem-type pages are left alone):

- a ``Content-Encoding`` the service does not decode is a 415 (it would be read as garbage);
- an ``Accept`` header that excludes every type the route sends is a 406;
- a POST, PUT or PATCH without a body is a 400: a bare ``POST .../rounds`` must not close a round
  and a bodiless PATCH must not pass as "nothing to change". Send ``{}`` for "no fields".

After every ``/api/`` response: ``API-Version`` with the full semantic version (ADR
/core/version-header), ``Vary: Accept-Language`` and ``Content-Language`` with the language of
the texts sent (``set_content_language``), and ``Advisor-Ruleset`` on the routes whose answers
depend on the loaded rules.
"""

from __future__ import annotations

from flask import Flask, Request, Response, current_app, g, request
from flask_smorest import abort
from werkzeug.datastructures import Headers

from ..header_names import add_in_one_pass, set_default, set_header
from ..reasons import N_

API_SEMVER = "1.1.0"
"""The API's full version: major in the URL (/api/v1), all three parts in API-Version."""
API_PREFIX = "/api/"
PAGES = ("api_docs_files.", "api_docs_problems.", "api-docs.")
"""Endpoints that are pages about the API rather than operations of it."""
RULESET_BLUEPRINTS = frozenset({"api_v1", "api_v1_batch", "api_v1_assessments", "api_v1_collaborations", "api_v1_invitations"})
"""Blueprints whose answers depend on the loaded rules (questionnaire, forms, advice, stored ones)."""
JSON_TYPES = ("application/json", "application/problem+json")
SENDS = {"api_v1_admin.export_csv": ("text/csv",), "api_v1_batch.advice_batch": (*JSON_TYPES, "application/x-ndjson")}
"""Routes that send something besides JSON; every other operation sends JSON."""
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
IDENTITY = ("", "identity")
ANY_TYPE = "*/*"
"""What most clients send as Accept: it accepts every route, no need to parse it."""


def is_operation() -> bool:
    """Whether the request is for an API operation (not its docs, spec or problem pages)."""
    endpoint = request.endpoint or ""
    return request.path.startswith(API_PREFIX) and not endpoint.startswith(PAGES)


def check_request() -> None:
    """Refuse what the API cannot serve before a view reads anything."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy look-up, not ten
    if req.routing_exception is not None or req.method == "OPTIONS" or not req.path.startswith(API_PREFIX):
        return
    endpoint = req.endpoint or ""
    if endpoint.startswith(PAGES):
        return
    environ = req.environ  # what req.headers reads, without its name translation on every get
    encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding not in IDENTITY:
        abort(415, message=N_("The body is encoded as '{encoding}', which this service does not decode: "
                              "send it unencoded.").format(encoding=encoding))
    offered = SENDS.get(endpoint, JSON_TYPES)
    accept = environ.get("HTTP_ACCEPT", "").strip()
    if accept and accept != ANY_TYPE and req.accept_mimetypes.best_match(offered) is None:
        abort(406, message=N_("This route sends {types}; the Accept header excludes it.").format(types=", ".join(offered)))
    if req.method in WRITE_METHODS and not has_body(req):
        abort(400, message="A body is required: send a JSON object ({} when there is nothing else to send).",
              errors={"body": [N_("a body is required")]})


def has_body(req: Request) -> bool:
    length = req.content_length
    if length:
        return True
    return length is None and "chunked" in req.environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def set_content_language(lang: str) -> None:
    """Record the language of the texts this response sends (``Content-Language``)."""
    g.advisor_content_language = lang


def add_headers(req: Request, response: Response, headers: Headers, names: set[str]) -> None:
    if not req.path.startswith(API_PREFIX):
        return
    set_header(headers, names, "API-Version", API_SEMVER)
    if (req.endpoint or "").startswith(PAGES):
        return
    if "vary" in names:
        response.vary.add("Accept-Language")
    else:  # what vary.add writes into an empty Vary, without parsing it into a set first
        set_header(headers, names, "Vary", "Accept-Language")
    lang = g.get("advisor_content_language")
    if lang:
        set_default(headers, names, "Content-Language", lang)
    if req.blueprint in RULESET_BLUEPRINTS and "advisor-ruleset" not in names:
        advisor = current_app.extensions.get("advisor")
        if advisor is not None:
            set_default(headers, names, "Advisor-Ruleset", advisor.engine.ruleset.fingerprint)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    add_in_one_pass(app, add_headers)  # first: the pass runs here, after CORS's hook (its Vary first)
