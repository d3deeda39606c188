"""HTTP hardening that is not about one page: proxies, cookies and JSON parsing.

- Behind a reverse proxy, ``PROXY_COUNT`` (the number of proxies in front) makes Werkzeug's
  ProxyFix trust exactly that many ``X-Forwarded-*`` hops, so client addresses (rate limits)
  and the https scheme (secure cookies, absolute links) are right; without it nothing is trusted.
- Session cookies are HttpOnly and SameSite=Lax always (``advisor/config.py`` defaults), and
  Secure when ``SESSION_COOKIE_SECURE`` is set (do so behind HTTPS).
- JSON that nests too deeply makes Python's parser raise RecursionError, which Flask would turn
  into a 500; it is a 400 here like any other malformed body.
- ``PUBLIC_URL`` (``https://host[/prefix]``), when set, is where every absolute URL the app
  builds starts (``Location``, an assessment's private link, invitations): never the request's
  ``Host`` header, which a client or a misconfigured proxy chooses.
- Responses are encoded with orjson: an advice is ~19 KB of JSON, and the standard library's
  encoder took longer over it than the engine took to compute it. The values and the key order
  are those of Flask's own provider (sorted keys, dates as HTTP dates); non-ASCII text is sent as
  UTF-8 instead of ``\\u`` escapes. Whatever orjson cannot encode goes through Flask's encoder.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""Flask's conventions: sorted keys, and dates and dataclasses through its ``default``."""


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with a bounded parser and orjson's encoder."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON nests too deeply") from None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self.encode(obj, **kwargs).decode()

    def encode(self, obj: Any, **kwargs: Any) -> bytes:
        """`obj` as UTF-8 JSON, always compact unless indented by 2. Options orjson has no
        equivalent for (and values it cannot encode, such as integers beyond 64 bits) take
        Flask's encoder, so nothing is refused that Flask would have encoded."""
        indent = kwargs.get("indent")
        if indent in (None, 2) and kwargs.keys() <= {"indent", "separators"}:
            option = _ORJSON_OPTIONS | (orjson.OPT_INDENT_2 if indent else 0)
            try:
                return orjson.dumps(obj, default=self.default, option=option)
            except orjson.JSONEncodeError:
                pass
        return super().dumps(obj, **kwargs).encode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        pretty = self.compact is False or (self.compact is None and self._app.debug)
        body = self.encode(obj, indent=2) if pretty else self.encode(obj, separators=(",", ":"))
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def public_url_for(app: Flask, public_url: str):
    """``app.url_for`` whose external URLs start with `public_url` instead of the request's host."""
    build = app.url_for
    base = public_url.rstrip("/")

    def url_for(endpoint: str, *, _external: bool | None = None, **values: Any) -> str:
        external = _external if _external is not None else not has_request_context()
        if not external:
            return build(endpoint, _external=False, **values)
        values.pop("_scheme", None)
        path = build(endpoint, _external=False, **values)
        if has_request_context() and request.script_root and path.startswith(request.script_root):
            path = path[len(request.script_root):]
        return base + path

    return url_for


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    public_url = app.config.get("PUBLIC_URL")
    if public_url:
        app.url_for = public_url_for(app, public_url)  # type: ignore[method-assign]
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies)
