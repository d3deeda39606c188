"""Integrity under faults, through gunicorn (2 workers) on 127.0.0.1: for each fault, how many
writes were attempted, how many the service acknowledged, and how many of those were found.

    .venv/bin/python bench/integrity.py [--database-url postgresql+psycopg://...] [--rounds 20]
    scripts/with-postgres bash -c '.venv/bin/python bench/integrity.py --database-url "$ADVISOR_TEST_POSTGRES_URL"'

Faults: 12 simultaneous PATCHes to one assessment, each another answer (``--rounds`` times);
4 simultaneous round closes; creates retried with one Idempotency-Key; chunked bodies over the
limit and with a broken chunk size. On SQLite also: the database file deleted under load (then
a restart), and the file made unwritable (``chattr +i``, root) with a worker restart, then repaired.
Every loop is bounded; the servers bind 127.0.0.1 only. Exits 1 when an acknowledged write is
missing or a 5xx other than 503 was answered.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port, machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
REQUIRED = {"scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
            "domains": ["care", "welfare"], "partners": 6, "budget": "one_off"}
CHANGES = [("goal_consensus", "high"), ("funding_risk", "yes"), ("enforcement", "often"),
           ("decision_making", "consent"), ("leadership_backing", "partly"), ("power_balance", "one_dominant"),
           ("procurement", "partly"), ("partner_benefit", "some"), ("trust", "low"), ("key_people", "yes"),
           ("turnover", "high"), ("common_language", "partly")]
ROWS: list[tuple[str, int, int, int, str]] = []
"""(fault, attempted, acknowledged, found, note)."""


class Server:
    """gunicorn with two workers on a free port of 127.0.0.1, on a given instance folder."""

    def __init__(self, instance: Path, database_url: str | None) -> None:
        self.instance, self.database_url = instance, database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(self.instance), "ADVISOR_RATELIMIT_ENABLED": "false",
               "ADVISOR_PLUGINS_ENTRY_POINTS": "false", "ADVISOR_SECRET_KEY": "integrity-bench"}
        env.pop("ADVISOR_DATABASE_URL", None)
        if self.database_url:
            env["ADVISOR_DATABASE_URL"] = self.database_url
        return env

    def start(self) -> Server:
        if self.database_url:
            subprocess.run([str(GUNICORN.parent / "flask"), "--app", "advisor", "db", "upgrade"],
                           cwd=ROOT, env=self.env(), check=True, capture_output=True)
        log = open(self.instance / "gunicorn.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(GUNICORN), "--workers", "2", "--no-control-socket", "--graceful-timeout", "5",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit((self.instance / "gunicorn.log").read_text()[-2000:])
            try:
                if requests.get(f"{self.base}/api/v1/health", timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not become healthy")

    def workers(self) -> list[int]:
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        return found

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def together(calls: list) -> list:
    """Run the calls at once, one thread each, released by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except requests.RequestException as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def status(response) -> int:
    return response.status_code if isinstance(response, requests.Response) else 0


def lost_updates(base: str, rounds: int) -> None:
    attempted = acknowledged = found = 0
    for _ in range(rounds):
        url = requests.post(f"{base}/api/v1/assessments", json={"answers": REQUIRED}, timeout=60).json()["url"]
        results = together([lambda q=q, v=v: requests.patch(url, json={"answers": {q: v}}, timeout=60)
                            for q, v in CHANGES])
        attempted += len(results)
        ok = [(q, v) for (q, v), r in zip(CHANGES, results) if status(r) == 200]
        acknowledged += len(ok)
        stored = requests.get(url, timeout=30).json()["answers"]
        found += sum(stored.get(q) == v for q, v in ok)
    ROWS.append(("12 simultaneous PATCHes, each another answer", attempted, acknowledged, found,
                 f"{rounds} rounds"))


def racing_rounds(base: str, rounds: int) -> None:
    statuses: list[int] = []
    kept = 0
    for _ in range(rounds):
        collaboration = requests.post(f"{base}/api/v1/collaborations", json={"name": "Bench"}, timeout=30).json()
        token = collaboration["invitation"]["token"]
        requests.post(f"{base}/api/v1/invitations/{token}/responses",
                      json={"label": "Gemeente", "answers": REQUIRED}, timeout=30)
        url = f"{base}/api/v1/collaborations/{collaboration['id']}"
        results = together([lambda: requests.post(f"{url}/rounds", json={}, timeout=60) for _ in range(4)])
        statuses += [status(r) for r in results]
        kept += len(requests.get(f"{url}/history", timeout=30).json()["rounds"]) - 1
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    ROWS.append(("4 simultaneous round closes", len(statuses), statuses.count(201), kept,
                 f"{rounds} rounds; answers {counts}"))


