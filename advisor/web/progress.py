"""Where the answers in progress live: the seam between the pages and storage.

The draft is kept in the signed Flask session cookie (answers are small), exactly as typed, so
a page shown again after an error loses nothing. It is the working copy; ``saved`` stores its
valid answers in the database after every step.
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


def replace_draft(draft: Draft) -> None:
    """Take a whole draft, e.g. the answers behind a private link."""
    session[SESSION_KEY] = dict(draft)


def clear_draft() -> None:
    session.pop(SESSION_KEY, None)
