"""The database file the app opened is the one it writes to, and faults heal by themselves.

**A SQLite file deleted or replaced while the app runs.** SQLite keeps writing to the file it
opened, so after ``rm advisor.db`` every write would still be acknowledged, into a file no one
can reach any more, and be gone at the next start. The app pins the file's identity (device and
inode) when it starts; before a connection is opened, when one is taken from the pool, before
each commit and after it, the path must still name that file. If not, the write is refused
(:class:`DatabaseFileChanged`, a 503 like any unreachable database) and ``/health`` says why:
nothing is acknowledged that is not in the file the app will find at its next start. A restart
takes the file that is there then.

**A fault that is repaired.** A connection opened while the file could not be written (wrong
permissions, a read-only mount, a full disk) stays read-only in SQLite even after the repair.
Errors that say so mark the connection as broken: SQLAlchemy then drops the pool's connections,
and the next request opens fresh ones, which see the repaired file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("advisor.storage")

BROKEN_CONNECTION_SIGNS = (
    "readonly database", "read-only", "unable to open database file", "disk i/o error",
    "database disk image is malformed", "database or disk is full",
)
"""SQLite messages after which a pooled connection must not be used again."""


class DatabaseFileChanged(SQLAlchemyError):
    """The SQLite file at the configured path is not the one the app opened at start."""


@dataclass(frozen=True)
class PinnedFile:
    """A SQLite database file by path and identity (device, inode) as found at start."""

    path: str
    device: int
    inode: int

    @classmethod
    def of(cls, path: str) -> PinnedFile:
        found = os.stat(path)
        return cls(path, found.st_dev, found.st_ino)

    def problem(self) -> str | None:
        """None while the path names the pinned file; otherwise what happened to it."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return "the database file was deleted while the service runs: restart it"
        except OSError as exc:
            return f"the database file cannot be examined ({exc.strerror})"
        if (found.st_dev, found.st_ino) != (self.device, self.inode):
            return "the database file was replaced while the service runs: restart it to use the new one"
        return None

    def check(self) -> None:
        reason = self.problem()
        if reason is not None:
            log.error("refusing database work: %s (%s)", reason, self.path)
            raise DatabaseFileChanged(reason)


def sqlite_file(engine: Engine) -> str | None:
    """The path of a SQLite file database; None for in-memory databases and other databases."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def pin(engine: Engine, sessions: sessionmaker[Session]) -> PinnedFile | None:
    """Pin the engine's SQLite file (after it was created and migrated) and guard every connection
    and commit with it; None when there is no file to pin."""
    path = sqlite_file(engine)
    if path is None or not os.path.exists(path):
        return None
    pinned = PinnedFile.of(path)

    @event.listens_for(engine, "do_connect")
    def before_connect(*_args: Any) -> None:   # before SQLite would create an empty file there
        pinned.check()

    @event.listens_for(engine, "checkout")
    def on_checkout(*_args: Any) -> None:
        pinned.check()

    @event.listens_for(engine, "commit")
    def before_commit(_connection: Any) -> None:
        pinned.check()

    @event.listens_for(sessions, "after_commit")
    def after_commit(_session: Session) -> None:
        pinned.check()   # deleted during the commit: the write is in a file no one will find again

    return pinned


def heal_broken_connections(engine: Engine) -> None:
    """Errors that leave a connection unusable (read-only after a permissions fault, a vanished
    file) count as disconnects: the pool is emptied and fresh connections are opened."""

    @event.listens_for(engine, "handle_error")
    def on_error(context: Any) -> None:
        message = str(context.original_exception).lower()
        if any(sign in message for sign in BROKEN_CONNECTION_SIGNS):
            log.warning("database connection dropped after: %s", context.original_exception)
            context.is_disconnect = True
