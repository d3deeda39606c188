"""The production recipe, run: nginx (``deploy/nginx``) over HTTPS in front of two gunicorn instances
(``deploy/systemd/advisor@.service``'s command line, each on a socket held as ``advisor@.socket``
holds it, each with its own instance folder), one SECRET_KEY, one PostgreSQL and one Redis.

It shows what the README promises: a questionnaire goes on across instances, rate limits count
once, slow clients stall bare gunicorn but not the service behind nginx, metrics add up across
workers, a rolling restart fails no request, a killed instance loses no acknowledged write, and
the logs of the whole run are JSON lines without answers, labels, tokens or private ids. The
figures are printed at the end of the module.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT, require
from tests.ops_support import (
    CSRF,
    GUNICORN,
    NGINX,
    OPENSSL,
    PRIVATE_LINK,
    Clients,
    Instance,
    Nginx,
    counter_values,
    free_port,
    full_answers,
    json_lines,
    self_signed_certificate,
    step_form,
    write_nginx_config,
)
from tests.storage_fixtures import NO_POSTGRES, POSTGRES_URL, empty_postgres
from tests.test_limits_redis import REDIS_SERVER, Redis

pytestmark = [pytest.mark.live, pytest.mark.postgres]

APP_LIMIT = 10
"""Writes per client per minute in the app (RATELIMIT_DEFAULT), shared through Redis."""
WRITES_PER_CLIENT = 8
"""Load clients move to a new source address after this many writes: under APP_LIMIT."""
SLOW_CLIENTS = 4
"""More than the two sync workers of an instance."""
BARE_PROBE_TIMEOUT_S = 3
NGINX_PROBE_TIMEOUT_S = 15
KILL_THREADS, KILL_WRITES_PER_THREAD = 4, 20
RESTART_THREADS = 3


@dataclass
class Region:
    nginx_url: str
    http_url: str
    a: Instance
    b: Instance
    nginx_log: Path
    clients: Clients
    questionnaire: dict[str, Any]
    secrets: dict[str, str]
    metrics_token: str
    figures: list[str] = field(default_factory=list)
    private: set[str] = field(default_factory=set)
    """Everything that must never be in a log line: ids, tokens, labels."""

    def metrics(self, instance: Instance) -> str:
        response = requests.get(f"{instance.url}/metrics", timeout=10,
                                headers={"Authorization": f"Bearer {self.metrics_token}"})
        assert response.status_code == 200, response.text
        return response.text

    def served(self, instance: Instance, route: str | None = None, status: str | None = None) -> float:
        values = counter_values(self.metrics(instance), "advisor_http_requests_total")
        return sum(v for labels, v in values.items()
                   if (route is None or ("route", route) in labels)
                   and (status is None or ("status", status) in labels))


def _print_figures(pytestconfig, figures: list[str]) -> None:
    """To the terminal even when pytest captures output: the figures are the point of the run."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    reporter = pytestconfig.pluginmanager.getplugin("terminalreporter")
    if reporter is None:
        return
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        reporter.write_line("")
        for line in figures:
            reporter.write_line(f"scale-out: {line}")


