"""Flask's cookie session, without its per-request cost when a request carries no session.

Flask builds an itsdangerous serializer (key derivation, a JSON probe) in ``open_session`` on
every request, even when there is no session cookie to read, which is every API call. This
interface skips that work until a cookie is present; the sessions themselves are unchanged.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class LazySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
