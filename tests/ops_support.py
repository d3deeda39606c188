"""Real processes for the production recipe's tests: nginx from ``deploy/nginx``, gunicorn instances
started as ``deploy/systemd/advisor@.service`` starts them, on listening sockets held the way
``advisor@.socket`` holds them, and HTTP clients with their own source addresses.

Every wait is bounded; every process is stopped by its own id when the test ends.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from tests.conftest import ROOT
from tests.gunicorn_support import GUNICORN, answers_health, free_port, stop_process  # noqa: F401  (re-exported)

DEPLOY = ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "samenwerkingswijzer.conf"
SERVICE_UNIT = DEPLOY / "systemd" / "advisor@.service"
ENV_TEMPLATE = DEPLOY / "advisor.env.example"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")
STARTUP_SECONDS = 90.0  # a readiness bound, not a timing assertion


# --- TLS ---------------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 standing in for the operator's (clients verify against it)."""
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


# --- nginx -------------------------------------------------------------------------------------


def render_site(replacements: dict[str, str]) -> str:
    """deploy/nginx's site with test addresses and paths; each replaced text must be in the file."""
    text = NGINX_SITE.read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in {NGINX_SITE}: update the test's replacements"
        text = text.replace(old, new)
    return text


def nginx_main_config(folder: Path, site: Path) -> str:
    """The part Debian's /etc/nginx/nginx.conf plays: an http block including the site, with
    every file nginx writes inside `folder`."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the test's files
    return f"""{user}worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    access_log {folder}/access.log;
    include {site};
}}
"""


def write_nginx_config(folder: Path, replacements: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    site = folder / "site.conf"
    site.write_text(render_site(replacements))
    main = folder / "nginx.conf"
    main.write_text(nginx_main_config(folder, site))
    return main


def nginx_test(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(config.parent)],
                          capture_output=True, text=True, timeout=60)


class Nginx:
    """nginx as a normal process with its own config and prefix folder."""

    def __init__(self, config: Path, probe_port: int) -> None:
        self.config = config
        self.log = config.parent / "nginx.out"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([NGINX, "-c", str(config), "-p", str(config.parent)],
                                            stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log.read_text()} {(config.parent / 'error.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", probe_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening")

    def stop(self) -> None:
        stop_process(self.process, signal.SIGQUIT)


# --- gunicorn instances ------------------------------------------------------------------------


def unit_command(workers: int) -> list[str]:
    """The ExecStart of deploy/systemd/advisor@.service, with this interpreter's gunicorn."""
    text = SERVICE_UNIT.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(line.removeprefix("ExecStart=").replace("${WEB_CONCURRENCY}", str(workers)))
    assert argv[0].endswith("/gunicorn"), argv
    return [str(GUNICORN), *argv[1:]]


class HeldSocket:
    """A listening socket kept open across restarts of the instance, as systemd's socket unit
    does: while the instance is down, connections wait in its queue instead of being refused."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(2048)
        self.socket.set_inheritable(True)
        self.port = self.socket.getsockname()[1]
        self.fd = self.socket.fileno()

    def close(self) -> None:
        self.socket.close()


class Instance:
    """One app instance: gunicorn (the unit's command line) on a held socket, its own folders."""

    def __init__(self, name: str, folder: Path, env: dict[str, str], workers: int = 2,
                 access_log: bool = False) -> None:
        self.name = name
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.socket = HeldSocket()
        self.port = self.socket.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "gunicorn.log"
        self.env = {**env, "ADVISOR_INSTANCE_DIR": str(folder / "instance"),
                    "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics")}
        self.command = [*unit_command(workers), "--bind", f"fd://{self.socket.fd}"]
        if access_log:
            self.command[1:1] = ["--access-logfile", "-"]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    def spawn(self) -> None:
        """Start the processes without waiting for them (to start several instances at once)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, pass_fds=(self.socket.fd,),
                                            start_new_session=True)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"instance {self.name} exited:\n{self.output()[-4000:]}")
            if answers_health(self.url, timeout=5):
                return
            time.sleep(0.05)  # workers still loading the rule packs
        raise RuntimeError(f"instance {self.name} did not become healthy:\n{self.output()[-4000:]}")

    def stop(self) -> None:
        """Graceful: the master stops accepting, workers finish what they are serving."""
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM)

    def kill(self) -> None:
        """The host going away: every process of the instance killed at once, its socket gone."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.socket.close()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # a worker left behind by a failed test
            except ProcessLookupError:
                pass
        self.socket.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# --- Clients -----------------------------------------------------------------------------------


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one loopback address: each stands for another client of the region."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Clients:
    """Sessions from fresh loopback addresses (127.1.0.1, 127.1.0.2, ...), trusting the test's CA."""

    def __init__(self, ca: Path) -> None:
        self.ca = str(ca)
        self.numbers = itertools.count(1)

    def new(self, address: str | None = None) -> requests.Session:
        """A session from a fresh address, or from `address` (another connection of one client)."""
        if address is None:
            number = next(self.numbers)
            address = f"127.1.{number // 250}.{number % 250 + 1}"
        session = requests.Session()
        adapter = SourceAddressAdapter(address)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = self.ca
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace `verify`, a proxy variable the route
        session.source_address = address  # type: ignore[attr-defined]
        return session


def counter_values(text: str, name: str) -> dict[frozenset, float]:
    """A metric's samples from Prometheus text, by label set."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[frozenset, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                values[frozenset(sample.labels.items())] = sample.value
    return values


def json_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The JSON lines of a log, and the lines that are not JSON."""
    parsed, other = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            other.append(line)
            continue
        (parsed if isinstance(value, dict) else other).append(value if isinstance(value, dict) else line)
    return parsed, other


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PRIVATE_LINK = re.compile(r"/a/([A-Za-z0-9_-]{20,})")


def full_answers(questionnaire: dict, multi_options: int = 2) -> dict[str, Any]:
    """A valid answer to every question, from the questionnaire's own options and ranges (the
    first `multi_options` options of a multiple choice)."""
    answers: dict[str, Any] = {}
    for step in questionnaire["steps"]:
        for question in step["questions"]:
            options = [option["id"] for option in question["options"]]
            if question["kind"] == "choice":
                answers[question["id"]] = options[-1]
            elif question["kind"] == "multi":
                answers[question["id"]] = options[:multi_options]
            else:
                low, high = question["min"] or 0, question["max"] or 100
                answers[question["id"]] = (low + high) // 2
    return answers


def step_form(step: dict, answers: dict[str, Any]) -> dict[str, Any]:
    """The form fields a browser sends for one step with these answers."""
    data: dict[str, Any] = {}
    for question in step["questions"]:
        value = answers[question["id"]]
        data[question["id"]] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data
