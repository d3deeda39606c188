"""The versioned JSON API (``/api/v1``), built with flask-smorest so the OpenAPI spec comes from
the same marshmallow schemas that validate every request."""

from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from .problems import from_http_exception
from .schemas import ProblemSchema

API_PREFIX = "/api/"


class ProblemApi(Api):
    """flask-smorest's Api, answering errors as problem details (and keeping 405's Allow)."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        if error.response is not None:  # already answered (e.g. the rate limiter's 429)
            return error.response
        if not request.path.startswith(API_PREFIX):
            html_handler = self._app.extensions.get("advisor_html_errors")
            return html_handler(error) if html_handler else error
        return from_http_exception(error)


def register_api(app: Flask) -> ProblemApi:
    from . import views

    app.config.setdefault("API_TITLE", "Samenwerkingswijzer API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = ProblemApi(app, spec_kwargs={"info": {
        "description": "Advises which collaboration form fits a collaboration in the Dutch social "
        "domain, explains why, and warns about risks. Errors are RFC 9457 problem details.",
    }})
    api.register_blueprint(views.blp)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return api.handle_http_exception(InternalServerError())

    app.extensions["advisor_api"] = api
    return api
