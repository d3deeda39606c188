"""Configuration that has to hold across gunicorn workers: the session secret."""

from __future__ import annotations

import threading

from advisor import create_app

WORKERS = 12


def test_workers_starting_together_share_one_instance_secret(tmp_path):
    """Without SECRET_KEY every worker derives the key from the instance folder. Workers that
    start at the same moment on a fresh folder must all end up with the same key (sessions and
    CSRF tokens cross workers), and none may fail to start."""
    config = {"INSTANCE_DIR": str(tmp_path / "instance"), "RATELIMIT_ENABLED": False}
    barrier = threading.Barrier(WORKERS)
    keys: list[str] = []
    failures: list[BaseException] = []

    def start_worker() -> None:
        barrier.wait()
        try:
            keys.append(create_app(config).config["SECRET_KEY"])
        except BaseException as exc:  # noqa: BLE001 - a failed start is what this test looks for
            failures.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(keys) == WORKERS and len(set(keys)) == 1 and len(keys[0]) == 64
    secret = tmp_path / "instance" / "secret_key"
    assert secret.read_text() == keys[0]
    assert secret.stat().st_mode & 0o077 == 0                       # readable by the owner only
    assert sorted(p.name for p in secret.parent.iterdir() if p.name.startswith("secret_key")) == ["secret_key"]
    assert create_app(config).config["SECRET_KEY"] == keys[0]       # a restart reads the same key
