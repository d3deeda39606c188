"""An apispec plugin documenting the errors every route shares, whichever blueprint declared it.

- flask-smorest documents every response as ``application/json``, but the API sends its errors
  as ``application/problem+json`` (RFC 9457): responses with the Problem schema get that type.
- The rate limits (``advisor/limits.py``) count every write and every advice, so every POST,
  PUT, PATCH and DELETE documents the 429 with ``Retry-After`` it can give, and the IETF
  ``RateLimit-Policy`` / ``RateLimit`` headers on each of its responses.
- The paths are relative to the spec's server URL ``/api/v1`` (ADR /core/uri-version), every
  operation has an ``operationId`` (its view's name in camelCase) for client generators, every
  2xx/3xx declares ``API-Version`` (and ``Advisor-Ruleset``, ``Content-Language`` where sent),
  and every operation the 406 that ``advisor/api/adr.py`` gives for an ``Accept`` without JSON.

Done while the spec is built, so new routes are covered without repeating it per route; the
contract tests hold the spec to what is sent.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from apispec import BasePlugin
from werkzeug.routing import Rule

from .problems import PROBLEM_MIMETYPE

BAD_BODY = {400: "The body is not valid JSON.", 413: "The body is larger than allowed.",
            415: "The body is not JSON."}
"""What every route that takes a JSON body can answer before its fields are read."""
UNKNOWN_LANGUAGE = {422: "Unknown language."}

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
JSON = "application/json"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
TOO_MANY_REQUESTS = {
    "description": "Too many writes (or advice requests) from this client; try again after "
                   "Retry-After seconds.",
    "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer"}}},
    "content": {PROBLEM_MIMETYPE: {"schema": PROBLEM_REF}},
}
RATELIMIT_HEADERS = {
    "RateLimit-Policy": {
        "description": "The limits of this client's class (IETF draft-ietf-httpapi-ratelimit-headers), "
                       'one item per window: `"advice-60s";q=600;w=60` (q requests per w seconds). '
                       "Classes: `writes` (every write, one budget) and `advice`.",
        "schema": {"type": "string"}},
    "RateLimit": {
        "description": 'What is left of each policy: `"advice-60s";r=599;t=42` (r requests left, '
                       "the window resets in t seconds).",
        "schema": {"type": "string"}},
}


API_BASE = "/api/v1"
NO_RULESET_PATHS = ("/admin/",)
NOT_ACCEPTABLE = {
    "description": "The Accept header excludes every type this operation sends.",
    "content": {PROBLEM_MIMETYPE: {"schema": PROBLEM_REF}},
}
API_VERSION_HEADER = {"description": "The API's full semantic version (major.minor.patch).",
                      "schema": {"type": "string", "example": "1.1.0"}}
RULESET_HEADER = {"description": "Fingerprint of the rule set the answer depends on.",
                  "schema": {"type": "string"}}



def operation_id(endpoint: str) -> str:
    """``api_v1_assessments.read_assessment`` -> ``readAssessment``."""
    first, *rest = endpoint.rsplit(".", 1)[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


def _as_problem(response: Any) -> None:
    content = response.get("content") if isinstance(response, dict) else None
    if content and set(content) == {JSON} and content[JSON].get("schema") == PROBLEM_REF:
        content[PROBLEM_MIMETYPE] = content.pop(JSON)


class ProblemDocsPlugin(BasePlugin):
    """Runs after the marshmallow plugin, when schemas have become ``$ref``s."""

    def response_helper(self, response: dict, **kwargs: Any) -> dict:
        _as_problem(response)
        return response

    def path_helper(self, path: str | None = None, rule: Rule | None = None, **kwargs: Any) -> str | None:
        if path and path.startswith(API_BASE + "/"):
            return path.removeprefix(API_BASE)
        return None

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         rule: Rule | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            if rule is not None:
                operation.setdefault("operationId", operation_id(rule.endpoint))
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                _as_problem(response)
                if str(status)[0] in "23" and isinstance(response, dict):
                    self._success_headers(path or "", response)
            responses.setdefault("406", deepcopy(NOT_ACCEPTABLE))
            if method in WRITE_METHODS:
                responses.setdefault("429", deepcopy(TOO_MANY_REQUESTS))
                for response in responses.values():
                    if isinstance(response, dict) and "$ref" not in response:
                        headers = response.setdefault("headers", {})
                        for name, header in RATELIMIT_HEADERS.items():
                            headers.setdefault(name, deepcopy(header))

    @staticmethod
    def _success_headers(path: str, response: dict) -> None:
        headers = response.setdefault("headers", {})
        headers.setdefault("API-Version", API_VERSION_HEADER)
        if not path.startswith(NO_RULESET_PATHS):
            headers.setdefault("Advisor-Ruleset", RULESET_HEADER)
