"""The database as a Flask extension: one engine and one scoped session per app.

``init_app(app)`` builds the engine from ``DATABASE_URL`` (default: a SQLite file in the instance
folder), creates or upgrades a SQLite database on start (PostgreSQL is upgraded explicitly with
``flask --app advisor db upgrade``), registers the health check and the CLI commands, and removes
the session when the app context ends. The engine knows nothing of requests.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from . import guard

try:
    import fcntl
except ImportError:  # Windows: no gunicorn there, so no workers migrating side by side
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("advisor.storage")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_FILE = "advisor.db"
SQLITE_BUSY_TIMEOUT_MS = 15_000
POSTGRES_CONNECT_TIMEOUT_S = 5
EXTENSION_KEY = "advisor_db"


@dataclass
class Database:
    """What an app holds of its database."""

    engine: Engine
    session: scoped_session[Session]
    pinned: guard.PinnedFile | None = None
    """The SQLite file opened at start (see ``advisor.storage.guard``)."""

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def database_url(app: Flask) -> str:
    """``DATABASE_URL``, or a SQLite file in the instance folder. A plain ``postgres://`` or
    ``postgresql://`` URL (as hosting platforms hand them out) gets the psycopg 3 driver."""
    configured = app.config.get("DATABASE_URL")
    if configured:
        url = str(configured)
        for scheme in POSTGRES_SCHEMES:
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url[len(scheme):]
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / SQLITE_FILE}"


def make_engine(url: str) -> Engine:
    """An engine that survives restarts of the server (pre-ping) and shares SQLite safely."""
    parsed = make_url(url)
    # hide_parameters: answers and ids stay out of error messages and logs.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            options["poolclass"] = StaticPool  # one in-memory database shared by every session
            options["connect_args"] = {"check_same_thread": False}
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        guard.heal_broken_connections(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # A host that does not answer must not hold a worker forever.
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    engine = create_engine(parsed, **options)
    guard.heal_broken_connections(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; the busy timeout makes writers queue;
    secure_delete zeroes what DELETE frees (the right to erasure)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")  # an erased assessment is overwritten, not just unlinked
    cursor.close()


def _app_context_id() -> int:
    """Scope sessions to the app context, as Flask-SQLAlchemy does (one per request or command)."""
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask) -> Database:
    from . import cli

    app.config["RETENTION_DAYS"] = retention_days(app.config.get("RETENTION_DAYS"))
    engine = make_engine(database_url(app))
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    database = Database(engine, scoped_session(factory, scopefunc=_app_context_id))
    app.extensions[EXTENSION_KEY] = database

    @app.teardown_appcontext
    def remove_session(_exc: BaseException | None) -> None:
        if database.session.registry.has():  # a request that used no database has nothing to close
            database.session.remove()

    if database.is_sqlite:
        upgrade(engine)
        database.pinned = guard.pin(engine, factory)
    advisor = app.extensions.get("advisor")
    if advisor is not None:
        advisor.health_checks["database"] = lambda: check(database.engine, database.pinned)
    cli.register(app)
    return database


def retention_days(value: Any) -> int:
    """RETENTION_DAYS as a whole number of days, 0 (keep forever) when unset."""
    try:
        days = int(value or 0)
    except (TypeError, ValueError):
        raise ValueError(f"RETENTION_DAYS must be a whole number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"RETENTION_DAYS must be 0 (keep forever) or more, not {days}")
    return days


def get_db() -> Database:
    return current_app.extensions[EXTENSION_KEY]


def get_session() -> Session:
    """The session of the current app context; removed when the context ends."""
    return get_db().session()


# --- Migrations ------------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration without an ini file: the scripts live inside the package.

    A `url` is only needed to write SQL without a connection (``flask db upgrade --sql``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@functools.cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; several workers starting at once take turns."""
    with _migration_lock(engine), engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migration_lock(engine), engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A file lock next to a SQLite database: SQLite's DDL through pysqlite is not transactional,
    and two gunicorn workers would otherwise both create the tables. PostgreSQL migrations run
    once from the CLI and take the locks of their own transaction."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or fcntl is None:
        yield
        return
    with open(f"{database}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- Health ------------------------------------------------------------------------------------


def check(engine: Engine, pinned: guard.PinnedFile | None = None) -> str:
    """"ok", or why the database cannot serve writes as the write path would see them: a SQLite
    file deleted or replaced since start, unreachable, read-only, or a schema not at head."""
    if pinned is not None and (reason := pinned.problem()) is not None:
        return reason
    head = head_revision()
    try:
        revision = current_revision(engine)   # a query: it also proves the database answers
        if revision != head:
            return f"schema at {revision or 'nothing'}, expected {head}: run 'flask --app advisor db upgrade'"
        probe_write(engine)
    except guard.DatabaseFileChanged as exc:
        return str(exc)
    except SQLAlchemyError as exc:
        log.warning("database health check failed: %s", exc)
        reason = str(getattr(exc, "orig", None) or exc).lower()
        if "readonly" in reason or "read-only" in reason:
            return f"read-only ({type(exc).__name__}): writes are refused"
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def probe_write(engine: Engine) -> None:
    """Take the write lock the way a write would (an UPDATE that changes nothing), then roll back:
    a read-only file or server fails here as the next write would."""
    with engine.connect() as connection:
        try:
            connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        finally:
            connection.rollback()
