"""Security headers on every response: a strict Content-Security-Policy and friends.

Scripts may only come from our own files (no inline scripts, no CDN), nothing may frame the
pages, and no Referer leaves the site (a resume link carries a secret in its path). The API docs
page (Swagger UI) sets inline styles and data: images, so paths under ``/api/`` get those two
relaxations; scripts stay 'self' everywhere. The embedded pages (``/embed/``) alone may be framed,
by the origins in ``FRAME_ANCESTORS`` (none: still 'none').
"""

from __future__ import annotations

from flask import Flask, Request, Response, current_app
from werkzeug.datastructures import Headers

from .header_names import add_in_one_pass
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


def _fixed(*pairs: tuple[str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((name.lower(), name, value) for name, value in pairs)


# same-origin, not no-referrer: over HTTPS Flask-WTF refuses a form without a Referer from
# this site, and the secret in a private link's path still never reaches another site.
# X-Frame-Options is frame-ancestors' older twin; the CSP alone decides for /embed/.
API_HEADERS = _fixed(("Content-Security-Policy", API_POLICY), ("X-Content-Type-Options", "nosniff"),
                     ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))
PAGES_HEADERS = _fixed(("Content-Security-Policy", PAGES_POLICY), ("X-Content-Type-Options", "nosniff"),
                       ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))
"""Each response's security headers (unless it set one itself), as (lower-cased name, name,
value), joined once: only the path decides which set a response gets."""


def embed_headers(policy: str) -> tuple[tuple[str, str, str], ...]:
    return _fixed(("Content-Security-Policy", policy), ("X-Content-Type-Options", "nosniff"),
                  ("Referrer-Policy", "same-origin"))


def add_security_headers(req: Request, response: Response, headers: Headers, names: set[str]) -> None:
    path = req.path
    if path.startswith(API_PREFIX):
        fixed = API_HEADERS
    elif is_embed_path(path):
        fixed = current_app.extensions["advisor_embed_headers"]
    else:
        fixed = PAGES_HEADERS
    for lowered, name, value in fixed:
        if lowered not in names:
            headers.add(name, value)
            names.add(lowered)


def init_app(app: Flask) -> None:
    policy = app.extensions["advisor_embed_policy"] = embed_policy(app.extensions.get("advisor_frame_ancestors", []))
    app.extensions["advisor_embed_headers"] = embed_headers(policy)
    add_in_one_pass(app, add_security_headers)
