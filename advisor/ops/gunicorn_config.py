"""gunicorn's settings for running the service: ``gunicorn -c python:advisor.ops.gunicorn_config wsgi:app``.

- Logs: JSON lines on stderr for the app, gunicorn's error log and (with ``--access-logfile``)
  its access log (``advisor/ops/logconfig.py``).
- Metrics: every worker writes its counts into ``PROMETHEUS_MULTIPROC_DIR`` (a fresh temporary
  folder when the environment names none), emptied when the master starts; a worker that exits
  is marked dead, so ``/metrics`` adds up the living and the dead workers' counts.
- Workers are recycled after ``--max-requests`` (with jitter, so they do not restart together);
  ``kill -HUP`` on the master replaces them gracefully (systemd's ``reload``).
- No control socket: two instances on one host would take ``~/.gunicorn/gunicorn.ctl`` from each
  other.
Every setting can still be overridden on the command line (``--workers``, ``--bind``, ...).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

if not os.environ.get(MULTIPROC_ENV):  # before any worker imports prometheus-client
    os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="advisor-metrics-")

from advisor.ops.logconfig import LOGCONFIG  # noqa: E402 - after the variable above

wsgi_app = "wsgi:app"
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
max_requests = 2000
max_requests_jitter = 200
timeout = 30
graceful_timeout = 30
keepalive = 5
control_socket_disable = True
logger_class = "advisor.ops.logconfig.JsonLogger"
logconfig_dict = LOGCONFIG


def on_starting(server: Any) -> None:
    """Start the counts from nothing: files left by an earlier run would be added in."""
    folder = Path(os.environ[MULTIPROC_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exited (recycled, killed, reloaded) keeps its counters but not its gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
