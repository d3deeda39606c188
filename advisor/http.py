"""HTTP hardening that is not about one page: proxies, cookies and JSON parsing.

- Behind a reverse proxy, ``PROXY_COUNT`` (the number of proxies in front) makes Werkzeug's
  ProxyFix trust exactly that many ``X-Forwarded-*`` hops, so client addresses (rate limits)
  and the https scheme (secure cookies, absolute links) are right; without it nothing is trusted.
- Session cookies are HttpOnly and SameSite=Lax always, and Secure when ``SESSION_COOKIE_SECURE``
  is set (do so behind HTTPS).
- JSON that nests too deeply makes Python's parser raise RecursionError, which Flask would turn
  into a 500; it is a 400 here like any other malformed body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix


class SafeJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON nests too deeply") from None


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies)
