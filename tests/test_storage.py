"""The storage service on SQLite and PostgreSQL: create, read, resume, erase, retention, health."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text, update

from advisor import storage
from advisor.engine import AnswersError
from advisor.storage import Assessment, db

COMPLETE = {"scope": "ongoing_task", "partners": 30}
DRAFT = {"partners": 30}


def test_complete_answers_are_stored_with_advice_and_ruleset(store_app):
    engine = store_app.extensions["advisor"].engine
    with store_app.app_context():
        created = storage.create(COMPLETE, label="Wijkteam Noord", lang="en")
    with store_app.app_context():
        stored = storage.get(created.id)
        assert stored.status == "complete"
        assert stored.answers == COMPLETE
        assert stored.label == "Wijkteam Noord" and stored.lang == "en"
        assert stored.advice["recommended"] == "program"
        assert stored.advice["risks"][0]["id"] == "bureaucracy"
        assert stored.advice["lang"] == "en"
        assert stored.ruleset_fingerprint == engine.ruleset.fingerprint
        assert stored.advice["ruleset"]["fingerprint"] == engine.ruleset.fingerprint
        assert stored.packs == [{"id": "core", "version": "0.1.0"}]
        assert stored.created_at.tzinfo is not None and stored.created_at == stored.updated_at


def test_unfinished_answers_are_a_draft_without_advice(store_app):
    with store_app.app_context():
        draft = storage.create(DRAFT)
        assert (draft.status, draft.advice, draft.answers) == ("draft", None, DRAFT)


def test_invalid_answers_are_refused_by_field(store_app):
    with store_app.app_context(), pytest.raises(AnswersError) as refused:
        storage.create({"scope": "forever"})
    assert "answers.scope" in refused.value.errors
    with store_app.app_context():
        assert storage.get_session().scalar(select(func.count()).select_from(Assessment)) == 0


def test_ids_are_long_random_and_never_sequential(store_app):
    with store_app.app_context():
        ids = [storage.create(DRAFT).id for _ in range(20)]
    assert len(set(ids)) == 20
    for assessment_id in ids:
        assert len(base64.urlsafe_b64decode(assessment_id + "=" * (-len(assessment_id) % 4))) * 8 >= 128
    assert ids != sorted(ids)  # 20 random ids in sorted order: one chance in 20!


def test_update_merges_answers_and_null_removes_one(store_app):
    with store_app.app_context():
        created = storage.create(DRAFT, label="first")
    with store_app.app_context():
        resumed = storage.update(created.id, answers={"scope": "individual_cases"})
        assert resumed.status == "complete" and resumed.advice["recommended"] == "informal"
        assert resumed.answers == {"scope": "individual_cases", "partners": 30}
        assert resumed.label == "first" and resumed.updated_at > created.updated_at
    with store_app.app_context():
        back = storage.update(created.id, answers={"scope": None, "not-there": None}, label=None)
        assert (back.status, back.advice, back.answers, back.label) == ("draft", None, DRAFT, None)


def test_update_with_invalid_answers_keeps_what_was_stored(store_app):
    with store_app.app_context():
        created = storage.create(COMPLETE)
    with store_app.app_context(), pytest.raises(AnswersError):
        storage.update(created.id, answers={"partners": 0}, label="changed")
    with store_app.app_context():
        stored = storage.get(created.id)
        assert stored.answers == COMPLETE and stored.label is None and stored.status == "complete"


def test_changing_the_language_gives_the_advice_again(store_app):
    with store_app.app_context():
        created = storage.create(COMPLETE, lang="nl")
        assert created.advice["explanation"][0]["because"] == "Veel"
        changed = storage.update(created.id, lang="en")
        assert changed.lang == "en" and changed.advice["explanation"][0]["because"] == "Many"


def test_delete_erases_for_good(store_app):
    with store_app.app_context():
        kept = storage.create(DRAFT)
        erased = storage.create(COMPLETE)
        storage.delete(erased.id)
        with pytest.raises(storage.AssessmentNotFound):
            storage.get(erased.id)
        with pytest.raises(storage.AssessmentNotFound):
            storage.delete(erased.id)
        ids = storage.get_session().scalars(select(Assessment.id)).all()
        assert ids == [kept.id]


@pytest.mark.parametrize("assessment_id", ["", "short", "x" * 65, "has space in it..", "../../etc/passwd-abcdef", "Ａ" * 32])
def test_malformed_and_unknown_ids_are_not_found(store_app, assessment_id):
    with store_app.app_context(), pytest.raises(storage.AssessmentNotFound):
        storage.get(assessment_id)
    with store_app.app_context(), pytest.raises(storage.AssessmentNotFound):
        storage.get(storage.models.new_id())


def age(app, assessment_id: str, days: int) -> None:
    """Pretend the assessment was last changed `days` ago."""
    with app.app_context():
        session = storage.get_session()
        session.execute(update(Assessment).where(Assessment.id == assessment_id)
                        .values(updated_at=datetime.now(UTC) - timedelta(days=days)))
        session.commit()


def test_purge_erases_assessments_not_changed_within_the_retention_period(store_app):
    with store_app.app_context():
        old, recent = storage.create(DRAFT), storage.create(COMPLETE)
    age(store_app, old.id, 40)
    age(store_app, recent.id, 20)
    with store_app.app_context():
        assert storage.purge_expired(0) == 0
        assert storage.purge_expired(30) == 1
        assert storage.get(recent.id)
        with pytest.raises(storage.AssessmentNotFound):
            storage.get(old.id)
        later = datetime.now(UTC) + timedelta(days=11)
        assert storage.purge_expired(30, now=later) == 1


def test_purge_command_uses_retention_days(make_store_app):
    app = make_store_app(RETENTION_DAYS=30)
    with app.app_context():
        old, recent = storage.create(DRAFT), storage.create(DRAFT)
    age(app, old.id, 31)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assessments", "purge"])
    assert result.exit_code == 0 and "Deleted 1 assessment(s) not changed in 30 days." in result.output
    result = runner.invoke(args=["assessments", "purge", "--days", "0"])
    assert "Retention is off" in result.output
    with app.app_context():
        assert storage.get(recent.id)
    result = runner.invoke(args=["assessments", "purge", "--days", "-1"])
    assert result.exit_code == 2


def test_purge_command_keeps_everything_when_retention_is_off(make_store_app):
    app = make_store_app(RETENTION_DAYS=0)
    with app.app_context():
        old = storage.create(DRAFT)
    age(app, old.id, 5000)
    result = app.test_cli_runner().invoke(args=["assessments", "purge"])
    assert "Retention is off (RETENTION_DAYS=0): nothing deleted." in result.output
    with app.app_context():
        assert storage.get(old.id)


def test_health_check_reports_the_database(store_app):
    assert store_app.extensions["advisor"].health_checks["database"]() == "ok"


def test_sessions_are_removed_with_the_app_context(store_app):
    with store_app.app_context():
        first = storage.get_session()
        assert storage.get_session() is first
    with store_app.app_context():
        assert storage.get_session() is not first


# --- SQLite ------------------------------------------------------------------------------------


def test_sqlite_file_is_created_in_the_instance_folder_on_first_start(make_app, tmp_path: Path):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS))
    assert (tmp_path / "advisor.db").is_file()
    engine = app.extensions["advisor_db"].engine
    assert db.current_revision(engine) == db.head_revision()
    make_app(RULES_DIR=str(MINI_PACKS))  # a second start finds it at head and changes nothing
    assert db.current_revision(engine) == db.head_revision()


def test_sqlite_uses_wal_a_busy_timeout_and_secure_delete(make_app, tmp_path: Path):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS))
    with app.extensions["advisor_db"].engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1


def test_explicit_sqlite_url(make_app, tmp_path: Path):
    from tests.conftest import MINI_PACKS

    path = tmp_path / "elsewhere" / "store.sqlite"
    path.parent.mkdir()
    app = make_app(RULES_DIR=str(MINI_PACKS), DATABASE_URL=f"sqlite:///{path}")
    with app.app_context():
        created = storage.create(COMPLETE)
    assert path.is_file() and not (tmp_path / "advisor.db").exists()
    with create_engine(f"sqlite:///{path}").connect() as connection:
        assert connection.execute(text("SELECT status FROM assessments WHERE id = :id"), {"id": created.id}).scalar() == "complete"


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_pool_recovers_after_the_server_drops_its_connections(make_app, postgres_url):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS), DATABASE_URL=postgres_url)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    try:
        with app.app_context():
            created = storage.create(COMPLETE)
        killer = create_engine(postgres_url)
        with killer.begin() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database()")).scalar()
        killer.dispose()
        assert killed >= 1  # the app's pooled connection is gone
        with app.app_context():
            assert storage.get(created.id).status == "complete"
        assert app.extensions["advisor"].health_checks["database"]() == "ok"
    finally:
        app.extensions["advisor_db"].engine.dispose()


@pytest.mark.postgres
def test_postgres_is_not_migrated_on_start_and_health_says_what_to_run(make_app, postgres_url):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS), DATABASE_URL=postgres_url)
    try:
        reason = app.extensions["advisor"].health_checks["database"]()
        assert "schema at nothing" in reason and "flask --app advisor db upgrade" in reason
        response = app.test_client().get("/api/v1/health")
        assert response.status_code == 503 and response.json["checks"]["database"] == reason
    finally:
        app.extensions["advisor_db"].engine.dispose()


@pytest.mark.parametrize("value, days", [(None, 0), (0, 0), ("30", 30), (365, 365)])
def test_retention_days_setting(make_app, value, days):
    from tests.conftest import MINI_PACKS

    assert make_app(RULES_DIR=str(MINI_PACKS), RETENTION_DAYS=value).config["RETENTION_DAYS"] == days


@pytest.mark.parametrize("value", [-1, "a year"])
def test_bad_retention_days_stop_the_start(make_app, value):
    from tests.conftest import MINI_PACKS

    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        make_app(RULES_DIR=str(MINI_PACKS), RETENTION_DAYS=value)


def test_errors_do_not_show_answers(store_app):
    from sqlalchemy.exc import StatementError

    with store_app.app_context():
        session = storage.get_session()
        with pytest.raises(StatementError) as failed:
            session.execute(text("SELECT nothing FROM assessments WHERE id = :id"), {"id": "secret-id-value"})
        session.rollback()
    assert "secret-id-value" not in str(failed.value)


@pytest.mark.parametrize("label", ["nul\u0000byte", "\ud800", "x" * 201, 42])
def test_labels_that_cannot_be_stored_are_refused(store_app, label):
    with store_app.app_context():
        with pytest.raises(storage.LabelError):
            storage.create(DRAFT, label=label)
        created = storage.create(DRAFT, label="Wijkteam 🏘️ Noord")
        with pytest.raises(storage.LabelError):
            storage.update(created.id, label=label)
        assert storage.get(created.id).label == "Wijkteam 🏘️ Noord"


def test_erased_answers_leave_no_trace_in_the_sqlite_file(make_app, tmp_path: Path):
    from sqlalchemy import text as sql

    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS))
    marker = "Erase-me-" + "q" * 40
    with app.app_context():
        created = storage.create(DRAFT, label=marker)
        storage.delete(created.id)
        storage.get_session().execute(sql("PRAGMA wal_checkpoint(TRUNCATE)"))
    app.extensions["advisor_db"].engine.dispose()
    for path in tmp_path.glob("advisor.db*"):
        assert marker.encode() not in path.read_bytes(), path.name
        assert created.id.encode() not in path.read_bytes(), path.name


def test_in_memory_sqlite_works_for_quick_experiments(make_app):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS), DATABASE_URL="sqlite://")
    with app.app_context():
        created = storage.create(COMPLETE)
    with app.app_context():
        assert storage.get(created.id).status == "complete"


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://", "postgresql+psycopg://"])
def test_plain_postgres_urls_get_the_psycopg_driver(make_app, scheme):
    from tests.conftest import MINI_PACKS

    app = make_app(RULES_DIR=str(MINI_PACKS), DATABASE_URL=f"{scheme}advisor:secret@db.example:5432/advisor")
    url = app.extensions["advisor_db"].engine.url
    assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "db.example", "advisor")
