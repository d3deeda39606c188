"""Writes that never lose a change: compare-and-swap on the version column, retried.

Every stored assessment, response and collaboration has a ``version`` that SQLAlchemy checks and
bumps in each UPDATE (``version_id_col``): ``UPDATE ... WHERE id = ? AND version = ?``. A writer
whose read went stale meanwhile updates no row and gets ``StaleDataError``; it then reads again,
merges its change into what is stored now, and tries again. That holds on SQLite, which ignores
``SELECT ... FOR UPDATE``, as on PostgreSQL, where the row lock makes the retry rare.

A caller that names the version it saw (``If-Match``) gets :class:`VersionMismatch` when another
version is stored instead; a write that keeps losing the race, or breaks a uniqueness rule,
is a :class:`WriteConflict`. The API answers them with 412 and 409.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

T = TypeVar("T")

ATTEMPTS = 25
"""Tries of one write before it is refused as a conflict: 12 writers at once on one row need
at most 12 (each round one of them wins); the rest is headroom for a busy machine."""
BACKOFF_S = 0.002
"""The longest random pause before the first retry; it grows with each attempt."""


class VersionMismatch(Exception):
    """The version the caller saw (If-Match) is no longer the stored one."""

    def __init__(self, current: int) -> None:
        super().__init__(current)
        self.current = current


class WriteConflict(Exception):
    """The write collided with another one (a race it kept losing, or a uniqueness rule)."""


def expect_version(stored: int, expected: int | Collection[int] | None) -> None:
    """Refuse the write when the caller named versions (If-Match may list several) and another
    one is stored. None: any version will do."""
    if expected is None:
        return
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if stored not in allowed:
        raise VersionMismatch(stored)


def write(session: Session, attempt: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run `attempt` (read, change, commit) until its compare-and-swap holds.

    `attempt` must read what it changes afresh each time (a rollback expires what was loaded).
    Any other error rolls back and propagates.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except StaleDataError:
            session.rollback()
            if number == attempts:
                raise WriteConflict("the record kept changing while this write was tried") from None
            time.sleep(random.uniform(0, BACKOFF_S * number))
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def commit_or_conflict(session: Session) -> None:
    """Commit; a uniqueness rule broken by a concurrent write is a WriteConflict (both databases)."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise WriteConflict("another write made the same record at the same time") from None
