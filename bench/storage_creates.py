"""Creates per second through gunicorn (2 workers) on SQLite, and on PostgreSQL when
ADVISOR_TEST_POSTGRES_URL is set (run through scripts/with-postgres). Prints figures only.

    scripts/with-postgres .venv/bin/python bench/storage_creates.py [CREATES] [THREADS]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from common import free_port  # bench/ is the script's folder, so on sys.path

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = {
    "scope": "ongoing_task", "horizon": "years", "change_type": "system_change",
    "domains": ["care", "welfare", "youth"], "budget": "structural", "partners": 12,
    "decision_making": "not_arranged", "funding_risk": "yes", "key_people": "yes", "turnover": "high",
}


def run(name: str, database_url: str | None, creates: int, threads: int) -> None:
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "ADVISOR_INSTANCE_DIR": instance, "ADVISOR_RATELIMIT_ENABLED": "false",
               "ADVISOR_PLUGINS_ENTRY_POINTS": "false", "ADVISOR_SECRET_KEY": "bench"}
        env.pop("ADVISOR_DATABASE_URL", None)
        if database_url:
            env["ADVISOR_DATABASE_URL"] = database_url
            subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "advisor", "db", "upgrade"],
                           cwd=ROOT, env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/api/v1"
        try:
            for _ in range(600):
                try:
                    if requests.get(f"{base}/health", timeout=10).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            session = requests.Session()
            for _ in range(20):  # warm up both workers
                session.post(f"{base}/assessments", json={"answers": ANSWERS}, timeout=30)

            def create(_: int) -> tuple[int, float]:
                started = time.perf_counter()
                response = requests.post(f"{base}/assessments", json={"answers": ANSWERS}, timeout=60)
                return response.status_code, time.perf_counter() - started

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as pool:
                results = list(pool.map(create, range(creates)))
            elapsed = time.perf_counter() - started
            latencies = sorted(seconds for _, seconds in results)
            failed = sum(1 for status, _ in results if status != 201)
            print(f"{name:<10} {creates} creates, {threads} threads: {creates / elapsed:7.1f}/s, "
                  f"p50 {statistics.median(latencies) * 1000:6.1f} ms, "
                  f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:6.1f} ms, non-201: {failed}")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def main() -> None:
    creates = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    run("sqlite", None, creates, threads)
    postgres = os.environ.get("ADVISOR_TEST_POSTGRES_URL")
    if postgres:
        run("postgresql", postgres, creates, threads)
    else:
        print("postgresql skipped: run through scripts/with-postgres")


if __name__ == "__main__":
    main()
