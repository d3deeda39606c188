"""Soak: two gunicorn workers under a bounded mixed load (advice, creates, updates, reads) on
127.0.0.1 for a fixed time; then every acknowledged write is read back and compared, the
database's row count is checked through the admin export, and the workers' memory is compared
between start, middle and end. Run it through ``bench/soak`` (see ``--help``).

Prints requests, errors (connection), 5xx, lost or changed writes and RSS per worker; exits 1
when there was any 5xx, any lost or changed write, a worker restart, or memory that kept growing.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from common import free_port  # bench/ is the script's folder, so on sys.path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
MIX = (("advice", 40), ("create", 20), ("update", 20), ("read", 20))
"""Operation weights, in percent."""
MEMORY_GROWTH_ALLOWED = 0.15
"""The largest growth of a worker's RSS between the middle and the end sample that still counts as flat."""


def worker_pids(master: int) -> list[int]:
    """gunicorn's workers: the master's children, from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return sorted(children)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def random_answers(questions: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    """A valid answer to every required question and to about half of the others."""
    answers: dict[str, Any] = {}
    for question in questions:
        if not question["required"] and rng.random() < 0.5:
            continue
        options = [option["id"] for option in question["options"]]
        if question["kind"] == "choice":
            answers[question["id"]] = rng.choice(options)
        elif question["kind"] == "multi":
            answers[question["id"]] = rng.sample(options, rng.randint(1, len(options)))
        else:
            answers[question["id"]] = rng.randint(question["min"] or 0, question["max"] or 100)
    return answers


@dataclass
class Tally:
    """What the load saw; one per run, guarded by a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    stale_reads: int = 0
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Assessment id to the answers of its last acknowledged write."""

    def record(self, operation: str, status: int | None, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.requests += 1
            self.by_operation[operation] += 1
            if error:
                self.errors[error] += 1
            else:
                self.statuses[status] += 1
                self.latencies.append(seconds)


def load(base: str, questions: list[dict[str, Any]], deadline: float, seed: int, tally: Tally) -> None:
    """One client thread: its own assessments, so each has one writer and a known last state."""
    rng = random.Random(seed)
    mine: dict[str, dict[str, Any]] = {}
    operations = [name for name, weight in MIX for _ in range(weight)]
    with requests.Session() as session:
        while time.monotonic() < deadline:
            operation = rng.choice(operations)
            if operation in ("update", "read") and not mine:
                operation = "create"
            assessment_id = rng.choice(list(mine)) if operation in ("update", "read") else None
            answers = random_answers(questions, rng)
            started = time.perf_counter()
            try:
                if operation == "advice":
                    response = session.post(f"{base}/advice", json={"answers": answers, "lang": rng.choice(["nl", "en"])}, timeout=60)
                elif operation == "create":
                    response = session.post(f"{base}/assessments", json={"answers": answers, "label": f"soak {seed}"}, timeout=60)
                elif operation == "update":
                    response = session.patch(f"{base}/assessments/{assessment_id}", json={"answers": answers}, timeout=60)
                else:
                    response = session.get(f"{base}/assessments/{assessment_id}", timeout=60)
                body = response.json() if response.headers.get("Content-Type", "").endswith("json") else None
            except requests.RequestException as exc:
                tally.record(operation, None, 0.0, type(exc).__name__)
                continue
            tally.record(operation, response.status_code, time.perf_counter() - started)
            if operation == "create" and response.status_code == 201:
                mine[body["id"]] = body["answers"]
            elif operation == "update" and response.status_code == 200:
                mine[assessment_id] = body["answers"]
            elif operation == "read" and response.status_code == 200 and body["answers"] != mine[assessment_id]:
                with tally.lock:
                    tally.stale_reads += 1
    with tally.lock:
        tally.acknowledged.update(mine)


def start_server(instance: str, port: int, admin_token: str, database_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": instance, "ADVISOR_RATELIMIT_ENABLED": "false",
           "ADVISOR_PLUGINS_ENTRY_POINTS": "false", "ADVISOR_SECRET_KEY": "soak",
           "ADVISOR_ADMIN_TOKEN": admin_token}
    env.pop("ADVISOR_DATABASE_URL", None)
    if database_url:
        env["ADVISOR_DATABASE_URL"] = database_url
        subprocess.run([str(GUNICORN.parent / "flask"), "--app", "advisor", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(Path(instance) / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
        try:
            if requests.get(f"{base}/health", timeout=10).status_code == 200 and len(worker_pids(server.pid)) == 2:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become healthy")


def verify(base: str, admin_token: str, acknowledged: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Read back every acknowledged write; count the rows through the admin export."""
    lost = changed = 0
    with requests.Session() as session:
        for assessment_id, answers in acknowledged.items():
            response = session.get(f"{base}/assessments/{assessment_id}", timeout=60)
            if response.status_code != 200:
                lost += 1
            elif response.json()["answers"] != answers:
                changed += 1
        export = session.get(f"{base}/admin/assessments.json", timeout=300,
                             headers={"Authorization": f"Bearer {admin_token}"})
        export.raise_for_status()
        rows = export.json()
    exported = {row["id"] for row in rows}
    return {"lost": lost, "changed": changed, "rows": len(rows),
            "acknowledged_not_exported": len(set(acknowledged) - exported)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs (default 60)")
    parser.add_argument("--threads", type=int, default=8, help="client threads, each one request at a time (default 8)")
    parser.add_argument("--database-url", help="e.g. postgresql+psycopg://...; default: SQLite in a temporary folder")
    parser.add_argument("--seed", type=int, default=9, help="random seed of the load (default 9)")
    args = parser.parse_args(argv)

    admin_token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="advisor-soak-") as instance:
        port = free_port()
        base = f"http://127.0.0.1:{port}/api/v1"
        server = start_server(instance, port, admin_token, args.database_url)
        try:
            wait_healthy(base, server)
            questions = [q for step in requests.get(f"{base}/questionnaire", timeout=30).json()["steps"]
                         for q in step["questions"]]
            warm = Tally()  # warm both workers up (imports, caches) before the first memory sample
            load(base, questions, time.monotonic() + min(5.0, args.seconds / 6), -1, warm)
            workers = worker_pids(server.pid)
            memory = {"start": {pid: rss_mib(pid) for pid in workers}}

            tally = Tally()
            started = time.monotonic()
            deadline = started + args.seconds
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                futures = [pool.submit(load, base, questions, deadline, args.seed * 1000 + n, tally)
                           for n in range(args.threads)]
                time.sleep(max(0.0, started + args.seconds / 2 - time.monotonic()))
                memory["middle"] = {pid: rss_mib(pid) for pid in worker_pids(server.pid)}
                for future in futures:
                    future.result()
            elapsed = time.monotonic() - started
            memory["end"] = {pid: rss_mib(pid) for pid in worker_pids(server.pid)}
            tally.acknowledged.update(warm.acknowledged)
            check = verify(base, admin_token, tally.acknowledged)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    server_errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    restarted = set(memory["end"]) != set(workers)
    growth = {pid: (memory["end"][pid] - memory["middle"][pid]) / memory["middle"][pid]
              for pid in workers if pid in memory["end"] and pid in memory.get("middle", {})}
    flat = not restarted and all(value <= MEMORY_GROWTH_ALLOWED for value in growth.values())
    latencies = sorted(tally.latencies)

    print(f"soak: {elapsed:.0f} s, {args.threads} client threads, 2 gunicorn workers, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}, seed {args.seed}")
    print(f"requests:  {tally.requests} ({tally.requests / elapsed:.0f}/s): "
          + ", ".join(f"{op} {n}" for op, n in sorted(tally.by_operation.items())))
    print("statuses:  " + ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items())))
    print(f"errors:    {sum(tally.errors.values())} {dict(tally.errors) or ''}".rstrip())
    print(f"5xx:       {server_errors}")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"latency:   p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    print(f"writes:    {len(tally.acknowledged)} assessments acknowledged; read back: {check['lost']} lost, "
          f"{check['changed']} with other answers; stale reads during the load: {tally.stale_reads}")
    print(f"database:  {check['rows']} rows in the admin export, "
          f"{check['acknowledged_not_exported']} acknowledged assessments missing from it")
    for pid in workers:
        samples = " -> ".join(f"{memory[when].get(pid, float('nan')):.1f}" for when in ("start", "middle", "end"))
        print(f"memory:    worker {pid} RSS MiB start -> middle -> end: {samples}")
    print(f"memory flat (end within {MEMORY_GROWTH_ALLOWED:.0%} of middle, no worker restarted): "
          f"{'yes' if flat else 'NO'}")

    ok = (server_errors == 0 and check["lost"] == 0 and check["changed"] == 0 and tally.stale_reads == 0
          and check["acknowledged_not_exported"] == 0 and check["rows"] == len(tally.acknowledged) and flat)
    print("result:    " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
