"""The manager's pages: server-rendered, bilingual, with CSRF protection and HTML error pages.

``init_app`` wires Flask-Babel, Flask-WTF's CSRFProtect (every form outside ``/api/``), the
HTML error pages and the page blueprint into an app.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import Headers

from ..header_names import add_in_one_pass, set_default

from . import collaborations, embed, errors, i18n, site, statements, wording
from .views import bp

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    # CSRFProtect checks only where we ask: every unsafe request outside the JSON API, so
    # API blueprints added later are exempt without being listed one by one.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)

    @app.before_request
    def protect_forms() -> None:
        if request.method in UNSAFE_METHODS and not request.path.startswith(API_PREFIX):
            csrf.protect()

    shareable = (API_PREFIX, f"{app.static_url_path}/")

    def private_pages(req: Request, response: Response, headers: Headers, names: set[str]) -> None:
        """Pages hold someone's answers: no shared cache may keep them (static files may)."""
        if not req.path.startswith(shareable):
            set_default(headers, names, "Cache-Control", "no-store")

    add_in_one_pass(app, private_pages)

    i18n.init_app(app)
    wording.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(collaborations.bp)
    site.init_app(app)
    app.register_blueprint(statements.bp)
    embed.register(app, [bp, collaborations.bp])
