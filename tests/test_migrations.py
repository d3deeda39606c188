"""Alembic migrations: from empty to head and back on SQLite and PostgreSQL, and the models and
the migrations describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from advisor.storage import db
from advisor.storage.models import Base


def schema_diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_from_empty_to_head(make_store_app, database_url):
    app = make_store_app(migrate=False)
    engine = app.extensions["advisor_db"].engine
    runner = app.test_cli_runner()
    # SQLite is created at head on start; take it back to empty to upgrade it like PostgreSQL.
    assert runner.invoke(args=["db", "downgrade", "base"]).exit_code == 0
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert db.current_revision(engine) is None

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"Database schema at {db.head_revision()}." in result.output
    assert "assessments" in inspect(engine).get_table_names()
    current = runner.invoke(args=["db", "current"]).output
    assert f"current: {db.head_revision()}" in current and f"head: {db.head_revision()}" in current
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0  # again: nothing to do


def test_models_and_migrations_agree(store_app):
    assert schema_diff(store_app.extensions["advisor_db"].engine) == []


def test_a_model_change_without_migration_is_noticed(store_app):
    from sqlalchemy import Column, MetaData, String, Table

    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("assessments", changed, Column("owner", String(50)), extend_existing=True)
    with store_app.extensions["advisor_db"].engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), changed)
    assert [entry[0] for entry in diff] == ["add_column"]


def test_upgrade_can_print_its_sql(store_app):
    result = store_app.test_cli_runner().invoke(args=["db", "upgrade", "--sql"])
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE assessments" in result.output


def test_0003_gives_existing_rows_version_1_and_goes_back(store_app):
    """Rows stored before the versions existed start at version 1; the downgrade drops the
    columns and the idempotency keys again."""
    from sqlalchemy import text

    engine = store_app.extensions["advisor_db"].engine
    db.downgrade(engine, "0002")
    assert "idempotency_keys" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO assessments (id, answers, status, ruleset_fingerprint, packs, lang, created_at, updated_at) "
            "VALUES ('oldoldoldoldoldoldold', '{}', 'draft', 'f', '[]', 'nl', :now, :now)"),
            {"now": "2026-11-30 12:00:00"})
    db.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM assessments")).scalar_one() == 1
    assert "idempotency_keys" in inspect(engine).get_table_names()
    with store_app.app_context():
        from advisor import storage

        assert storage.update("oldoldoldoldoldoldold", answers={"scope": "ongoing_task"}).version == 2
