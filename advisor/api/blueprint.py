"""flask-smorest's Blueprint with a JSON parser that refuses deeply nested bodies with 400.

Python's JSON parser raises RecursionError on deep nesting and a plain ValueError on integers of
thousands of digits; webargs catches neither, so a crafted body would otherwise answer 500.
"""

from __future__ import annotations

import json
import typing

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser, abort


class SafeJSONParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        try:
            return super()._raw_load_json(req)
        except (RecursionError, ValueError) as exc:
            if isinstance(exc, RecursionError):
                reason = "the JSON nests too deeply"
            elif isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
                return self._handle_invalid_json_error(exc, req)
            else:  # int() refuses numbers of thousands of digits
                reason = "a number has more digits than any answer can have"
            return self._handle_invalid_json_error(json.JSONDecodeError(reason, "", 0), req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        """Say why the body is not JSON, and where ("Expecting ',' delimiter: line 1 column 9")."""
        if isinstance(error, json.JSONDecodeError):
            where = f" at line {error.lineno} column {error.colno}" if error.doc else ""
            reason = f"{error.msg}{where}"
        else:
            reason = "the body is not UTF-8 text"
        abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}."]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJSONParser()
