"""Versions on the wire: ``ETag`` out, ``If-Match`` in, ``Idempotency-Key`` on creates.

Every stored assessment, response and collaboration has a version (``advisor.storage``); its
ETag is that number as a strong entity tag (``"3"``). A PATCH or DELETE with ``If-Match`` is
carried out only while the stored version is one of those named (``*``: any); otherwise 412
with the current ETag. Without ``If-Match`` writes work as before: changes to different answers
are merged atomically, the last change to the same answer wins.

A create sent with ``Idempotency-Key`` is made once: the same key with the same body answers
the first record again (``Idempotent-Replayed: true``), with another body 409.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, request
from flask_smorest import Api, abort
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Conflict

from ..reasons import N_
from ..storage import concurrency, idempotency
from ..storage.service import AnswerConflict

IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "The ETag of the version this change was made on (from a GET or an earlier write). "
                   "When another version is stored now, nothing is changed and the answer is 412 with "
                   "the current ETag. Without it the change is applied to whatever is stored.",
}
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.KEY_MAX, "pattern": "^[!-~]+$"},
    "description": "A key of your choosing (a UUID) to make a retried create safe: the same key with the "
                   f"same body within {idempotency.KEEP_HOURS} hours answers the record the first request "
                   "made (with `Idempotent-Replayed: true`), never a second one; with another body it is a 409.",
}
ETAG = {"ETag": {"description": "The stored version: send it back in `If-Match` to change exactly this version.",
                 "schema": {"type": "string"}}}
CREATED_HEADERS = {
    **ETAG,
    "Idempotent-Replayed": {"description": "`true` when this answers a retried create (same Idempotency-Key).",
                            "schema": {"type": "string", "enum": ["true"]}},
}
STALE = {412: "If-Match names another version than the stored one: nothing was changed."}
CONFLICT = {409: "The write collided with a concurrent one; read again and retry."}
KEY_REUSED = {409: "The Idempotency-Key was used before with another body (or the record it made was "
                   "erased since), or the write collided with a concurrent one."}


VERSION_TAG = re.compile(r"[0-9]{1,18}")
"""What our entity tags hold: a version number (ASCII digits: ``isdigit`` accepts ``²``)."""


def etag(version: int) -> str:
    return f'"{version}"'


def etag_header(version: int) -> dict[str, str]:
    return {"ETag": etag(version)}


def expected_versions() -> frozenset[int] | None:
    """The versions If-Match allows; None when it allows any (absent, or ``*``). A weak tag never
    matches (RFC 9110 compares If-Match strongly), nor does a tag that is not one of ours."""
    condition = request.if_match
    if not request.headers.get("If-Match") or condition.star_tag:
        return None
    return frozenset(int(tag) for tag in condition.as_set() if isinstance(tag, str) and VERSION_TAG.fullmatch(tag))


def request_key(scope: str, body: Any) -> idempotency.RequestKey | None:
    """The Idempotency-Key of this request bound to `scope` and the body; 400 for a bad key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not idempotency.valid_key(key):
        abort(400, message=N_("Idempotency-Key must be 1 to {max} visible ASCII characters.").format(max=idempotency.KEY_MAX),
              errors={"Idempotency-Key": [N_("1 to {max} visible ASCII characters, e.g. a UUID").format(max=idempotency.KEY_MAX)]})
    return idempotency.RequestKey.of(scope, key, body)


REPLAYED = {"Idempotent-Replayed": "true"}


@contextmanager
def write_problems() -> Iterator[None]:
    """The storage's refusals of a write as problem details: 412 and 409."""
    try:
        yield
    except concurrency.VersionMismatch as exc:
        abort(412, message="This was changed since the version named in If-Match: read it again, "
                           "then apply your change to the current version.",
              headers=etag_header(exc.current), current_version=exc.current)
    except AnswerConflict as exc:
        abort(409, message="Someone else changed these answers meanwhile.",
              errors={f"answers.{qid}": [N_("now {stored!r}, not what you last saw").format(stored=stored)] for qid, (stored, _) in
                      exc.conflicts.items()})
    except concurrency.WriteConflict:
        abort(409, message="This collided with a change made at the same moment: read it again and retry.")
    except idempotency.KeyReused:
        abort(409, message="This Idempotency-Key was used before with another body: use a new key for "
                           "a new request.",
              errors={"Idempotency-Key": [N_("used before with another body")]})


def register_error_handlers(app: Flask, api: Api) -> None:
    """Whatever integrity conflict reaches the app (a uniqueness or foreign-key rule broken by a
    concurrent write) is a 409 problem on every database, never a 500."""

    def integrity_conflict(error: Exception):
        app.logger.info("integrity conflict: %s", type(error).__name__)
        return api.handle_http_exception(Conflict(
            description="This collided with a change made at the same moment: read it again and retry."))

    for error_class in (IntegrityError, StaleDataError, concurrency.WriteConflict):
        app.register_error_handler(error_class, integrity_conflict)
