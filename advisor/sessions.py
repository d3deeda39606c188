"""Flask's cookie session, without its per-request cost when a request carries no session.

Flask builds an itsdangerous serializer (key derivation, a JSON probe) in ``open_session`` on
every request, even when there is no session cookie to read, which is every API call. This
interface skips that work until a cookie is present; the sessions themselves are unchanged.
Embedded pages (``/embed/``) get a cookie that a framing site can carry (see below).
"""

from __future__ import annotations

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .web.embed import is_embed_path


class LazySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ  # no cookie at all: nothing to parse
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SecureCookieSession, response: Response) -> None:  # type: ignore[override]
        """A session nobody read, changed or filled sets no cookie and no ``Vary: Cookie``, which
        is what Flask's own ``save_session`` concludes too, after working out every cookie
        attribute first (an API request never touches the session)."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """An embedded page lives in another site's frame, where a Lax cookie is never sent.

        Over HTTPS its session cookie is ``SameSite=None`` (browsers accept that with ``Secure``
        only), so the answers and the CSRF token survive from step to step inside the frame.
        """
        if request and is_embed_path(request.path) and request.is_secure:
            return "None"
        return super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        if request and is_embed_path(request.path) and request.is_secure:
            return True
        return super().get_cookie_secure(app)
