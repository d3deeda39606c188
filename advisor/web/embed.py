"""Embed mode: the questionnaire inside a municipality's own portal, in an ``<iframe>``.

The page blueprints are registered a second time under ``/embed``; their pages then leave out
the site header and footer, and only they may be framed, by the origins in ``FRAME_ANCESTORS``
(``advisor.security`` writes the CSP). Links and redirects stay inside ``/embed``: ``url_for``
maps an endpoint of a page blueprint to its embedded twin while an embedded page is handled, so
the views and templates need not know they are framed. ``static/js/embed.js`` posts the page
height to the parent window (no inline script), where ``static/js/embed-parent.js`` sizes the frame.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import flask
from flask import has_request_context, request
from werkzeug.datastructures import Headers

from ..header_names import add_in_one_pass

EMBED_PREFIX = "/embed"
EMBEDDED_BLUEPRINTS = {"web": "embed", "collaboration_pages": "embed_collaboration"}
"""Each page blueprint and the name of its twin under ``/embed``."""


class FrameAncestorsError(ValueError):
    """A ``FRAME_ANCESTORS`` entry that is not an origin; raised when the app starts."""


def is_embed_path(path: str) -> bool:
    return path == EMBED_PREFIX or path.startswith(EMBED_PREFIX + "/")


def is_embedded() -> bool:
    """Whether the current request is for an embedded page."""
    return has_request_context() and is_embed_path(request.path)


def origin(value: Any) -> str:
    """One ``FRAME_ANCESTORS`` entry as ``scheme://host[:port]``; anything else stops the start.

    Only origins are accepted (no paths, wildcards or CSP keywords), so a setting can neither
    widen the policy by accident nor inject another directive into the header.
    """
    text = str(value).strip()
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or parts.password
            or any(char in text for char in " ;,'\"*")):
        raise FrameAncestorsError(
            f"FRAME_ANCESTORS entries must be origins like https://www.gemeente.nl, got {text!r}")
    try:
        port = parts.port
    except ValueError:
        raise FrameAncestorsError(f"FRAME_ANCESTORS entry {text!r} has an invalid port") from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def frame_ancestors(values: Any) -> list[str]:
    return [origin(value) for value in values or []]


def embedded_endpoint(endpoint: str) -> str:
    """The endpoint to build while an embedded page is handled: a page's twin under ``/embed``."""
    if not is_embedded() or request.blueprint not in EMBEDDED_BLUEPRINTS.values():
        return endpoint
    blueprint, dot, view = endpoint.partition(".")
    twin = EMBEDDED_BLUEPRINTS.get(blueprint)
    return f"{twin}.{view}" if dot and twin else endpoint


class Flask(flask.Flask):
    """Flask whose ``url_for`` keeps an embedded page's links and redirects inside ``/embed``.

    Full URLs (``_external=True``) are the links made to be shared, such as a private link or a
    collaboration's invitation: those lead to the full site, outside anyone's frame.
    """

    def url_for(self, endpoint: str, *args: Any, **values: Any) -> str:  # type: ignore[override]
        if not values.get("_external"):
            endpoint = embedded_endpoint(endpoint)
        return super().url_for(endpoint, *args, **values)


def cookies_for_a_frame(req: flask.Request, response: flask.Response, headers: Headers, names: set[str]) -> None:
    """Over HTTPS an embedded page's cookies (the language) must be ``SameSite=None; Secure``:
    inside another site's frame the browser sends no Lax cookie. The session cookie is set
    later, by ``advisor.sessions``, the same way."""
    if "set-cookie" not in names or not (is_embed_path(req.path) and req.is_secure):
        return
    headers.setlist("Set-Cookie", [_cross_site(cookie) for cookie in headers.getlist("Set-Cookie")])


def _cross_site(cookie: str) -> str:
    parts = [part for part in cookie.split("; ") if not part.lower().startswith(("samesite=", "secure"))]
    return "; ".join([*parts, "Secure", "SameSite=None"])


def register(app: flask.Flask, blueprints: list[flask.Blueprint]) -> None:
    """Register the embedded twins of the page blueprints and what their templates need."""
    app.extensions["advisor_frame_ancestors"] = frame_ancestors(app.config.get("FRAME_ANCESTORS"))
    for blueprint in blueprints:
        app.register_blueprint(blueprint, name=EMBEDDED_BLUEPRINTS[blueprint.name],
                               url_prefix=EMBED_PREFIX + (blueprint.url_prefix or ""))

    add_in_one_pass(app, cookies_for_a_frame)

    @app.context_processor
    def embed_context() -> dict[str, Any]:
        embedded = is_embedded()
        return {"embedded": embedded,
                "embed_origins": " ".join(app.extensions["advisor_frame_ancestors"]) if embedded else ""}
