"""gunicorn for the live tests: one way to start it on 127.0.0.1, wait until ``/health`` answers,
and stop it by its own process id, so every live test starts the server the same way (always
with ``--no-control-socket``: parallel servers on one host would otherwise share one control
socket in the home folder).

Every wait is bounded (a readiness bound on a busy machine, not a timing assertion).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, require

GUNICORN = Path(sys.executable).parent / "gunicorn"
STARTUP_SECONDS = 120.0
NO_CONTROL_SOCKET = "--no-control-socket"


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 40) -> None:
    """Stop one process we started: `sig`, then SIGKILL if it has not ended within `timeout`."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers_health(base_url: str, timeout: float = 10) -> bool:
    """Whether ``/api/v1/health`` answers 200 (False while nothing listens or a worker loads)."""
    try:
        return requests.get(f"{base_url}/api/v1/health", timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class LiveServer:
    """A running gunicorn: its master process, where it listens and its log."""

    process: subprocess.Popen
    base_url: str
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def gunicorn_command(options: Sequence[str]) -> list[str]:
    """This interpreter's gunicorn with `options` (the app included), never with a control socket."""
    options = list(options)
    return [str(GUNICORN), *([] if NO_CONTROL_SOCKET in options else [NO_CONTROL_SOCKET]), *options]


def wait_until_healthy(server: LiveServer, ready: Callable[[LiveServer], bool] | None = None,
                       seconds: float = STARTUP_SECONDS) -> None:
    """Return once ``/health`` answers (and `ready`, if given, says so); fail the test if gunicorn
    exits first or does not get there within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        if answers_health(server.base_url) and (ready is None or ready(server)):
            return
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not become healthy:\n{server.output()}")


@contextmanager
def running_gunicorn(options: Sequence[str], port: int, folder: Path, env: Mapping[str, str],
                     ready: Callable[[LiveServer], bool] | None = None) -> Iterator[LiveServer]:
    """gunicorn with `options` (which bind `port`) started in the project root with `env`, its
    output in ``folder/gunicorn.log``; yielded once healthy, stopped (SIGTERM, then SIGKILL) after."""
    require(GUNICORN.exists(), f"gunicorn next to {sys.executable}")
    log = folder / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(gunicorn_command(options), cwd=ROOT, env=dict(env), stdout=out,
                                   stderr=subprocess.STDOUT)
    server = LiveServer(process, f"http://127.0.0.1:{port}", port, log)
    try:
        wait_until_healthy(server, ready)
        yield server
    finally:
        stop_process(process)
