"""advisor.client.AdvisorClient against the app on a real 127.0.0.1 socket (a werkzeug server in
a thread), with a middleware that can fail requests, and against raw sockets that misbehave."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from advisor.client import AdvisorAPIError, AdvisorClient, GetOnlyRetry


class Flaky:
    """WSGI middleware: records every request and answers the next ones with given statuses."""

    def __init__(self, app) -> None:
        self.app = app
        self.calls: list[tuple[str, str]] = []
        self.fail_next: list[int] = []

    def __call__(self, environ, start_response):
        self.calls.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        if self.fail_next:
            status = self.fail_next.pop(0)
            body = json.dumps({"type": "about:blank", "title": "Unavailable", "status": status})
            return Response(body, status, mimetype="application/problem+json")(environ, start_response)
        return self.app(environ, start_response)


def serve(wsgi_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def flaky(app) -> Flaky:
    return Flaky(app.wsgi_app)


@pytest.fixture
def base_url(flaky) -> Iterator[str]:
    yield from serve(flaky)


@pytest.fixture
def api(base_url) -> Iterator[AdvisorClient]:
    with AdvisorClient(base_url, timeout=5, retries=2, backoff_factor=0) as client:
        yield client


def complete_answers(questionnaire: dict) -> dict:
    """A valid answer for every question, taken from the questionnaire itself."""
    answers = {}
    for step in questionnaire["steps"]:
        for question in step["questions"]:
            if question["kind"] == "choice":
                answers[question["id"]] = question["options"][0]["id"]
            elif question["kind"] == "multi":
                answers[question["id"]] = [option["id"] for option in question["options"][:2]]
            else:
                answers[question["id"]] = question["min"] if question["min"] is not None else 1
    return answers


def test_questionnaire_to_advice(api):
    questionnaire = api.questionnaire(lang="en")
    assert questionnaire["lang"] == "en"
    forms = api.forms("en")["forms"]
    advice = api.advice(complete_answers(questionnaire), lang="en")
    assert advice["recommended"] in {form["id"] for form in forms}
    assert advice["completeness"]["required_missing"] == []
    assert advice["ruleset"] == questionnaire["ruleset"]
    assert api.plugins()["ruleset"] == questionnaire["ruleset"]
    assert api.health()["status"] == "ok"
    assert api.spec()["info"]["version"] == "1.1.0"


def test_refused_answers_raise_with_errors_by_field(api):
    with pytest.raises(AdvisorAPIError) as caught:
        api.advice({"scope": "forever", "bogus": 1}, lang="en")
    error = caught.value
    assert error.status == 422 and error.problem["status"] == 422
    assert error.problem["instance"] == "/api/v1/advice"
    assert set(error.errors) >= {"answers.scope", "answers.bogus"}
    assert "unknown option 'forever'" in error.errors["answers.scope"][0]
    assert error.method == "POST" and error.url.endswith("/api/v1/advice")
    assert "422" in str(error)


def test_bad_language_is_a_422_on_get(api):
    with pytest.raises(AdvisorAPIError) as caught:
        api.forms(lang="xx")
    assert caught.value.status == 422 and "query.lang" in caught.value.errors


def test_get_is_retried_on_503(api, flaky):
    flaky.fail_next = [503, 503]
    assert api.questionnaire("en")["lang"] == "en"
    assert flaky.calls == [("GET", "/api/v1/questionnaire")] * 3


def test_get_gives_up_after_its_retries_with_the_last_problem(api, flaky):
    flaky.fail_next = [503] * 5
    with pytest.raises(AdvisorAPIError) as caught:
        api.health()
    assert caught.value.status == 503 and caught.value.title == "Unavailable"
    assert len(flaky.calls) == 3


def test_post_is_never_retried(api, flaky):
    flaky.fail_next = [503, 503]
    with pytest.raises(AdvisorAPIError) as caught:
        api.advice({"scope": "x"})
    assert caught.value.status == 503
    assert flaky.calls == [("POST", "/api/v1/advice")]


# --- Misbehaving servers -----------------------------------------------------------------------


def raw_server(handle: Callable[[socket.socket], None]) -> Iterator[tuple[str, list[int]]]:
    """A socket on 127.0.0.1 that gives every connection to `handle`; yields (url, connections)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    workers: list[threading.Thread] = []

    def serve_one(conn: socket.socket) -> None:
        with conn:
            handle(conn)

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(1)
            workers.append(threading.Thread(target=serve_one, args=(conn,), daemon=True))
            workers[-1].start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections
    finally:
        stop.set()
        thread.join()
        for worker in workers:
            worker.join()
        listener.close()


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(2)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def hangs_up():
    """Reads the request and closes the connection without an answer."""
    yield from raw_server(_read_request)


