"""Security headers on every response: a strict Content-Security-Policy and friends.

Scripts may only come from our own files (no inline scripts, no CDN), nothing may frame the
pages, and no Referer leaves the site (a resume link carries a secret in its path). The API docs
page (Swagger UI) sets inline styles and data: images, so paths under ``/api/`` get those two
relaxations; scripts stay 'self' everywhere. The embedded pages (``/embed/``) alone may be framed,
by the origins in ``FRAME_ANCESTORS`` (none: still 'none').
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from .header_names import present, set_default
from .web.embed import is_embed_path

BASE_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
API_DOCS_RELAXED: dict[str, str] = {
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
}
API_PREFIX = "/api/"


def _header(policy: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in policy.items())


PAGES_POLICY = _header(BASE_POLICY)
API_POLICY = _header({**BASE_POLICY, **API_DOCS_RELAXED})
"""Both header values, joined once: only the path decides which one a response gets."""


def embed_policy(origins: list[str]) -> str:
    """The policy of the embedded pages: the pages' own, framed only by `origins`."""
    return _header({**BASE_POLICY, "frame-ancestors": " ".join(origins) or "'none'"})


def content_security_policy(path: str) -> str:
    """The policy for a path, as a header value."""
    if path.startswith(API_PREFIX):
        return API_POLICY
    if is_embed_path(path):
        return current_app.extensions["advisor_embed_policy"]
    return PAGES_POLICY


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    names = present(headers)
    path = request.path
    set_default(headers, names, "Content-Security-Policy", content_security_policy(path))
    set_default(headers, names, "X-Content-Type-Options", "nosniff")
    # same-origin, not no-referrer: over HTTPS Flask-WTF refuses a form without a Referer from
    # this site, and the secret in a private link's path still never reaches another site.
    set_default(headers, names, "Referrer-Policy", "same-origin")
    if not is_embed_path(path):
        set_default(headers, names, "X-Frame-Options", "DENY")  # frame-ancestors' older twin; CSP decides for /embed/
    return response


def init_app(app: Flask) -> None:
    app.extensions["advisor_embed_policy"] = embed_policy(app.extensions.get("advisor_frame_ancestors", []))
    app.after_request(add_security_headers)