def _migrate(env: dict[str, str]) -> None:
    """The upgrade recipe's first step: the schema, once, before the instances start."""
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run([str(flask), "--app", "advisor", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def region(tmp_path_factory, pytestconfig) -> Iterator[Region]:
    require(NGINX is not None and OPENSSL is not None, "needs Debian's nginx and openssl: run scripts/setup-nginx")
    require(REDIS_SERVER is not None, "needs redis-server: run scripts/setup-redis")
    require(POSTGRES_URL is not None, NO_POSTGRES)
    require(GUNICORN.exists(), "gunicorn next to the interpreter")
    folder = tmp_path_factory.mktemp("region")
    empty_postgres(POSTGRES_URL)
    redis = Redis(folder)
    tokens = {"secret_key": secrets.token_hex(32), "admin": secrets.token_urlsafe(32),
              "metrics": secrets.token_urlsafe(32)}
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ADVISOR_") and key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({
        "ADVISOR_SECRET_KEY": tokens["secret_key"], "ADVISOR_DATABASE_URL": POSTGRES_URL,
        "ADVISOR_RATELIMIT_STORAGE_URI": redis.url, "ADVISOR_RATELIMIT_DEFAULT": f"{APP_LIMIT} per minute",
        "ADVISOR_PROXY_COUNT": "1", "ADVISOR_ADMIN_TOKEN": tokens["admin"],
        "ADVISOR_METRICS_TOKEN": tokens["metrics"], "ADVISOR_RETENTION_DAYS": "30",
    })
    instances: list[Instance] = []
    proxy = None
    try:
        _migrate({**env, "ADVISOR_INSTANCE_DIR": str(folder / "migrate")})
        a = Instance("a", folder / "a", env, access_log=True)
        b = Instance("b", folder / "b", env)
        instances = [a, b]
        a.spawn()
        b.spawn()
        a.wait_healthy()
        b.wait_healthy()
        cert, key = self_signed_certificate(folder)
        https_port, http_port = free_port(), free_port()
        config = write_nginx_config(folder / "nginx", {
            "server 127.0.0.1:8001 max_fails": f"server 127.0.0.1:{a.port} max_fails",
            "server 127.0.0.1:8002 max_fails": f"server 127.0.0.1:{b.port} max_fails",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "    listen [::]:80;\n": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "    listen [::]:443 ssl http2;\n": "",
            "/etc/ssl/advisor/fullchain.pem": str(cert),
            "/etc/ssl/advisor/privkey.pem": str(key),
            "/srv/advisor/advisor/static/": f"{ROOT / 'advisor' / 'static'}/",
            "/var/log/nginx/advisor.access.json": str(folder / "nginx" / "access.json"),
        })
        proxy = Nginx(config, https_port)
        clients = Clients(cert)
        nginx_url = f"https://127.0.0.1:{https_port}"
        questionnaire = clients.new().get(f"{nginx_url}/api/v1/questionnaire?lang=nl", timeout=10).json()
        region = Region(nginx_url, f"http://127.0.0.1:{http_port}", a, b, folder / "nginx" / "access.json",
                        clients, questionnaire, tokens, tokens["metrics"])
        region.private.update(tokens.values())
        yield region
        _print_figures(pytestconfig, region.figures)
    finally:
        if proxy is not None:
            proxy.stop()
        for instance in instances:
            instance.close()
        redis.stop()


# --- One visitor, two instances ----------------------------------------------------------------


def test_a_questionnaire_started_on_one_instance_continues_on_the_other(region):
    steps = region.questionnaire["steps"]
    answers = full_answers(region.questionnaire)
    manager = region.clients.new()
    a, b = region.a.url, region.b.url
    page = manager.get(f"{a}/steps/1", timeout=10)
    token = CSRF.search(page.text).group(1)
    half = len(steps) // 2
    for number, step in enumerate(steps, start=1):
        base = a if number <= half else b  # the session and its CSRF token cross over here
        sent = manager.post(f"{base}/steps/{number}", data={**step_form(step, answers), "nav": "next",
                                                            "csrf_token": token},
                            allow_redirects=False, timeout=10)
        assert sent.status_code == 302, (number, sent.status_code, sent.text[:500])
    assert sent.headers["Location"].endswith("/advice")
    advice = manager.get(f"{b}/advice", timeout=10)
    assert advice.status_code == 200
    link = PRIVATE_LINK.search(advice.text)
    assert link, "no private link on the advice page"
    assessment_id = link.group(1)
    region.private.update({assessment_id, token, *manager.cookies.values()})
    # A colleague opens the private link on the other instance and lands on the same advice.
    colleague = region.clients.new()
    opened = colleague.get(f"{a}/a/{assessment_id}", timeout=10)
    assert opened.status_code == 200 and opened.url.endswith("/advice"), opened.url
    stored = colleague.get(f"{region.nginx_url}/api/v1/assessments/{assessment_id}", timeout=10).json()
    assert stored["answers"] == answers and stored["status"] == "complete"
    forms = colleague.get(f"{region.nginx_url}/api/v1/forms?lang=nl", timeout=10).json()["forms"]
    advised = next(form["name"] for form in forms if form["id"] == stored["advice"]["recommended"])
    assert advised in advice.text and advised in opened.text
    region.figures.append(f"questionnaire: steps 1-{half} on instance a, {half + 1}-{len(steps)} and the advice "
                          f"on b, the private link opened on a: same answers ({len(answers)})")


