"""Stored assessments: SQLAlchemy models, the database extension and the service functions.

``from advisor import storage``; ``storage.create(...)``, ``storage.get(id)`` and friends work in
the current app context. Storage knows no HTTP: the API and the pages translate its exceptions.
"""

from .db import Database, get_db, get_session, init_app
from .models import Assessment
from .concurrency import VersionMismatch, WriteConflict
from .service import (
    AnswerConflict,
    AssessmentNotFound,
    LabelError,
    Replay,
    Summary,
    check_label,
    create,
    delete,
    expires_at,
    get,
    iter_all,
    purge_expired,
    replay,
    update,
)

__all__ = [
    "AnswerConflict", "VersionMismatch", "WriteConflict",
    "Assessment", "AssessmentNotFound", "Database", "LabelError", "Replay", "Summary", "check_label", "create", "delete", "expires_at",
    "get", "get_db", "iter_all", "get_session", "init_app", "purge_expired", "replay", "update",
]
