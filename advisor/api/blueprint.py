"""flask-smorest's Blueprint with a JSON parser that refuses bodies that are not strict JSON.

Python's JSON parser accepts duplicate keys and NaN (refused here, see ``strictjson``), raises
RecursionError on deep nesting and a plain ValueError on integers of thousands of digits;
webargs catches neither, so a crafted body would otherwise answer 500 or lose data.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping

import flask
import flask_smorest
from marshmallow import Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from . import strictjson


class SafeJSONParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        """The body as strict JSON (``advisor/api/strictjson.py``): duplicate keys, NaN and
        Infinity are a 400 like any malformed body."""
        if not is_json_request(req):
            return core.missing
        try:
            return strictjson.loads(req.get_data(cache=True))
        except (RecursionError, ValueError) as exc:
            return self._handle_invalid_json_error(exc, req)

    def _handle_invalid_json_error(self, error, req, *args, **kwargs) -> typing.NoReturn:
        """Say why the body is not JSON, and where ("Expecting ',' delimiter at line 1 column 9"),
        as a reason the problem details say in the request's language."""
        abort(400, exc=error, messages={"json": [strictjson.invalid_body(error)]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJSONParser()

    def json_body(self, schema: Schema, *, load: Callable[[typing.Any], typing.Any] | None = None
                  ) -> Callable[[typing.Callable], typing.Callable]:
        """``arguments(schema)`` for a JSON body: documented by flask-smorest exactly as that,
        and loaded the way webargs loads it (the same strict parser, the same 400 and 422 with
        the same messages), but in one call instead of webargs' and flask-smorest's layers of
        wrappers, argument resolution and coroutine checks (~100 µs of an advice request).

        The view gets the loaded body as its last positional argument, as with ``arguments``.
        `load` replaces ``schema.load`` (a short path with the same result, ``fastload.py``);
        its ValidationErrors are answered as the schema's.
        """
        parser = self.ARGUMENTS_PARSER
        load_body = load or schema.load
        documented = self.arguments(schema)

        def decorator(view: typing.Callable) -> typing.Callable:
            spec_only = documented(view)

            @functools.wraps(view)
            def load_body_then_view(*args: typing.Any, **kwargs: typing.Any) -> typing.Any:
                request = flask.request._get_current_object()  # type: ignore[attr-defined]
                data = parser._raw_load_json(request)
                try:
                    body = load_body({} if data is core.missing else data)
                except ValidationError as error:
                    parser._on_validation_error(error, request, schema, "json",
                                                error_status_code=None, error_headers=None)
                return view(*args, body, **kwargs)

            load_body_then_view._apidoc = spec_only._apidoc  # type: ignore[attr-defined]
            return load_body_then_view

        return decorator

    def sends(self, status_code: int, schema: Schema, **documented: typing.Any
              ) -> Callable[[typing.Callable], typing.Callable]:
        """``response(status_code, schema, ...)`` for a view that returns its own Response (the
        advice, already in its wire form): documented by flask-smorest exactly as that, but the
        view is not wrapped: for a Response the wrapper only unpacks and re-sets what the view
        returned, on every request."""
        documenting = self.response(status_code, schema, **documented)

        def decorator(view: typing.Callable) -> typing.Callable:
            view._apidoc = documenting(view)._apidoc  # type: ignore[attr-defined]
            return view

        return decorator

    def problems(self, *documented: Mapping[int, str]) -> Callable[[typing.Callable], typing.Callable]:
        """Document the problem-details errors a route answers: {status: description, ...}.

        One ``alt_response`` per status, but only for the spec: each would wrap the view in a
        layer that re-checks on every request whether the view is a coroutine, while the
        documentation lives in ``_apidoc``; the view itself carries it just as well.
        """
        from .schemas import ProblemSchema

        def decorator(view: typing.Callable) -> typing.Callable:
            documenting = view
            for described in documented:
                for status, description in described.items():
                    documenting = self.alt_response(status, schema=ProblemSchema,
                                                    description=description)(documenting)
            view._apidoc = documenting._apidoc  # type: ignore[attr-defined]
            return view

        return decorator
