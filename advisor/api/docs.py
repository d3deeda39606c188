"""The offline API page at /api/v1/docs: Swagger UI from the flask-swagger-ui package.

flask-smorest renders the page (``OPENAPI_SWAGGER_UI_PATH``); its own template loads Swagger UI
from a URL of our choosing but starts it with an inline ``<script>``, which a strict
Content-Security-Policy forbids. So the page is our template, Swagger UI's files are served from
the installed package (no CDN, works offline) and an external script starts it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Flask, render_template, send_from_directory

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
DOCS_PREFIX = "/api/v1/docs"

bp = Blueprint("api_docs_files", __name__, url_prefix=DOCS_PREFIX,
               template_folder="templates", static_folder="static")


@bp.route("/assets/<path:filename>")
def swagger_ui_asset(filename: str):
    """Swagger UI's bundled files, straight from the installed package."""
    return send_from_directory(SWAGGER_UI_DIST, filename)


def configure(app: Flask) -> None:
    """Point flask-smorest's Swagger UI page at /api/v1/docs and its files at our route."""
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", f"{DOCS_PREFIX}/assets/")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def render_swagger_ui(*, title: str, spec_url: str, swagger_ui_url: str,
                      swagger_ui_config: dict[str, Any]) -> str:
    """The docs page: no inline script, no inline style, nothing loaded from outside the app."""
    return render_template("api_docs/swagger_ui.html", title=title, spec_url=spec_url,
                           swagger_ui_url=swagger_ui_url, swagger_ui_config=swagger_ui_config)
