"""Shared fixtures: an app per test (its own plugin manager), its client and CLI runner."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from advisor import create_app

pytest_plugins = ["tests.storage_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
MINI_PACKS = ROOT / "tests" / "packs" / "mini"
REQUIRE_ALL = os.environ.get("ADVISOR_REQUIRE_ALL_TESTS") == "1"


def require(available: bool, reason: str) -> None:
    """Skip a test that needs a missing part, except in CI, where that is a failure."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PLUGINS_ENTRY_POINTS": False,
    "RATELIMIT_ENABLED": False,   # test_limits.py switches it on
}


def reading_english(client):
    """A test client whose requests ask for English (``Accept-Language: en``), for tests that
    read the English reasons and details; problems are Dutch unless a request asks otherwise
    (both languages: tests/test_api_reasons.py)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    """Build an app with extra config; every app has its own plugins and instance folder."""

    def make(**config: object) -> Flask:
        return create_app({**BASE_CONFIG, "INSTANCE_DIR": str(tmp_path), **config})

    return make


@pytest.fixture
def app(make_app) -> Flask:
    """The app with the built-in rule packs."""
    return make_app()


@pytest.fixture
def mini_app(make_app) -> Flask:
    """An app on a tiny fixture pack whose scores are easy to reason about."""
    return make_app(RULES_DIR=str(MINI_PACKS))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def write_pack(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a TOML pack into a fresh folder and return the folder."""
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)

    def write(name: str, text: str) -> Path:
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write
