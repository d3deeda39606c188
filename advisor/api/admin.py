"""/api/v1/admin: the export of every stored assessment, for the organisation running the service.

Off unless ``ADMIN_TOKEN`` is configured: the routes then answer 404, as if they did not exist.
With a token, a request must send ``Authorization: Bearer <ADMIN_TOKEN>``; the token is compared
in constant time (``hmac.compare_digest``), and a missing or wrong one is a 401 problem with
``WWW-Authenticate``. The export streams from ``storage.iter_all`` in batches, so its size does
not depend on memory; the first batch is read before the response starts, so a database that
cannot be reached is still a 503.
"""

from __future__ import annotations

import csv
import dataclasses
import hmac
import io
import itertools
import json
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request, stream_with_context
from flask_smorest import Api, abort
from marshmallow import Schema, fields

from .. import storage
from .assessments import UNAVAILABLE, private
from .blueprint import Blueprint
from .schemas import ProblemSchema

SECURITY_SCHEME = "adminToken"
ADMIN_TOKEN_MIN_LENGTH = 24
ADMIN_TOKEN_MIN_DISTINCT = 8
"""A token of `secrets.token_urlsafe(32)` has ~30 different characters; 'aaaa…' or 'abab…' has 1-2."""
REALM = 'Bearer realm="advisor-admin"'
COLUMNS = ("id", "label", "status", "lang", "created_at", "updated_at", "recommended",
           "ruleset_fingerprint", "answers")
