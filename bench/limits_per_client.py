#!/usr/bin/env python3
"""How many requests one client gets through the rate limits of a live gunicorn (2 workers), in
under a minute: 300 advice, then 300 assessment creates and 300 collaboration creates, once
with the default in-memory counts and once with Redis (issue 15 item 10 measured 239 advice,
188 + 213 creates through "120 per minute" before the limits were one budget per client).

  .venv/bin/python bench/limits_per_client.py [--redis]

Prints counts; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(env_extra: dict[str, str], folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(folder / "instance"), **env_extra}
    process = subprocess.Popen(
        [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
         "--max-requests", "5000", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/api/v1/health", timeout=30).status_code == 200:
                return process, base
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a worker still loading
        time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def run(label: str, env_extra: dict[str, str]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="limits-bench-"))
    process, base = serve(env_extra, folder)
    try:
        counts = {}
        answers = {"answers": {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
                               "domains": ["care"], "partners": 12, "budget": "one_off", "trust": "moderate"}}
        started = time.monotonic()
        for name, path, body in [("advice", "/api/v1/advice", answers),
                                 ("assessment creates", "/api/v1/assessments", {"answers": {}}),
                                 ("collaboration creates", "/api/v1/collaborations", {"name": "x"})]:
            ok = 0
            for _ in range(300):  # a new connection each time: gunicorn's workers take turns
                ok += requests.post(base + path, json=body, timeout=30).status_code < 400
            counts[name] = ok
        elapsed = time.monotonic() - started
        print(f"{label}: " + ", ".join(f"{v} of 300 {k}" for k, v in counts.items()) + f" in {elapsed:.0f} s")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", action="store_true", help="also with a throw-away redis-server")
    args = parser.parse_args()
    run("memory (default)", {})
    if args.redis:
        redis_port = free_port()
        folder = tempfile.mkdtemp(prefix="limits-redis-")
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", folder],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        try:
            run("redis", {"ADVISOR_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}"})
        finally:
            redis.terminate()
            redis.wait(timeout=30)


if __name__ == "__main__":
    main()
