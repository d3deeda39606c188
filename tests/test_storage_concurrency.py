"""Two gunicorn workers on one SQLite file take 200 parallel creates: none is lost."""

from __future__ import annotations

import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.gunicorn_support import free_port, running_gunicorn

CREATES = 200
THREADS = 16
COMPLETE = {  # the built-in rules; an advice with several risks, so rows are of a realistic size
    "scope": "ongoing_task", "horizon": "years", "change_type": "system_change",
    "domains": ["care", "welfare", "youth"], "budget": "structural", "partners": 12,
    "decision_making": "not_arranged", "funding_risk": "yes", "key_people": "yes", "turnover": "high",
}


@pytest.fixture
def gunicorn(tmp_path: Path):
    """gunicorn with two workers on 127.0.0.1 and an empty instance folder; stopped after."""
    port = free_port()
    env = {
        **os.environ,
        "ADVISOR_INSTANCE_DIR": str(tmp_path),
        "ADVISOR_RULES_DIR": str(ROOT / "rules"),
        "ADVISOR_RATELIMIT_ENABLED": "false",  # 200 writes from one client is the point here
        "ADVISOR_PLUGINS_ENTRY_POINTS": "false",
        "ADVISOR_SECRET_KEY": "concurrency-test",
    }
    env.pop("ADVISOR_DATABASE_URL", None)
    options = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "10", "wsgi:app"]
    with running_gunicorn(options, port, tmp_path, env) as server:
        yield server.base_url, tmp_path / "advisor.db"


@pytest.mark.live
def test_two_workers_store_every_parallel_create(gunicorn):
    base, database = gunicorn

    def create(number: int) -> requests.Response:
        with requests.Session() as session:
            return session.post(f"{base}/api/v1/assessments", timeout=60,
                                json={"answers": COMPLETE, "label": f"parallel {number}"})

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        responses = list(pool.map(create, range(CREATES)))

    created = [r.json() for r in responses if r.status_code == 201]
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201][:3]
    assert len({body["id"] for body in created}) == len(created)

    with requests.Session() as session:
        for body in created:
            read = session.get(body["url"], timeout=10)
            assert read.status_code == 200 and read.json()["label"] == body["label"]
            assert read.json()["advice"] == body["advice"] and body["advice"]["risks"]

    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM assessments").fetchone()[0] == len(created)
