"""CLI commands next to the extension: ``flask db ...`` for migrations and
``flask assessments purge`` for retention."""

from __future__ import annotations

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup

from . import collaborations, db, idempotency, service

db_cli = AppGroup("db", help="Database migrations (SQLite databases are upgraded on start).")
assessments_cli = AppGroup("assessments", help="Stored assessments.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
def upgrade_command(revision: str, sql: bool) -> None:
    """Bring the database schema to REVISION (default: the newest)."""
    database = db.get_db()
    if sql:
        url = database.engine.url.render_as_string(hide_password=False)
        command.upgrade(db.alembic_config(url), revision, sql=True)
        return
    db.upgrade(database.engine, revision)
    click.echo(f"Database schema at {db.current_revision(database.engine)}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Take the schema back to REVISION ('base' empties the database)."""
    database = db.get_db()
    db.downgrade(database.engine, revision)
    click.echo(f"Database schema at {db.current_revision(database.engine) or 'base'}.")


@db_cli.command("current")
def current_command() -> None:
    """Show the schema revision of the database and the newest one."""
    engine = db.get_db().engine
    click.echo(f"current: {db.current_revision(engine) or 'base'}\nhead: {db.head_revision()}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
def revision_command(message: str, autogenerate: bool) -> None:
    """Write a new migration script into advisor/migrations/versions (for developers)."""
    with db.get_db().engine.begin() as connection:
        config = db.alembic_config()
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=autogenerate)


@assessments_cli.command("purge")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Override RETENTION_DAYS for this run (0 keeps everything).")
def purge_command(days: int | None) -> None:
    """Erase assessments and collaborations not changed within the retention period (RETENTION_DAYS),
    and forget idempotency keys older than 24 hours."""
    retention = current_app.config["RETENTION_DAYS"] if days is None else days
    session = db.get_session()
    forgotten = idempotency.purge(session)
    session.commit()
    click.echo(f"Forgot {forgotten} idempotency key(s) older than {idempotency.KEEP_HOURS} hours.")
    if not retention:
        click.echo("Retention is off (RETENTION_DAYS=0): nothing deleted.")
        return
    deleted = service.purge_expired(retention)
    click.echo(f"Deleted {deleted} assessment(s) not changed in {retention} days.")
    deleted = collaborations.purge_expired_collaborations(retention)
    click.echo(f"Deleted {deleted} collaboration(s) not changed in {retention} days.")


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(assessments_cli)
