"""Idempotency keys: a create retried under the same key returns the first record, never a second.

A client that may resend a create (a timeout, a dropped connection) sends ``Idempotency-Key``.
The key is stored in the same transaction as the record it made, so two workers racing with one
key cannot both commit: the loser's transaction (record included) is rolled back and it answers
with the winner's record. Only hashes are kept (of the route's scope with the key, and of the
request body), with which record was made; keys are forgotten after ``KEEP_HOURS``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import get_session
from .models import IdempotencyKey, utcnow

KEEP_HOURS = 24
"""How long a key is remembered: longer than any client's retries take."""
KEY_MAX = 255


class KeyReused(ValueError):
    """The key was used before with another request body."""


class AlreadyDone(Exception):
    """The key was used before with this body: `kind` and `resource_id` name what it made."""

    def __init__(self, kind: str, resource_id: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.resource_id = resource_id


@dataclass(frozen=True)
class RequestKey:
    """A client's key for one create, bound to where it was sent and what it sent."""

    key_hash: str
    request_hash: str

    @classmethod
    def of(cls, scope: str, key: str, body: Any) -> RequestKey:
        """`scope` names the route and its parent (``collaborations/<id>/responses``), so one key
        used on two routes means two requests."""
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return cls(_sha256(f"{scope}\0{key}"), _sha256(canonical))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def valid_key(key: str) -> bool:
    """1 to 255 visible ASCII characters (a UUID, typically)."""
    return 0 < len(key) <= KEY_MAX and all(33 <= ord(char) <= 126 for char in key)


def check(request_key: RequestKey | None, *, session: Session | None = None) -> None:
    """Before a create: raise AlreadyDone when this key made a record already, KeyReused when it
    came with another body. Nothing when the key is new (or expired, or none was sent)."""
    if request_key is None:
        return
    session = session or get_session()
    found = session.scalars(select(IdempotencyKey).where(
        IdempotencyKey.key_hash == request_key.key_hash,
        IdempotencyKey.created_at >= utcnow() - timedelta(hours=KEEP_HOURS),
    )).first()
    session.rollback()   # a read: no transaction stays open while the create is computed
    if found is None:
        return
    if found.request_hash != request_key.request_hash:
        raise KeyReused(request_key.key_hash)
    raise AlreadyDone(found.resource_kind, found.resource_id)


def commit_with_key(session: Session, request_key: RequestKey | None, kind: str, resource_id: str) -> None:
    """Commit the new record, with its key when there is one. When another request stored the
    same key first, nothing of this one is kept and its outcome is raised (AlreadyDone/KeyReused)."""
    if request_key is None:
        session.commit()
        return
    session.execute(delete(IdempotencyKey).where(   # an expired key of the same hash makes way
        IdempotencyKey.key_hash == request_key.key_hash,
        IdempotencyKey.created_at < utcnow() - timedelta(hours=KEEP_HOURS),
    ))
    session.add(IdempotencyKey(key_hash=request_key.key_hash, request_hash=request_key.request_hash,
                               resource_kind=kind, resource_id=resource_id, created_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        check(request_key, session=session)   # raises what the winner made
        raise


def purge(session: Session, now: datetime | None = None) -> int:
    """Forget keys older than KEEP_HOURS (run with the retention purge); returns how many."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < (now or utcnow()) - timedelta(hours=KEEP_HOURS)),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount or 0)
