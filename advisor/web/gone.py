"""Pages for links that no longer open anything: what happened, and what to do now.

A link can be incomplete (never made), erased by someone who had it (this browser remembers
what it erased itself), or removed after the retention period. Storage keeps nothing of erased
answers, so for a well-formed link made elsewhere the page names both possible causes.
"""

from __future__ import annotations

from flask import current_app, render_template, session
from flask.typing import ResponseReturnValue

from ..storage.service import ID_PATTERN

ERASED_KEY = "erased"
"""The ids this browser erased itself (a few, newest last), and whether the draft was erased."""
ERASED_REMEMBERED = 8


def remember_erased(key: str | None) -> None:
    keys = [k for k in session.get(ERASED_KEY, []) if isinstance(k, str)] if isinstance(
        session.get(ERASED_KEY), list) else []
    session[ERASED_KEY] = (keys + [key or ""])[-ERASED_REMEMBERED:]


def was_erased(key: str | None = None) -> bool:
    """True when this browser erased `key` (None: any answers) itself."""
    keys = session.get(ERASED_KEY)
    if not isinstance(keys, list):
        return False
    return bool(keys) if key is None else key in keys


def forget_erased() -> None:
    """New answers: Back no longer leads to "you deleted your answers"."""
    session.pop(ERASED_KEY, None)


def render_gone(kind: str, key: str | None, *, reason: str | None = None) -> ResponseReturnValue:
    """The page for a dead link; `kind` is "answers", "collaboration", "invitation" or "partner"."""
    if reason is None:
        if key is None or not ID_PATTERN.match(key):
            reason = "unknown"
        elif was_erased(key):
            reason = "erased"
        else:
            reason = "gone"
    days = current_app.config.get("RETENTION_DAYS") or 0
    code = 410 if reason == "erased" else 404
    return render_template("gone.html", kind=kind, reason=reason, days=days), code