def test_dropped_connections_retry_gets_but_not_posts(hangs_up):
    url, connections = hangs_up
    with AdvisorClient(url, timeout=2, retries=2, backoff_factor=0) as client:
        with pytest.raises(requests.ConnectionError):
            client.plugins()
        assert len(connections) == 3
        connections.clear()
        with pytest.raises(requests.ConnectionError):
            client.advice({"scope": "x"})
        assert len(connections) == 1


def test_connection_errors_retry_only_idempotent_methods():
    retry = GetOnlyRetry(total=3, connect=3, allowed_methods=frozenset({"GET"}))
    refused = NewConnectionError(None, "refused")
    assert retry.increment("GET", "/x", error=refused).connect == 2
    with pytest.raises(MaxRetryError):
        retry.increment("POST", "/x", error=refused)


@pytest.fixture
def silent():
    """Reads the request and never answers (until the client gives up)."""

    def wait(conn: socket.socket) -> None:
        _read_request(conn)
        conn.settimeout(5)
        try:
            while conn.recv(4096):  # drain any body, so closing sends no reset
                pass
        except OSError:
            pass

    yield from raw_server(wait)


def test_every_request_has_a_timeout(silent):
    url, connections = silent
    with AdvisorClient(url, timeout=0.3, retries=1, backoff_factor=0) as client:
        with pytest.raises(requests.ReadTimeout):
            client.health()
        assert len(connections) == 2
        connections.clear()
        with pytest.raises(requests.ReadTimeout):
            client.advice({"scope": "x"})
        assert len(connections) == 1


@pytest.fixture
def bad_gateway():
    """Answers 502 with a plain-text body, as a proxy in front of the service might."""

    def answer(conn: socket.socket) -> None:
        _read_request(conn)
        body = b"upstream is down"
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    yield from raw_server(answer)


def test_non_json_errors_become_problem_details(bad_gateway):
    url, connections = bad_gateway
    with AdvisorClient(url, timeout=2, retries=1, backoff_factor=0) as client:
        with pytest.raises(AdvisorAPIError) as caught:
            client.forms()
    assert caught.value.status == 502 and len(connections) == 2
    assert caught.value.problem == {"type": "about:blank", "title": "Bad Gateway", "status": 502,
                                    "detail": "upstream is down"}
    assert caught.value.errors == {}


# --- Assessments: the request shapes of the issue-6 contract -----------------------------------


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict]]]:
    """Answers like the assessments API and records method, path and body of every request."""
    seen: list[dict] = []

    @Request.application
    def app(request: Request) -> Response:
        seen.append({"method": request.method, "path": request.environ["REQUEST_URI"],
                     "json": request.get_json(silent=True)})
        if request.method == "DELETE":
            return Response(status=204)
        status = 201 if request.method == "POST" else 200
        return Response(json.dumps({"id": "a/b c", "url": "/api/v1/assessments/a%2Fb%20c"}),
                        status, mimetype="application/json")

    for url in serve(app):
        yield url, seen