def retried_creates(base: str, keys: int) -> None:
    results = []
    for number in range(keys):
        headers = {"Idempotency-Key": f"bench-{number}-{time.time_ns()}"}
        body = {"answers": REQUIRED, "label": f"retried {number}"}
        results.append(together([lambda: requests.post(f"{base}/api/v1/assessments", json=body, headers=headers,
                                                       timeout=60) for _ in range(3)]))
    acknowledged = sum(status(r) == 201 for group in results for r in group)
    ids = [r.json()["id"] for group in results for r in group if status(r) == 201]
    records = set(ids)
    present = {rid for rid in records if requests.get(f"{base}/api/v1/assessments/{rid}", timeout=30).status_code == 200}
    found = sum(rid in present for rid in ids)
    ROWS.append(("a create sent 3 times at once with one Idempotency-Key", keys * 3, acknowledged, found,
                 f"{keys} keys -> {len(records)} records"))


def chunked(base: str, body: bytes, tail: bytes | None = None) -> int:
    host, port = base.removeprefix("http://").split(":")
    head = (f"POST /api/v1/assessments HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                      for i in range(0, len(body), 65536))
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head)
        try:
            sock.sendall(chunks + (tail if tail is not None else b"0\r\n\r\n"))
        except OSError:
            pass
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1])


def chunked_bodies(base: str) -> None:
    padded = json.dumps({"answers": REQUIRED}).encode() + b" " * (3 * 1024 * 1024)
    too_large = chunked(base, padded)
    broken = chunked(base, b'{"answers": ', tail=b"zz\r\n}\r\n0\r\n\r\n")
    ROWS.append(("chunked bodies: 3 MiB, and a broken chunk size", 2, sum(s < 300 for s in (too_large, broken)), 0,
                 f"answered {too_large} and {broken}"))


def load(base: str, count: int, threads: int = 8, on_progress=None) -> list[tuple[int, str | None]]:
    """`count` creates from `threads` threads; (status, id) each. `on_progress(done)` after each."""
    done = [0]
    lock = threading.Lock()

    def create(number: int):
        try:
            response = requests.post(f"{base}/api/v1/assessments", timeout=60,
                                     json={"answers": REQUIRED, "label": f"load {number}"})
        except requests.RequestException:
            return 0, None
        with lock:
            done[0] += 1
            if on_progress:
                on_progress(done[0])
        return response.status_code, response.json().get("id") if response.status_code == 201 else None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(create, range(count)))


def file_deleted(instance: Path) -> None:
    server = Server(instance / "deleted", None)
    server.instance.mkdir()
    server.start()
    deleted_at = [None]

    def delete_midway(done: int) -> None:
        if done == 200 and deleted_at[0] is None:
            (server.instance / "advisor.db").unlink()
            deleted_at[0] = time.monotonic()

    results = load(server.base, 600, on_progress=delete_midway)
    health = requests.get(f"{server.base}/api/v1/health", timeout=30).status_code
    server.stop()
    server.start()   # the restart: a new, empty database
    after = results[200:]
    acknowledged_after = [rid for code, rid in after if code == 201]
    found = sum(requests.get(f"{server.base}/api/v1/assessments/{rid}", timeout=30).status_code == 200
                for rid in acknowledged_after)
    server.stop()
    ROWS.append(("SQLite file deleted after 200 creates, then a restart", len(after), len(acknowledged_after), found,
                 f"answers after the delete: {sorted({c for c, _ in after})}, /health {health}"))


def unwritable(instance: Path) -> None:
    chattr = shutil.which("chattr")
    if chattr is None or os.geteuid() != 0:
        ROWS.append(("SQLite file unwritable, then repaired", 0, 0, 0, "skipped: needs root and chattr"))
        return
    server = Server(instance / "unwritable", None)
    server.instance.mkdir()
    server.start()
    path = server.instance / "advisor.db"
    load(server.base, 20)
    subprocess.run([chattr, "+i", str(path)], check=True)
    try:
        for pid in server.workers():   # workers that start now open the file read-only
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(server.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        during = load(server.base, 50)
        health_during = requests.get(f"{server.base}/api/v1/health", timeout=30).status_code
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
    health_after = requests.get(f"{server.base}/api/v1/health", timeout=30).status_code
    after = load(server.base, 50)
    results = during + after
    acknowledged = [rid for code, rid in results if code == 201]
    found = sum(requests.get(f"{server.base}/api/v1/assessments/{rid}", timeout=30).status_code == 200
                for rid in acknowledged)
    server.stop()
    ROWS.append(("SQLite file unwritable (workers restarted), then repaired", len(results), len(acknowledged), found,
                 f"during: {sorted({c for c, _ in during})}, /health {health_during}; "
                 f"after the repair, no restart: {sorted({c for c, _ in after})}, /health {health_after}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite in a temporary folder)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="advisor-integrity-"))
    try:
        server = Server(instance, args.database_url).start()
        try:
            lost_updates(server.base, args.rounds)
            racing_rounds(server.base, args.rounds)
            retried_creates(server.base, args.rounds)
            chunked_bodies(server.base)
        finally:
            server.stop()
        if not args.database_url:
            file_deleted(instance)
            unwritable(instance)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"integrity on {database}, gunicorn 2 workers, {machine()}")
    print(f"{'fault':<58} {'attempted':>9} {'acknowledged':>12} {'found':>6}  note")
    failed = False
    for fault, attempted, acknowledged, found, note in ROWS:
        print(f"{fault:<58} {attempted:>9} {acknowledged:>12} {found:>6}  {note}")
        if "chunked" not in fault and found != acknowledged:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