FORMULA_START = frozenset("=+-@\t\r\n \u00a0\u3000\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet run a cell as a formula (CSV injection), directly or
after it trims them: the four operators, their full-width forms, tabs, line breaks and spaces
(also non-breaking). Cells starting with any whitespace or an invisible format character (BOM,
zero-width space/joiner, word joiner: Unicode category Cf) are guarded as well."""

blp = Blueprint(
    "api_v1_admin", __name__, url_prefix="/api/v1/admin",
    description="For the organisation running the service: export every stored assessment. "
    "Off unless ADMIN_TOKEN is configured; needs `Authorization: Bearer <ADMIN_TOKEN>`.",
)
blp.after_request(private)


class ExportedAssessmentSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    lang = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    recommended = fields.String(allow_none=True, required=True,
                                metadata={"description": "The recommended form; null for a draft."})
    ruleset_fingerprint = fields.String(required=True)
    answers = fields.Dict(required=True, metadata={"description": "The stored answers by question id."})


MAKE_A_TOKEN = "make one with python -c 'import secrets; print(secrets.token_urlsafe(32))'"


EXPORTED_EXAMPLE = {
    "id": "kQ3v7Xc0bW1sZp9mR2tL8yNf4hJd6GaE", "label": "Wijkaanpak Noord", "status": "complete", "lang": "nl",
    "created_at": "2026-11-30T09:12:44+00:00", "updated_at": "2026-11-30T09:12:44+00:00",
    "recommended": "informal", "ruleset_fingerprint": "5f7363e95e1e35fb91c8d2904dc038f6d7dd9ad56fd88ea665ab067a17feb75b",
    "answers": {"scope": "individual_cases", "horizon": "months"},
}
CSV_EXAMPLE = (",".join(COLUMNS) + "\r\n" + ",".join([
    "kQ3v7Xc0bW1sZp9mR2tL8yNf4hJd6GaE", "Wijkaanpak Noord", "complete", "nl", "2026-11-30T09:12:44+00:00",
    "2026-11-30T09:12:44+00:00", "informal", "5f7363e95e1e35fb91c8d2904dc038f6d7dd9ad56fd88ea665ab067a17feb75b",
    '"{""horizon"": ""months"", ""scope"": ""individual_cases""}"']) + "\r\n")


def check_admin_token(token: Any) -> str | None:
    """The configured token, or None (export off); raises ValueError saying why a token is weak."""
    if token in (None, ""):
        return None
    problem = weak_secret_problem(token)
    if problem is not None:
        raise ValueError(f"ADMIN_TOKEN {problem}")
    return token


def weak_secret_problem(token: Any) -> str | None:
    """Why `token` is too weak to be a bearer secret (admin token, API keys), or None."""
    if not isinstance(token, str):
        problem = f"must be text, not {type(token).__name__}"
    elif any(character.isspace() for character in token):
        problem = "must not contain whitespace (a space or line break copied with it?)"
    elif not token.isascii() or not token.isprintable():
        problem = "must be printable ASCII characters"
    elif len(token) < ADMIN_TOKEN_MIN_LENGTH:
        problem = f"must be at least {ADMIN_TOKEN_MIN_LENGTH} characters long (it has {len(token)})"
    elif len(set(token)) < ADMIN_TOKEN_MIN_DISTINCT:
        problem = (f"is guessable: it repeats {len(set(token))} different character(s); "
                   f"use at least {ADMIN_TOKEN_MIN_DISTINCT}")
    else:
        return None
    return f"{problem}; {MAKE_A_TOKEN}"


def admin_token_matches() -> bool:
    """Whether this request sends the configured token (compared in constant time, once per
    request: the failure limit asks too, to let a right token through however many were wrong)."""
    if "admin_token_matches" not in g:
        expected = current_app.config.get("ADMIN_TOKEN")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        g.admin_token_matches = bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8", "surrogateescape"), expected.encode("utf-8"))
    return g.admin_token_matches


@blp.before_request
def require_admin_token():
    """404 while the export is off; 401 unless the bearer token matches."""
    if not current_app.config.get("ADMIN_TOKEN"):
        abort(404)
    if not admin_token_matches():
        abort(401, message="Send the admin token as 'Authorization: Bearer <ADMIN_TOKEN>'.",
              headers={"WWW-Authenticate": REALM})


def export_row(summary: storage.Summary) -> dict[str, Any]:
    row = dataclasses.asdict(summary)
    row["created_at"] = summary.created_at.isoformat()
    row["updated_at"] = summary.updated_at.isoformat()
    return row


def _rows() -> Iterator[dict[str, Any]]:
    """Export rows; the first batch is read now, so database errors come before the response."""
    assessments = storage.iter_all()
    first = list(itertools.islice(assessments, 1))
    return (export_row(a) for a in itertools.chain(first, assessments))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return guard_cell(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return guard_cell(str(value))


def guard_cell(text: str) -> str:
    """The cell with a leading ' when a spreadsheet could read it as a formula (every column:
    ids, labels and answers alike)."""
    if text and (text[0] in FORMULA_START or text[0].isspace() or unicodedata.category(text[0]) == "Cf"):
        return "'" + text
    return text


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row[column]) for column in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
    yield "]"


def _download(chunks: Iterator[str], mimetype: str, extension: str) -> Response:
    name = f"assessments-{datetime.now(UTC):%Y%m%d-%H%M%S}.{extension}"
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


ADMIN_ERRORS = [
    (401, "No or a wrong admin token (`WWW-Authenticate: Bearer`)."),
    (404, "The export is off: no ADMIN_TOKEN is configured."),
]


WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "`Bearer`: send the admin token.",
                                          "schema": {"type": "string"}}}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}


def _document(view):
    for status, description in ADMIN_ERRORS:
        headers = WWW_AUTHENTICATE if status == 401 else None
        view = blp.alt_response(status, schema=ProblemSchema, description=description, headers=headers)(view)
    view = blp.alt_response(429, schema=ProblemSchema, headers=RETRY_AFTER,
                            description="Too many wrong tokens from this client (RATELIMIT_ADMIN_FAILURES).")(view)
    view = blp.problems(UNAVAILABLE)(view)
    return blp.doc(security=[{SECURITY_SCHEME: []}])(view)


@blp.route("/assessments.csv")
@blp.response(200, description="Every assessment, one row each; answers as JSON in the last column. "
              "Cells that a spreadsheet would run as a formula start with a '.",
              content_type="text/csv")
@blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}}}})
@_document
def export_csv():
    """Export every stored assessment as CSV (streamed)."""
    return _download(csv_lines(_rows()), "text/csv", "csv")


@blp.route("/assessments.json")
@blp.response(200, ExportedAssessmentSchema(many=True), description="Every assessment, oldest first.")
@blp.doc(responses={200: {"content": {"application/json": {"example": [EXPORTED_EXAMPLE]}}}})
@_document
def export_json():
    """Export every stored assessment as a JSON array (streamed)."""
    return _download(json_chunks(_rows()), "application/json", "json")


def register(app: Flask, api: Api) -> None:
    app.config["ADMIN_TOKEN"] = check_admin_token(app.config.get("ADMIN_TOKEN"))
    api.spec.components.security_scheme(SECURITY_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "The ADMIN_TOKEN configured for the service (the admin routes are off without it).",
    })
    api.register_blueprint(blp)