def test_assessment_calls(recorder):
    url, seen = recorder
    with AdvisorClient(url, retries=0) as client:
        created = client.create_assessment({"scope": "ongoing_task"}, label="Wijkteam", lang="en")
        assert created["id"] == "a/b c"
        client.get_assessment(created["id"])
        client.update_assessment(created["id"], {"partners": 12})
        client.update_assessment(created["id"], label="Wijkteam Noord")
        client.replay_assessment(created["id"])
        assert client.delete_assessment(created["id"]) is None
    path = "/api/v1/assessments/a%2Fb%20c"
    assert [(s["method"], s["path"], s["json"]) for s in seen] == [
        ("POST", "/api/v1/assessments",
         {"answers": {"scope": "ongoing_task"}, "label": "Wijkteam", "lang": "en"}),
        ("GET", path, None),
        ("PATCH", path, {"answers": {"partners": 12}}),
        ("PATCH", path, {"label": "Wijkteam Noord"}),
        ("GET", path + "/replay", None),
        ("DELETE", path, None),
    ]


# --- Idempotent creates and versions -----------------------------------------------------------


class LosesAnswers:
    """WSGI middleware: the next requests reach the app, but their answers are lost on the way
    back (a 502 from a proxy instead), as when a connection drops after the server committed."""

    def __init__(self, app) -> None:
        self.app = app
        self.lose_next = 0
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        if self.lose_next:
            self.lose_next -= 1
            b"".join(self.app(environ, lambda *args, **kwargs: None))
            return Response("bad gateway", 502)(environ, start_response)
        return self.app(environ, start_response)


def test_a_keyed_create_is_retried_and_makes_one_record(make_store_app):
    from advisor import storage

    app = make_store_app()
    losing = LosesAnswers(app.wsgi_app)
    for url in serve(losing):
        with AdvisorClient(url, timeout=5, retries=2, backoff_factor=0) as client:
            losing.lose_next = 2
            created = client.create_assessment({"scope": "ongoing_task"}, idempotency_key="platform-case-17")
            assert losing.calls == 3 and created["version"] == 1
            losing.lose_next = 1
            with pytest.raises(AdvisorAPIError) as caught:   # without a key a POST is never repeated
                client.create_assessment({"scope": "ongoing_task"})
            assert caught.value.status == 502 and losing.calls == 4
            changed = client.update_assessment(created["id"], {"partners": 12}, if_match=1)
            assert changed["version"] == 2
            with pytest.raises(AdvisorAPIError) as caught:
                client.update_assessment(created["id"], {"partners": 40}, if_match=1)
            assert caught.value.status == 412 and caught.value.problem["current_version"] == 2
            with pytest.raises(AdvisorAPIError):
                client.delete_assessment(created["id"], if_match=1)
            client.delete_assessment(created["id"], if_match=2)
    with app.app_context():
        # One record from the keyed create (erased at the end), one from the unkeyed one.
        assert storage.get_session().query(storage.Assessment).count() == 1


def test_advice_batch_in_one_json_request_and_streamed_beyond_1000(api, flaky):
    answers = complete_answers(api.questionnaire())
    items = [{"ref": "a", "answers": answers}, {"ref": "b", "answers": {**answers, "horizon": "forever"}}]
    results = api.advice_batch(items, lang="en")
    assert [(r["ref"], r["status"]) for r in results] == [("a", 200), ("b", 422)]
    assert results[0]["advice"] == api.advice(answers, lang="en")
    assert results[1]["problem"]["invalidParams"][0]["name"] == "/answers/horizon"
    many = [{"ref": f"dossier-{n}", "answers": answers} for n in range(1001)]
    flaky.calls.clear()
    streamed = api.advice_batch(many)
    assert flaky.calls == [("POST", "/api/v1/advice/batch")]    # one request, not two
    assert [r["ref"] for r in streamed] == [item["ref"] for item in many]
    assert {r["status"] for r in streamed} == {200}


def test_advice_batch_with_a_stale_ruleset_raises_412(api):
    answers = complete_answers(api.questionnaire())
    current = api.plugins()["ruleset"]["fingerprint"]
    assert api.advice_batch([{"ref": "a", "answers": answers}], ruleset=current)[0]["status"] == 200
    for size in (1, 1001):
        with pytest.raises(AdvisorAPIError) as caught:
            api.advice_batch([{"ref": str(n), "answers": answers} for n in range(size)], ruleset="0" * 64)
        assert caught.value.status == 412 and caught.value.problem["currentRuleset"] == current
        assert caught.value.type == "/api/v1/problems/ruleset-changed"
