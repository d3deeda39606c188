"""The stored assessment: answers, the advice as it was given, and the rules that gave it.

SQLAlchemy 2.x declarative models; the same metadata drives the Alembic migrations
(``advisor/migrations``), and a test keeps the two in step on SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON, CheckConstraint, DateTime, ForeignKey, Integer, MetaData, String, TypeDecorator, UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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
    """The advice in its wire form (``advisor.wire``) as it was given; null for a draft. Rows
    stored before that module are the same form: they were AdviceSchema dumps, which it equals."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    ruleset_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    packs: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False)
    """The plugins (rule packs) and their versions: ``[{"id": ..., "version": ...}]``."""
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    """Retention counts from here: resuming a draft keeps it."""
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))
    """Counts the stored changes (the ETag); SQLAlchemy makes every UPDATE a compare-and-swap on it."""

    __mapper_args__ = {"version_id_col": version}

    @property
    def ruleset(self) -> dict[str, Any]:
        return {"fingerprint": self.ruleset_fingerprint, "packs": list(self.packs)}

    def __repr__(self) -> str:  # never print the id in full: it is the key to the assessment
        return f"<Assessment {self.id[:6]}… {self.status}>"


class Collaboration(Base):
    """A collaboration several partners assess, each under its own label, round after round.

    ``id`` is the coordinator's key (read, change, erase, close a round); ``invitation_token`` is a
    second, separate key that only lets partners add their own responses.
    """

    __tablename__ = "collaborations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    invitation_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    round: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    """The open round; responses are added to it, earlier rounds are kept as snapshots."""
    round_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))
    """Counts the stored changes, its responses' included (each bumps updated_at here)."""

    __mapper_args__ = {"version_id_col": version}

    respondents: Mapped[list[Respondent]] = relationship(
        back_populates="collaboration", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Respondent.created_at",
    )
    rounds: Mapped[list[CollaborationRound]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="CollaborationRound.number",
    )

    def __repr__(self) -> str:
        return f"<Collaboration {self.id[:6]}… round {self.round}>"


class Respondent(Base):
    """One partner's answers in one round of a collaboration: a draft or complete."""

    __tablename__ = "collaboration_respondents"
    __table_args__ = (
        UniqueConstraint("collaboration_id", "round", "label", name="uq_collaboration_respondents_label_per_round"),
        CheckConstraint("status IN ('draft', 'complete')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    collaboration_id: Mapped[str] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE"), nullable=False, index=True)
    round: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    """The partner's role or organisation, e.g. "Gemeente" or "Wijkteam"."""
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    ruleset_fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))
    resume_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, default=new_id)
    """The partner's own private link back to its answers (a key apart from the id, which the
    coordinator's page shows); null for responses stored before it existed, until first needed."""

    __mapper_args__ = {"version_id_col": version}

    collaboration: Mapped[Collaboration] = relationship(back_populates="respondents")

    def __repr__(self) -> str:
        return f"<Respondent {self.id[:6]}… round {self.round} {self.status}>"


class CollaborationRound(Base):
    """A closed round: what the partners' combined answers advised then, kept for drift."""

    __tablename__ = "collaboration_rounds"

    collaboration_id: Mapped[str] = mapped_column(
        ForeignKey("collaborations.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """``{"recommended", "answers" (combined), "respondents": [{"label", "recommended"}], "ruleset"}``."""


class IdempotencyKey(Base):
    """A create that was acknowledged under a client's ``Idempotency-Key``: a retry with the same
    key gets the same record instead of a second one. Holds no answers, only which record it made
    (the record's erasure is not undone by a copy kept here)."""

    __tablename__ = "idempotency_keys"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 of the route's scope and the client's key: the key itself is not kept."""
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """sha256 of the request body as parsed: the same key with another body is refused."""
    resource_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
