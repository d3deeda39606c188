"""flask-smorest's Blueprint with a JSON parser that refuses deeply nested bodies with 400, and
problem-details errors documented with their real media type.

Python's JSON parser raises RecursionError on deep nesting and a plain ValueError on integers of
thousands of digits; webargs catches neither, so a crafted body would otherwise answer 500.
flask-smorest documents every response as ``application/json``; our errors are sent as
``application/problem+json``, and a contract test (schemathesis) holds the spec to what is sent.
"""

from __future__ import annotations

import json
import typing

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser

from .problems import PROBLEM_MIMETYPE
from .schemas import ProblemSchema


class SafeJSONParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as exc:
            reason = "the JSON nests too deeply" if isinstance(exc, RecursionError) else str(exc)
            error = json.JSONDecodeError(reason, "", 0)
            return self._handle_invalid_json_error(error, req)


def _is_problem(schema: typing.Any) -> bool:
    return schema is ProblemSchema or isinstance(schema, ProblemSchema)


class Blueprint(flask_smorest.Blueprint):
    """``alt_response(status, schema=ProblemSchema)`` is documented as ``application/problem+json``
    unless another content type is named."""

    ARGUMENTS_PARSER = SafeJSONParser()

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kwargs):
        if content_type is None and _is_problem(schema):
            content_type = PROBLEM_MIMETYPE
        return super().alt_response(status_code, response, schema=schema, content_type=content_type,
                                    **kwargs)
