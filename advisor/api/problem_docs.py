"""An apispec plugin: every problem-details error in the spec is ``application/problem+json``.

flask-smorest documents every response as ``application/json``, but the API sends its errors as
``application/problem+json`` (RFC 9457), and the contract tests hold the spec to what is sent.
Doing it while the spec is built covers every blueprint and the shared error responses alike,
without each route having to name the media type.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin

from .problems import PROBLEM_MIMETYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
JSON = "application/json"


def _as_problem(response: Any) -> None:
    content = response.get("content") if isinstance(response, dict) else None
    if content and set(content) == {JSON} and content[JSON].get("schema") == PROBLEM_REF:
        content[PROBLEM_MIMETYPE] = content.pop(JSON)


class ProblemMediaTypePlugin(BasePlugin):
    """Runs after the marshmallow plugin, when schemas have become ``$ref``s."""

    def response_helper(self, response: dict, **kwargs: Any) -> dict:
        _as_problem(response)
        return response

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                for response in (operation.get("responses") or {}).values():
                    _as_problem(response)
