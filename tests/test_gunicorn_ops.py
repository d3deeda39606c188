"""gunicorn with ``advisor/ops/gunicorn_config.py`` (the unit's command line): the counts of workers
that were recycled after ``--max-requests`` still add up in one scrape, a restarted instance starts
counting from nothing, and everything it logs is a JSON line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import MINI_PACKS, ROOT, require
from tests.ops_support import GUNICORN, Instance, counter_values, json_lines

pytestmark = pytest.mark.live
ROUTE = "/api/v1/forms"


@pytest.fixture
def recycling_instance(tmp_path: Path) -> Iterator[Instance]:
    """One worker, recycled after every 4 requests, on the mini pack (starts fast)."""
    require(GUNICORN.exists(), "gunicorn next to the interpreter")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ADVISOR_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"ADVISOR_SECRET_KEY": "recycling-test-secret", "ADVISOR_METRICS_ENABLED": "true",
                "ADVISOR_RULES_DIR": str(MINI_PACKS), "ADVISOR_PLUGINS_ENTRY_POINTS": "false"})
    instance = Instance("recycling", tmp_path, env, workers=1)
    instance.command += ["--max-requests", "4", "--max-requests-jitter", "0"]  # after the unit's: they win
    try:
        yield instance
    finally:
        instance.close()


def served(instance: Instance) -> float:
    text = requests.get(f"{instance.url}/metrics", timeout=10).text
    values = counter_values(text, "advisor_http_requests_total")
    return sum(value for labels, value in values.items() if ("route", ROUTE) in labels)


def test_recycled_workers_still_count_and_a_restart_counts_from_nothing(recycling_instance):
    instance = recycling_instance
    instance.start()
    for _ in range(14):
        assert requests.get(f"{instance.url}{ROUTE}", timeout=10).status_code == 200
    assert served(instance) == 14
    lines, other = json_lines(instance.output())
    assert not other, other[:5]
    pids = {line["pid"] for line in lines if line.get("logger") == "advisor.request" and line["route"] == ROUTE}
    assert len(pids) >= 3, pids  # the 14 were served by several workers in turn
    assert any("autorestarting" in line["message"].lower() for line in lines if line.get("logger") == "gunicorn.error")

    instance.stop()
    instance.start()  # the same metrics folder: what the last run counted is gone
    for _ in range(2):
        assert requests.get(f"{instance.url}{ROUTE}", timeout=10).status_code == 200
    assert served(instance) == 2


def test_the_config_module_loads_without_the_app(tmp_path):
    """gunicorn's master reads the config before any worker imports the app or prometheus-client."""
    code = ("import sys, advisor.ops.gunicorn_config as c; "
            "assert 'prometheus_client' not in sys.modules and 'flask_smorest' not in sys.modules; "
            "print(c.logger_class, c.max_requests, c.control_socket_disable)")
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run([str(GUNICORN.parent / "python"), "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["advisor.ops.logconfig.JsonLogger", "2000", "True"]


def test_gunicorn_logs_no_uri_of_a_request_it_refuses(recycling_instance):
    """A request line gunicorn cannot parse is logged without what it sent (it may be a private link)."""
    instance = recycling_instance
    instance.start()
    secret = "PrivateLinkSecret" + "x" * 20
    for raw in (f"GET /a/{secret} HTTP/1.1 junk\r\nHost: x\r\n\r\n",
                f"GET /a/{secret}\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
                f"GET /a/{secret} HTTP/1.1\r\nBad Header: {secret}\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", instance.port), timeout=10) as sock:
            sock.sendall(raw.encode())
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert requests.get(f"{instance.url}{ROUTE}", timeout=10).status_code == 200
    instance.stop()
    text = instance.output()
    lines, other = json_lines(text)
    assert not other, other[:5]
    assert any("Invalid request from ip=" in line["message"] for line in lines)
    assert secret not in text


def test_a_graceful_reload_replaces_the_workers_without_a_failed_request(tmp_path):
    """``systemctl reload`` (HUP to the master): new workers, the socket stays, nothing fails."""
    require(GUNICORN.exists(), "gunicorn next to the interpreter")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ADVISOR_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"ADVISOR_SECRET_KEY": "reload-test-secret", "ADVISOR_RULES_DIR": str(MINI_PACKS),
                "ADVISOR_PLUGINS_ENTRY_POINTS": "false"})
    instance = Instance("reload", tmp_path, env, workers=2)
    stop, outcomes = threading.Event(), []

    def load() -> None:
        with requests.Session() as session:
            for _ in range(5000):
                if stop.is_set():
                    return
                try:
                    outcomes.append(session.get(f"{instance.url}{ROUTE}", timeout=30).status_code)
                except requests.RequestException as error:
                    outcomes.append(type(error).__name__)

    try:
        instance.start()
        before = worker_pids(instance.process.pid)
        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(0.3)
        instance.process.send_signal(signal.SIGHUP)
        for _ in range(600):  # until both old workers are replaced (bounded)
            now = worker_pids(instance.process.pid)
            if len(now) == 2 and not now & before:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        thread.join(timeout=60)
    finally:
        instance.close()
    assert now and not now & before, (before, now)
    assert outcomes and set(outcomes) == {200}, Counter(outcomes)


def worker_pids(master: int) -> set[int]:
    """The master's child processes, from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()
