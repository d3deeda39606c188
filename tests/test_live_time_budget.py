"""End to end: a plugin that sleeps for a minute under gunicorn's sync worker. The advice answers
within its time budget, naming the plugin, and the worker is free for ``/health`` right after
(before the budget, it held the worker for the whole minute and ``/health`` timed out)."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import MINI_PACKS
from tests.gunicorn_support import LiveServer, free_port, running_gunicorn

pytestmark = pytest.mark.live

SLOW_PLUGIN = '''
import time

from advisor import hookimpl

PLUGIN_NAME = "slow"


@hookimpl
def score_forms():
    time.sleep(60)
    return []
'''
CLIENT_TIMEOUT = 20  # far below the plugin's 60 s: a read timeout means the worker was held


@pytest.fixture(scope="module")
def slow_live(tmp_path_factory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("slow-live")
    plugins = folder / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(textwrap.dedent(SLOW_PLUGIN))
    port = free_port()
    options = ["--workers", "1", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
               "--timeout", "120", "--max-requests", "200", "wsgi:app"]
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(folder / "instance"), "ADVISOR_RULES_DIR": str(MINI_PACKS),
           "ADVISOR_PLUGINS_DIR": str(plugins), "ADVISOR_PLUGINS_ENTRY_POINTS": "false",
           "ADVISOR_ADVICE_TIME_BUDGET_MS": "500", "ADVISOR_RATELIMIT_ENABLED": "false"}
    env.pop("ADVISOR_CONFIG_FILE", None)
    with running_gunicorn(options, port, folder, env) as server:
        yield server


def test_a_sleeping_plugin_is_abandoned_and_health_answers(slow_live):
    answers = {"answers": {"scope": "ongoing_task", "partners": 30}}
    response = requests.post(f"{slow_live.base_url}/api/v1/advice", json=answers, timeout=CLIENT_TIMEOUT)
    assert response.status_code == 200, slow_live.output()
    body = response.json()
    assert body["incomplete"] is True and body["recommended"] == "program"
    assert body["failed_plugins"] == [{
        "plugin": "slow", "hook": "score_forms",
        "error": "abandoned: it overran the advice's time budget (500 ms, ADVICE_TIME_BUDGET_MS)"}]
    health = requests.get(f"{slow_live.base_url}/api/v1/health", timeout=CLIENT_TIMEOUT)
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_what_would_change_is_bounded_too_and_says_partial(slow_live):
    answers = {"answers": {"scope": "ongoing_task", "partners": 30}, "alternatives": True}
    body = requests.post(f"{slow_live.base_url}/api/v1/advice", json=answers, timeout=CLIENT_TIMEOUT).json()
    assert body["alternatives_partial"] is True and body["alternatives"] == []


def test_the_advice_page_is_bounded_and_says_partial(slow_live):
    session = requests.Session()
    start = session.get(f"{slow_live.base_url}/steps/1", timeout=CLIENT_TIMEOUT).text
    token = start.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    step = session.post(f"{slow_live.base_url}/steps/1", timeout=CLIENT_TIMEOUT, allow_redirects=False,
                        data={"scope": "ongoing_task", "partners": "30", "nav": "next", "csrf_token": token})
    assert step.status_code == 302
    page = session.get(f"{slow_live.base_url}/advice", timeout=CLIENT_TIMEOUT)
    assert page.status_code == 200
    assert "Deze lijst is niet compleet" in page.text
    assert "Een deel van de regels kon niet worden toegepast." in page.text
    assert requests.get(f"{slow_live.base_url}/api/v1/health", timeout=CLIENT_TIMEOUT).status_code == 200
