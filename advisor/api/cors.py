"""Optional CORS for browser-based platforms: off unless ``CORS_ORIGINS`` names allowed origins.

Applied to ``/api/*`` only; the HTML pages stay same-origin. Browsers may read the
``Advisor-Ruleset`` and ``Location`` headers of cross-origin responses.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

EXPOSED_HEADERS = ["Advisor-Ruleset", "Location"]


def init_cors(app: Flask) -> bool:
    """Enable CORS for the configured origins; returns whether it is on."""
    origins = list(app.config.get("CORS_ORIGINS") or [])
    if not origins:
        return False
    CORS(app, resources={r"/api/*": {"origins": origins}}, expose_headers=EXPOSED_HEADERS,
         supports_credentials=False, vary_header=True)
    return True