def test_http_is_sent_to_https_and_https_is_remembered(region):
    response = requests.get(f"{region.http_url}/steps/1", allow_redirects=False, timeout=10)
    assert response.status_code == 301 and response.headers["Location"].startswith("https://")
    page = region.clients.new().get(f"{region.nginx_url}/", timeout=10)
    assert page.status_code == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_body_over_the_limit_is_refused_by_nginx(region):
    before = region.served(region.a) + region.served(region.b)
    response = region.clients.new().post(f"{region.nginx_url}/api/v1/advice", data=b"{" + b" " * (2 << 20) + b"}",
                                         headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 413
    assert region.served(region.a) + region.served(region.b) == before  # no instance saw it


def test_static_files_come_from_nginx(region):
    css = next((ROOT / "advisor" / "static" / "css").glob("*.css"))
    before = region.served(region.a) + region.served(region.b)
    response = region.clients.new().get(f"{region.nginx_url}/static/css/{css.name}", timeout=10)
    assert response.status_code == 200 and response.content == css.read_bytes()
    assert "X-Request-ID" not in response.headers  # nginx answered, not the app
    assert region.served(region.a) + region.served(region.b) == before


# --- Limits ------------------------------------------------------------------------------------


def test_rate_limits_are_counted_once_across_both_instances(region):
    route = "/api/v1/advice"
    before = {i.name: (region.served(i, route, "200"), region.served(i, route, "429")) for i in (region.a, region.b)}
    client = region.clients.new()
    body = {"answers": full_answers(region.questionnaire)}
    answers = [client.post(f"{region.nginx_url}{route}", json=body, timeout=10) for _ in range(APP_LIMIT + 6)]
    statuses = Counter(response.status_code for response in answers)
    assert statuses == {200: APP_LIMIT, 429: 6}, statuses
    refused = [response for response in answers if response.status_code == 429]
    assert all(r.headers["Content-Type"].startswith("application/problem+json") and r.headers["Retry-After"]
               for r in refused)  # the app's limit, not nginx's
    # A client cannot pose as another: nginx replaces whatever X-Forwarded-For it sends.
    spoofed = client.post(f"{region.nginx_url}{route}", json=body, timeout=10, headers={"X-Forwarded-For": "10.1.2.3"})
    assert spoofed.status_code == 429
    after = {i.name: (region.served(i, route, "200"), region.served(i, route, "429")) for i in (region.a, region.b)}
    per_instance = {name: (after[name][0] - before[name][0], after[name][1] - before[name][1]) for name in after}
    assert all(ok > 0 for ok, _ in per_instance.values()), per_instance  # nginx used both instances
    assert sum(ok for ok, _ in per_instance.values()) == APP_LIMIT
    assert sum(refused for _, refused in per_instance.values()) == 7
    region.figures.append(f"rate limit {APP_LIMIT}/min for one client: {statuses[200]} accepted, {statuses[429]} "
                          f"refused; accepted/refused by instance: {per_instance}")


def test_nginx_limits_a_flood_before_it_reaches_the_instances(region):
    """120 requests from one address, 12 at a time: more than 20 a second whatever the machine's
    speed, since nginx answers the ones over the limit at once."""
    address = region.clients.new().source_address
    route = "/api/v1/forms"
    before = region.served(region.a, route) + region.served(region.b, route)
    statuses: Counter = Counter()
    lock = threading.Lock()

    def flood() -> None:
        client = region.clients.new(address)
        for _ in range(10):
            status = client.get(f"{region.nginx_url}{route}", timeout=30).status_code
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=flood) for _ in range(12)]
    _run(threads)
    _join(threads)
    assert sum(statuses.values()) == 120 and set(statuses) <= {200, 429}, statuses
    assert statuses[429] > 0 and statuses[200] >= 40, statuses
    reached = region.served(region.a, route) + region.served(region.b, route) - before
    assert reached == statuses[200]
    region.figures.append(f"nginx limit_req: 120 requests, 12 at a time, from one address: {statuses[200]} passed, "
                          f"{statuses[429]} refused by nginx")


