"""Optional CORS for browser-based platforms: off unless ``CORS_ORIGINS`` names allowed origins.

Applied to ``/api/*`` only; the HTML pages stay same-origin. Browsers may read the headers a
platform needs (``EXPOSED_HEADERS``: the rule set, the version, where a new record lives, and
when to try again after a 429). A preflight lists only the methods the path has (flask-cors
would list every method it knows), and every API response varies by ``Origin``, so a cache
never hands one origin's CORS answer to another.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

EXPOSED_HEADERS = ["Advisor-Ruleset", "Location", "API-Version", "Content-Language", "Retry-After",
                   "RateLimit", "RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]


def init_cors(app: Flask) -> bool:
    """Enable CORS for the configured origins; returns whether it is on."""
    origins = list(app.config.get("CORS_ORIGINS") or [])
    if not origins:
        return False
    @app.after_request  # registered first, so it runs after flask-cors's own hook
    def existing_methods_only(response: Response) -> Response:
        if not request.path.startswith("/api/"):
            return response
        response.vary.add("Origin")
        if request.method == "OPTIONS" and "Access-Control-Allow-Methods" in response.headers:
            response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted(path_methods(app)))
        return response

    CORS(app, resources={r"/api/*": {"origins": origins}}, expose_headers=EXPOSED_HEADERS,
         supports_credentials=False, vary_header=True)

    return True


def path_methods(app: Flask) -> set[str]:
    """The methods the request's path answers to (OPTIONS included, HEAD with GET)."""
    adapter = app.url_map.bind_to_environ(request.environ)
    try:
        return set(adapter.allowed_methods(request.path)) or {"OPTIONS"}
    except HTTPException:
        return {"OPTIONS"}
