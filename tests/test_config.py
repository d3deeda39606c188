"""Configuration that has to hold across gunicorn workers: the session secret."""

from __future__ import annotations

import multiprocessing
from typing import Any

from advisor import create_app

WORKERS = 12
FORK = multiprocessing.get_context("fork")
"""gunicorn forks its workers and each creates the app after the fork: processes, as there.
(Threads in one interpreter also trip CPython 3.11's AST race, gh-106905, not this code's.)"""


def _start_worker(config: dict[str, Any], barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        results.put(("key", create_app(config).config["SECRET_KEY"]))
    except BaseException as exc:  # noqa: BLE001 - a failed start is what the test looks for
        results.put(("failure", repr(exc)))


def test_workers_starting_together_share_one_instance_secret(tmp_path):
    """Without SECRET_KEY every worker derives the key from the instance folder. Workers that
    start at the same moment on a fresh folder must all end up with the same key (sessions and
    CSRF tokens cross workers), and none may fail to start."""
    config = {"INSTANCE_DIR": str(tmp_path / "instance"), "RATELIMIT_ENABLED": False}
    barrier, results = FORK.Barrier(WORKERS), FORK.Queue()
    workers = [FORK.Process(target=_start_worker, args=(config, barrier, results)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    keys = [value for kind, value in outcomes if kind == "key"]
    assert [value for kind, value in outcomes if kind == "failure"] == []
    assert len(keys) == WORKERS and len(set(keys)) == 1 and len(keys[0]) == 64
    secret = tmp_path / "instance" / "secret_key"
    assert secret.read_text() == keys[0]
    assert secret.stat().st_mode & 0o077 == 0                       # readable by the owner only
    assert sorted(p.name for p in secret.parent.iterdir() if p.name.startswith("secret_key")) == ["secret_key"]
    assert create_app(config).config["SECRET_KEY"] == keys[0]       # a restart reads the same key
