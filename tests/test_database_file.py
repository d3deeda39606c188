"""The SQLite file under a running app: deleted, replaced, or made unwritable and repaired.

- Deleted or replaced: the health check and every write answer 503 (nothing is acknowledged
  into a file that the next start will not find), and no empty file is created in its place.
- Unwritable (the file made immutable, so root is refused too, as a wrong owner or mode refuses
  a service user), then repaired: writes are 503 during the fault, ``/health`` says what the
  write path sees, and after the repair both recover without a restart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import MINI_PACKS, require

BASE = "/api/v1/assessments"
COMPLETE = {"scope": "ongoing_task", "partners": 30}


@pytest.fixture
def app(make_app):
    app = make_app(RULES_DIR=str(MINI_PACKS))
    yield app
    app.extensions["advisor_db"].engine.dispose()


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.json["status"] == status
    return response.json


def database_file(app) -> Path:
    return Path(app.instance_path) / "advisor.db"


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM assessments").fetchone()[0]


def test_a_deleted_database_file_is_503_for_writes_and_health(app):
    client = app.test_client()
    created = client.post(BASE, json={"answers": COMPLETE}).json
    assert client.get("/api/v1/health").status_code == 200
    database_file(app).unlink()

    problem(client.post(BASE, json={"answers": COMPLETE}), 503)
    problem(client.patch(f"{BASE}/{created['id']}", json={"label": "lost?"}), 503)
    problem(client.get(f"{BASE}/{created['id']}"), 503)
    health = client.get("/api/v1/health")
    assert health.status_code == 503 and "deleted" in health.json["checks"]["database"]
    assert client.post("/api/v1/advice", json={"answers": COMPLETE}).status_code == 200
    assert not database_file(app).exists()   # no empty database quietly created in its place


def test_a_replaced_database_file_is_refused_until_restart(app, make_app):
    client = app.test_client()
    assert client.post(BASE, json={"answers": COMPLETE}).status_code == 201
    path = database_file(app)
    backup = path.with_name("backup.db")
    with sqlite3.connect(path) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    os.replace(backup, path)   # e.g. a restore over the running service

    problem(client.post(BASE, json={"answers": COMPLETE}), 503)
    assert "replaced" in client.get("/api/v1/health").json["checks"]["database"]
    assert rows(path) == 1   # nothing written into the new file behind the operator's back
    restarted = make_app(RULES_DIR=str(MINI_PACKS))
    assert restarted.test_client().post(BASE, json={"answers": COMPLETE}).status_code == 201
    assert rows(path) == 2
    restarted.extensions["advisor_db"].engine.dispose()


def chattr(flag: str, path: Path) -> bool:
    tool = shutil.which("chattr")
    return tool is not None and subprocess.run([tool, flag, str(path)], capture_output=True).returncode == 0


def test_after_a_permissions_fault_is_repaired_writes_and_health_recover_by_themselves(app):
    client = app.test_client()
    assert client.post(BASE, json={"answers": COMPLETE}).status_code == 201
    path = database_file(app)
    engine = app.extensions["advisor_db"].engine
    require(chattr("+i", path), "needs chattr (e2fsprogs) and a file system with the immutable flag")
    try:
        engine.dispose()   # the connections a worker opens next (a restarted worker, a grown pool)
        problem(client.post(BASE, json={"answers": COMPLETE}), 503)
        health = client.get("/api/v1/health")
        assert health.status_code == 503 and "read-only" in health.json["checks"]["database"], health.json
    finally:
        assert chattr("-i", path)
    assert client.get("/api/v1/health").status_code == 200
    assert client.post(BASE, json={"answers": COMPLETE}).status_code == 201
    assert rows(path) == 2
