"""What the HTTP benchmarks share: a gunicorn server pinned to a core, and two load generators.

bench/load (the advisor against a minimal Flask app) and bench/peers (the same two and OpenFisca's
web API) must start their servers and measure them the same way, or their ratios mean nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import packgen
from common import HOST, free_port

PATH = "/api/v1/advice"


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    requests: int


# --- Servers -----------------------------------------------------------------------------------


def gunicorn_command() -> list[str]:
    local = Path(sys.executable).with_name("gunicorn")
    return [str(local)] if local.exists() else [sys.executable, "-m", "gunicorn"]


class Server:
    """One gunicorn master with two workers, pinned to `cpu`; stopped by `stop()`."""

    def __init__(self, name: str, app: str, chdir: Path, cpu: str, env: dict[str, str], log: Path,
                 extra: list[str], gunicorn: list[str] | None = None) -> None:
        self.name = name
        self.port = free_port()
        self.log = log
        command = ["taskset", "-c", cpu] if cpu and shutil.which("taskset") else []
        # Our gunicorn (27) opens a control socket per master unless told not to, and two masters
        # on one machine take it from each other; a peer's own gunicorn (OpenFisca pins 22) has none.
        own = [] if gunicorn else ["--no-control-socket"]
        command += (gunicorn or gunicorn_command()) + [
            "--workers", "2", "--bind", f"{HOST}:{self.port}", "--chdir", str(chdir), *own, *extra, app,
        ]
        self.process = subprocess.Popen(
            command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, body: bytes, timeout: float = 30.0, path: str = PATH) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} server exited; its log:\n{self.log.read_text()}")
            try:
                post(self.url, body, path)
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"{self.name} server did not answer within {timeout:.0f} s")

    def worker_peak_rss_mib(self) -> list[float]:
        peaks = []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return peaks
        for pid in children:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return peaks

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def post(url: str, body: bytes, path: str = PATH) -> tuple[int, bytes]:
    request = urllib.request.Request(url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- The body ----------------------------------------------------------------------------------


def full_answers(url: str) -> dict[str, Any]:
    """The realistic answer set, fitted to the questionnaire the real server serves."""
    with urllib.request.urlopen(f"{url}/api/v1/questionnaire?lang=en", timeout=5) as response:
        return packgen.fit_answers(json.load(response))


# --- Load generators ---------------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(url: str, script: Path, duration: float, connections: int, cpu: str,
            path: str = PATH) -> Result:
    command = ["taskset", "-c", cpu] if cpu and shutil.which("taskset") else []
    command += ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(duration))}s",
                "--latency", "-s", str(script), url + path]
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            timeout=duration + 60).stdout
    return parse_wrk(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(output: str) -> Result:
    def percentile(p: str) -> float:
        match = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return _ms(*match.groups()) if match else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Result(
        rps=rps, p50_ms=percentile("50"), p99_ms=percentile("99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0, requests=requests,
    )


def run_python(url: str, body: bytes, duration: float, connections: int, cpu: str,
               path: str = PATH) -> Result:
    """A bounded keep-alive load generator: `connections` threads for `duration` seconds."""
    if cpu and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cpu.split(",")})
    port = int(url.rsplit(":", 1)[1])
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[list[int]] = [[] for _ in range(connections)]
    errors = [0]
    deadline = time.perf_counter() + duration
    headers = {"Content-Type": "application/json"}

    def client(n: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError:
                errors[0] += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=10)
                continue
            latencies[n].append(time.perf_counter() - started)
            statuses[n].append(response.status)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per in latencies for x in per)
    codes = [c for per in statuses for c in per]
    if not flat:
        return Result(0.0, float("nan"), float("nan"), 0, errors[0], 0)
    return Result(
        rps=len(flat) / elapsed, p50_ms=flat[len(flat) // 2] * 1e3,
        p99_ms=flat[min(len(flat) - 1, int(len(flat) * 0.99))] * 1e3,
        non_2xx=sum(1 for c in codes if not 200 <= c < 300), errors=errors[0], requests=len(flat),
    )
