"""The date rules are judged on: today (UTC), or the ``as_of`` date of a replay.

Rules and risks may carry ``valid_from`` / ``valid_until`` (as OpenFisca's dated parameters);
a pack asks :func:`evaluation_date` which of them are in force. The date travels in a context
variable so the hook contract stays as it is: the engine sets it around one advice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_as_of: ContextVar[date | None] = ContextVar("advisor_as_of", default=None)


def evaluation_date() -> date:
    """The date of the advice being made."""
    return _as_of.get() or datetime.now(UTC).date()


@contextmanager
def judged_on(day: date | None) -> Iterator[None]:
    """Evaluate the rules as they were (or will be) in force on `day`; None: today."""
    token = _as_of.set(day)
    try:
        yield
    finally:
        _as_of.reset(token)


def in_force(day: date, valid_from: date | None, valid_until: date | None) -> bool:
    """Whether a dated item applies on `day` (both ends inclusive)."""
    return (valid_from is None or valid_from <= day) and (valid_until is None or day <= valid_until)
