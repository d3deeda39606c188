"""When stored records expire: ``RETENTION_DAYS`` after their last change, by the database's clock.

Reads honour the expiry at once (an expired record is not found), so nothing outlives its
retention until the purge erases it. Where there is a database server (PostgreSQL) its clock
decides, so app hosts with drifting clocks agree; SQLite has no server, and the app's clock is
the only one there is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, true
from sqlalchemy.orm import Session

from .models import utcnow


def retention_days() -> int:
    """The app's RETENTION_DAYS (0: keep forever); 0 outside an app."""
    from flask import current_app, has_app_context

    return int(current_app.config.get("RETENTION_DAYS") or 0) if has_app_context() else 0


def cutoff(session: Session, days: int, now: datetime | None = None) -> Any:
    """What a record's ``updated_at`` must reach to be alive: a value, or a SQL expression on
    the database server's clock. `now` (tests, ``purge --now``) overrides the clock."""
    if now is None and session.get_bind().dialect.name == "postgresql":
        return func.now() - timedelta(days=days)
    return (now or utcnow()) - timedelta(days=days)


def alive(column: Any, session: Session, days: int | None = None) -> Any:
    """A WHERE clause: the record of `column` (its updated_at) has not expired; True without retention."""
    days = retention_days() if days is None else days
    if days <= 0:
        return true()
    return column >= cutoff(session, days)