# --- Slow clients ------------------------------------------------------------------------------


def _slow_client(port: int, tls_context: ssl.SSLContext | None, stop: threading.Event, opened: list) -> None:
    """The slowloris pattern: a request's headers, a line every half second, never finished."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname="127.0.0.1")
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened.append(sock)
        for number in range(40):
            if stop.wait(0.5):
                break
            sock.sendall(f"X-Slow-{number}: trickle\r\n".encode())
    except OSError:
        pass  # the server gave up on us: what nginx is for
    finally:
        for sock in list(opened):
            try:
                sock.close()
            except OSError:
                pass


def _probe_under_slow_clients(port: int, tls_context: ssl.SSLContext | None, url: str, timeout: float,
                              verify: str | bool) -> tuple[bool, float]:
    stop = threading.Event()
    threads, opened = [], []
    for _ in range(SLOW_CLIENTS):
        sockets: list = []
        opened.append(sockets)
        thread = threading.Thread(target=_slow_client, args=(port, tls_context, stop, sockets), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        for _ in range(100):  # until every slow client is connected (bounded)
            if all(opened):
                break
            time.sleep(0.02)
        time.sleep(0.5)  # let the server take them up
        started = time.monotonic()
        try:
            ok = requests.get(url, timeout=timeout, verify=verify).status_code == 200
        except requests.RequestException:
            ok = False
        return ok, time.monotonic() - started
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def test_slow_clients_stall_bare_gunicorn_but_not_the_service_behind_nginx(region):
    tls = ssl.create_default_context(cafile=region.clients.ca)
    nginx_port = int(region.nginx_url.rsplit(":", 1)[1])
    behind_ok, behind_s = _probe_under_slow_clients(
        nginx_port, tls, f"{region.nginx_url}/api/v1/health", NGINX_PROBE_TIMEOUT_S, region.clients.ca)
    bare_ok, bare_s = _probe_under_slow_clients(
        region.a.port, None, f"{region.a.url}/api/v1/health", BARE_PROBE_TIMEOUT_S, False)
    region.a.wait_healthy()  # the slow clients are gone: the bare instance serves again
    region.figures.append(f"{SLOW_CLIENTS} slowloris clients: probe behind nginx {'ok' if behind_ok else 'FAILED'} "
                          f"in {behind_s:.2f} s; probe on bare gunicorn (2 sync workers) "
                          f"{'ok' if bare_ok else 'stalled'} ({bare_s:.2f} s, timeout {BARE_PROBE_TIMEOUT_S} s)")
    assert behind_ok
    assert not bare_ok


# --- Metrics across workers --------------------------------------------------------------------


def test_metrics_add_up_across_the_workers_of_an_instance(region):
    route = "/api/v1/forms"
    before = region.served(region.a, route, "200")

    def fetch(count: int) -> None:
        with requests.Session() as session:
            for _ in range(count):
                assert session.get(f"{region.a.url}{route}", timeout=10).status_code == 200

    threads = [threading.Thread(target=fetch, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert region.served(region.a, route, "200") - before == 40
    lines, _ = json_lines(region.a.output())
    pids = {line["pid"] for line in lines if line.get("logger") == "advisor.request" and line.get("route") == route}
    assert len(pids) >= 2, pids  # two workers served them; one /metrics answer counts both
    region.figures.append(f"metrics: 40 requests to instance a served by workers {sorted(pids)}, "
                          f"counted 40 by one scrape")


# --- Restarts and failures ---------------------------------------------------------------------


@dataclass
class Load:
    """Clients doing what managers and platforms do, one request at a time each, through nginx."""

    region: Region
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[str, dict] = field(default_factory=dict)

    def record(self, ok: bool, what: str) -> None:
        with self.lock:
            self.requests += 1
            if not ok:
                self.failures.append(what)

    def create(self, client: requests.Session, answers: dict, label: str) -> None:
        try:
            response = client.post(f"{self.region.nginx_url}/api/v1/assessments", timeout=30,
                                   json={"label": label, "answers": answers})
        except requests.RequestException as error:
            self.record(False, f"create: {type(error).__name__}")
            return
        self.record(response.status_code == 201, f"create: {response.status_code}")
        if response.status_code == 201:
            with self.lock:
                self.acknowledged[response.json()["id"]] = answers

    def mixed(self, number: int) -> None:
        """Reads, advice and writes until told to stop; a new client address every few writes."""
        base, answers = self.region.nginx_url, full_answers(self.region.questionnaire)
        for round_number in range(10_000):
            if self.stop.is_set():
                return
            if round_number % (WRITES_PER_CLIENT // 2) == 0:
                client = self.region.clients.new()
            for method, path, body in (("GET", "/api/v1/questionnaire", None),
                                       ("POST", "/api/v1/advice", {"answers": answers})):
                try:
                    status = client.request(method, f"{base}{path}", json=body, timeout=30).status_code
                    self.record(status == 200, f"{method} {path}: {status}")
                except requests.RequestException as error:
                    self.record(False, f"{method} {path}: {type(error).__name__}")
            self.create(client, {"partners": (number * 1000 + round_number) % 400 + 1}, f"restart-label-{number}")


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()


def _read_back(region: Region, acknowledged: dict[str, dict]) -> int:
    """How many acknowledged writes read back with their answers (through nginx; a new client
    address every 30 reads, under nginx's burst per address)."""
    found = 0
    for number, (assessment_id, answers) in enumerate(acknowledged.items()):
        if number % 30 == 0:
            client = region.clients.new()
        response = client.get(f"{region.nginx_url}/api/v1/assessments/{assessment_id}", timeout=30)
        if response.status_code == 200 and response.json()["answers"] == answers:
            found += 1
    region.private.update(acknowledged)
    return found


def test_a_rolling_restart_fails_no_request(region):
    load = Load(region)
    threads = [threading.Thread(target=load.mixed, args=(n,)) for n in range(RESTART_THREADS)]
    _run(threads)
    try:
        time.sleep(0.5)
        for instance in (region.a, region.b):  # one instance at a time, as `systemctl restart advisor@...`
            served_before = load.requests
            instance.stop()
            instance.start()
            assert load.requests > served_before  # the region served while this instance restarted
            time.sleep(0.5)
    finally:
        load.stop.set()
        _join(threads)
    found = _read_back(region, load.acknowledged)
    region.figures.append(f"rolling restart of a then b under load: {load.requests} requests, "
                          f"{len(load.failures)} failed; writes acknowledged {len(load.acknowledged)}, found {found}")
    assert load.failures == []
    assert load.requests > 30 and found == len(load.acknowledged) > 0


def test_an_instance_killed_mid_run_loses_no_acknowledged_write(region):
    load = Load(region)

    def writer(number: int) -> None:
        client = region.clients.new()
        for write in range(KILL_WRITES_PER_THREAD):
            if write and write % WRITES_PER_CLIENT == 0:
                client = region.clients.new()
            load.create(client, {"partners": number * 100 + write + 1}, f"kill-label-{number}-{write}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(KILL_THREADS)]
    _run(threads)
    for _ in range(1000):  # until a quarter of the writes are acknowledged (bounded)
        if len(load.acknowledged) >= KILL_THREADS * KILL_WRITES_PER_THREAD // 4:
            break
        time.sleep(0.01)
    done_at_kill = load.requests
    region.b.kill()
    _join(threads)
    # nginx routes around the dead instance: every read now succeeds, through instance a.
    reads = [region.clients.new().get(f"{region.nginx_url}/api/v1/health", timeout=30).status_code for _ in range(10)]
    found = _read_back(region, load.acknowledged)
    region.figures.append(
        f"instance b killed (SIGKILL, socket gone) after {done_at_kill} of {KILL_THREADS * KILL_WRITES_PER_THREAD} "
        f"creates: writes acknowledged "
        f"{len(load.acknowledged)}, found {found}, failed {len(load.failures)} {sorted(set(load.failures))}; "
        f"reads afterwards {Counter(reads)}")
    assert found == len(load.acknowledged)
    assert len(load.failures) <= KILL_THREADS  # at most the one request each client had in flight
    assert len(load.acknowledged) + len(load.failures) == KILL_THREADS * KILL_WRITES_PER_THREAD
    assert reads == [200] * 10


# --- Collaborations, admin, and the logs of all of it -----------------------------------------


def test_collaborations_and_the_admin_export_work_through_nginx(region):
    base, client = region.nginx_url, region.clients.new()
    label = f"Wijkteam-{secrets.token_hex(4)}"
    created = client.post(f"{base}/api/v1/collaborations", json={"name": f"Aanpak-{secrets.token_hex(4)}",
                                                                   "lang": "en"}, timeout=10)
    assert created.status_code == 201, created.text
    collaboration = created.json()
    token = collaboration["invitation"]["token"]
    responded = client.post(f"{base}/api/v1/invitations/{token}/responses", timeout=10,
                            json={"label": label, "answers": full_answers(region.questionnaire)})
    assert responded.status_code == 201, responded.text
    response_url = responded.json()["url"]
    seen = client.get(f"{base}/api/v1/collaborations/{collaboration['id']}", timeout=10)
    assert seen.status_code == 200 and label in seen.text
    export = client.get(f"{base}/api/v1/admin/assessments.csv", timeout=30,
                        headers={"Authorization": f"Bearer {region.secrets['admin']}"})
    assert export.status_code == 200 and export.text.count("\n") > 1
    region.private.update({label, collaboration["id"], token, response_url.rstrip("/").rsplit("/", 1)[1],
                           collaboration["name"]})


def test_the_logs_of_the_whole_run_are_json_without_private_data(region):
    text = region.a.output() + region.b.output()
    lines, other = json_lines(text)
    assert not other, other[:5]
    requests_logged = [line for line in lines if line.get("logger") == "advisor.request"]
    assert len(requests_logged) > 100
    assert all({"request_id", "route", "status", "duration_ms", "ruleset"} <= set(line) for line in requests_logged)
    access = [line for line in lines if line.get("logger") == "gunicorn.access"]
    assert access and all({"request_id", "route", "status", "duration_ms"} <= set(line) for line in access)
    assert any(line.get("logger") == "gunicorn.error" for line in lines)  # "Booting worker ..." as JSON
    # nginx's request id reaches the app's lines and gunicorn's access lines alike.
    assert {line["request_id"] for line in access} & {line["request_id"] for line in requests_logged}
    leaked = sorted(secret for secret in region.private if secret and secret in text)
    assert not leaked, leaked
    labels = ("restart-label-", "kill-label-")
    assert not any(label in text for label in labels)
    assert '"answers"' not in text
    given = full_answers(region.questionnaire).values()
    words = {value for value in given if isinstance(value, str) and len(value) >= 6}
    words |= {item for value in given if isinstance(value, list) for item in value if len(item) >= 6}
    assert words and not sorted(word for word in words if word in text)
    # nginx's own lines: JSON, no URL, and which instance answered each request.
    proxied, not_json = json_lines(region.nginx_log.read_text())
    assert not not_json and proxied, not_json[:5]
    nginx_text = region.nginx_log.read_text()
    assert not sorted(secret for secret in region.private if secret and secret in nginx_text)
    assert "/api/" not in nginx_text and "/a/" not in nginx_text
    ports = {str(region.a.port): "a", str(region.b.port): "b"}
    through = Counter(ports.get(line["upstream"].rsplit(":", 1)[-1], line["upstream"] or "nginx itself")
                      for line in proxied if "," not in line["upstream"])
    retried = sum(1 for line in proxied if "," in line["upstream"])
    assert through["a"] > 0 and through["b"] > 0
    assert {line["request_id"] for line in proxied} & {line["request_id"] for line in requests_logged}
    region.figures.append(f"requests through nginx by instance (nginx's log): {dict(through)}, "
                          f"{retried} moved to the other instance")
    region.figures.append(f"logs: {len(lines)} JSON lines ({len(requests_logged)} request lines, {len(access)} "
                          f"gunicorn access lines), none holding any of {len(region.private)} ids, tokens and labels")
