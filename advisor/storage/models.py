"""The stored assessment: answers, the advice as it was given, and the rules that gave it.

SQLAlchemy 2.x declarative models; the same metadata drives the Alembic migrations
(``advisor/migrations``), and a test keeps the two in step on SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("draft", "complete")
ID_BYTES = 24
"""token_urlsafe(24): 192 random bits, 32 characters; never sequential, never guessable."""


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Assessment(Base):
    """One questionnaire filled in by a manager or a platform: a draft or a complete advice."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'complete')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    label: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    advice: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The advice as dumped by the API's AdviceSchema when it was given; null for a draft."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    ruleset_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    packs: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False)
    """The plugins (rule packs) and their versions: ``[{"id": ..., "version": ...}]``."""
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    """Retention counts from here: resuming a draft keeps it."""

    @property
    def ruleset(self) -> dict[str, Any]:
        return {"fingerprint": self.ruleset_fingerprint, "packs": list(self.packs)}

    def __repr__(self) -> str:  # never print the id in full: it is the key to the assessment
        return f"<Assessment {self.id[:6]}… {self.status}>"
