"""flask-smorest's Blueprint with a JSON parser that refuses deeply nested bodies with 400.

Python's JSON parser raises RecursionError on deep nesting and a plain ValueError on integers of
thousands of digits; webargs catches neither, so a crafted body would otherwise answer 500.
"""

from __future__ import annotations

import json
import typing

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser


class SafeJSONParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as exc:
            reason = "the JSON nests too deeply" if isinstance(exc, RecursionError) else str(exc)
            error = json.JSONDecodeError(reason, "", 0)
            return self._handle_invalid_json_error(error, req)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJSONParser()
