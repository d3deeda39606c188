"""Where the answers in progress live: the seam between the pages and storage.

Until storage exists, the draft is kept in the signed Flask session cookie (answers are small),
so the server keeps no state. These three functions are the only place the pages touch it.
"""

from __future__ import annotations

from flask import session

from .answers import Draft

SESSION_KEY = "draft"


def load_draft() -> Draft:
    draft = session.get(SESSION_KEY)
    return dict(draft) if isinstance(draft, dict) else {}


def save_draft(changes: Draft) -> Draft:
    """Merge a step's raw values into the draft and keep it; returns the whole draft."""
    draft = load_draft()
    draft.update(changes)
    session[SESSION_KEY] = draft
    return draft


def clear_draft() -> None:
    session.pop(SESSION_KEY, None)
