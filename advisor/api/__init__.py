"""The versioned JSON API (``/api/v1``), built with flask-smorest so the OpenAPI spec comes from
the same marshmallow schemas that validate every request."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from . import adr, cors, docs, problem_types, spec_examples, spec_polish
from .answers_spec import document_answers
from .problem_docs import ProblemDocsPlugin
from .problems import from_http_exception
from .schemas import ProblemSchema

API_PREFIX = "/api/"
API_BASE = "/api/v1"
"""The server URL of the spec; its paths are relative to it (ADR /core/uri-version)."""


CONFIG_DEFAULTS = {
    "PUBLIC_URL": None,           # https://host[/prefix]: absolute URLs and the spec's server from it
    "API_CONTACT_NAME": None,     # info.contact (ADR): name, email, url of the team running it
    "API_CONTACT_EMAIL": None,
    "API_CONTACT_URL": None,
    "BATCH_MAX_CONTENT_LENGTH": 64 * 1024 * 1024,   # bytes of one batch (JSON or NDJSON)
    "BATCH_NDJSON_MAX_ITEMS": 100_000,
    "BATCH_ITEMS_PER_REQUEST": 100,   # a batch weighs ceil(items / this) requests on the rate limits
}


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


def contact(app: Flask) -> dict[str, str]:
    """``info.contact`` from ``API_CONTACT_NAME``/``_EMAIL``/``_URL`` (the ADR asks for all three;
    the URL defaults to the docs page)."""
    public = (app.config.get("PUBLIC_URL") or "").rstrip("/")
    found = {"name": app.config.get("API_CONTACT_NAME") or "Samenwerkingswijzer",
             "email": app.config.get("API_CONTACT_EMAIL"),
             "url": app.config.get("API_CONTACT_URL") or (f"{public}{docs.DOCS_PREFIX}" if public else None)}
    return {key: value for key, value in found.items() if value}


def register_api(app: Flask) -> ProblemApi:
    from . import admin, assessments, batch, collaborations, packschema, preconditions, views

    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("API_TITLE", "Samenwerkingswijzer API")
    app.config.setdefault("API_VERSION", adr.API_SEMVER)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    docs.configure(app)
    public = (app.config.get("PUBLIC_URL") or "").rstrip("/")
    api = ProblemApi(app, spec_kwargs={
        "extra_plugins": [ProblemDocsPlugin()],
        "servers": [{"url": f"{public}{API_BASE}", "description": "This service, version 1."}],
        "info": {
            "description": "Advises which collaboration form fits a collaboration in the Dutch "
            "social domain, explains why, and warns about risks. Errors are RFC 9457 problem "
            f"details with a stable `type` per class of error ({problem_types.PROBLEMS_PREFIX}).",
            "contact": contact(app),
        }})
    document_answers(api.spec, api.ma_plugin.converter, app.extensions["advisor"].engine)
    api.register_blueprint(views.blp)
    api.register_blueprint(batch.blp)
    api.register_blueprint(assessments.blp)
    api.register_blueprint(collaborations.blp)
    api.register_blueprint(collaborations.invitations)
    api.register_blueprint(packschema.blp)
    assessments.register_error_handlers(app, api)
    preconditions.register_error_handlers(app, api)
    admin.register(app, api)
    engine = app.extensions["advisor"].engine
    spec_polish.polish(api.spec, form_ids=[f.id for f in sorted(engine.forms.values(), key=lambda f: f.order)],
                       languages=list(app.config["LANGUAGES"]))
    spec_examples.attach(api.spec, app, engine)
    docs.register(app)
    app.register_blueprint(problem_types.bp)
    adr.init_app(app)
    cors.init_cors(app)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return api.handle_http_exception(InternalServerError())

    app.extensions["advisor_api"] = api
    return api
