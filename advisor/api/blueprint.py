"""The API's flask-smorest Blueprint: documents problem-details errors with their real media type.

flask-smorest documents every response as ``application/json``; our errors are sent as
``application/problem+json``, and a contract test (schemathesis) holds the spec to what is sent.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from .problems import PROBLEM_MIMETYPE
from .schemas import ProblemSchema


def _is_problem(schema: Any) -> bool:
    return schema is ProblemSchema or isinstance(schema, ProblemSchema)


class ProblemBlueprint(Blueprint):
    """A Blueprint whose ``alt_response(status, schema=ProblemSchema)`` is documented as
    ``application/problem+json`` unless another content type is named."""

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kwargs):
        if content_type is None and _is_problem(schema):
            content_type = PROBLEM_MIMETYPE
        return super().alt_response(status_code, response, schema=schema, content_type=content_type,
                                    **kwargs)
