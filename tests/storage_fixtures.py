"""Fixtures for the storage tests: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``ADVISOR_TEST_POSTGRES_URL`` (``scripts/with-postgres`` starts a
throw-away server and sets it); each test gets an empty ``public`` schema, migrated to head
through the CLI as an operator would.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import MINI_PACKS, require

POSTGRES_URL = os.environ.get("ADVISOR_TEST_POSTGRES_URL")
NO_POSTGRES = "needs PostgreSQL: run the tests through scripts/with-postgres (sets ADVISOR_TEST_POSTGRES_URL)"


def empty_postgres(url: str) -> None:
    """Drop everything in the public schema (tables, alembic_version) for a clean start."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (for 'database down')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> str | None:
    """None (the default SQLite file in the instance folder) or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return None
    require(POSTGRES_URL is not None, NO_POSTGRES)
    empty_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def postgres_url() -> str:
    """An empty PostgreSQL database, for the tests that are about PostgreSQL only."""
    require(POSTGRES_URL is not None, NO_POSTGRES)
    empty_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def make_store_app(make_app, database_url) -> Iterator[Callable[..., Flask]]:
    """Apps on the mini pack and the test's database, schema at head; engines closed after."""
    apps: list[Flask] = []

    def make(migrate: bool = True, **config: object) -> Flask:
        config.setdefault("RULES_DIR", str(MINI_PACKS))
        app = make_app(DATABASE_URL=database_url, **config)
        apps.append(app)
        if migrate and database_url is not None:
            result = app.test_cli_runner().invoke(args=["db", "upgrade"])
            assert result.exit_code == 0, result.output
        return app

    yield make
    for app in apps:
        app.extensions["advisor_db"].engine.dispose()


@pytest.fixture
def store_app(make_store_app) -> Flask:
    return make_store_app()
