"""The versioned JSON API (``/api/v1``), built with flask-smorest so the OpenAPI spec comes from
the same marshmallow schemas that validate every request."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from . import cors, docs
from .answers_spec import document_answers
from .problem_docs import ProblemDocsPlugin
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

    def _openapi_swagger_ui(self):
        """The docs page from our template: no inline script (see advisor/api/docs.py)."""
        return docs.render_swagger_ui(
            title=self.spec.title,
            spec_url=url_for(f"{self._make_doc_blueprint_name()}.openapi_json"),
            swagger_ui_url=self._swagger_ui_url,
            swagger_ui_config=self.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}),
        )


def register_api(app: Flask) -> ProblemApi:
    from . import admin, assessments, collaborations, packschema, preconditions, views

    app.config.setdefault("API_TITLE", "Samenwerkingswijzer API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    docs.configure(app)
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [ProblemDocsPlugin()], "info": {
        "description": "Advises which collaboration form fits a collaboration in the Dutch social "
        "domain, explains why, and warns about risks. Errors are RFC 9457 problem details.",
    }})
    document_answers(api.spec, api.ma_plugin.converter, app.extensions["advisor"].engine)
    api.register_blueprint(views.blp)
    api.register_blueprint(assessments.blp)
    api.register_blueprint(collaborations.blp)
    api.register_blueprint(collaborations.invitations)
    api.register_blueprint(packschema.blp)
    assessments.register_error_handlers(app, api)
    preconditions.register_error_handlers(app, api)
    admin.register(app, api)
    docs.register(app)
    cors.init_cors(app)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return api.handle_http_exception(InternalServerError())

    app.extensions["advisor_api"] = api
    return api
