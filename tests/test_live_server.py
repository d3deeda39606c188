"""End to end: the production command (gunicorn, 2 workers, ``wsgi:app``) on 127.0.0.1, driven
through advisor.client and through the README's curl examples, then shut down cleanly."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
from openapi_spec_validator import validate

from advisor.client import AdvisorAPIError, AdvisorClient
from tests.conftest import ROOT, require
from tests.gunicorn_support import GUNICORN, LiveServer, free_port, running_gunicorn
from tests.ops_support import full_answers

pytestmark = pytest.mark.live

SERVE_SCRIPT = ROOT / "scripts" / "serve"
README = ROOT / "README.md"
README_ADDRESS = "127.0.0.1:8000"


def production_command(port: int) -> list[str]:
    """The ``exec .venv/bin/gunicorn ...`` line of scripts/serve (what the README starts), with
    this interpreter's gunicorn, the defaults of its ${VAR:-default} parts, and our port."""
    text = SERVE_SCRIPT.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.strip().startswith("exec "))
    values = {"PORT": str(port)}
    line = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: values.get(m[1], m[2]), line)
    argv = shlex.split(line)[1:]
    assert argv[0].endswith("/gunicorn"), argv
    return [str(GUNICORN), *argv[1:]]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    command = production_command(port)
    assert command[1:5] == ["--workers", "2", "--bind", f"127.0.0.1:{port}"]
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(folder / "instance")}
    env.pop("ADVISOR_CONFIG_FILE", None)
    with running_gunicorn(command[1:], port, folder, env) as server:
        yield server


@pytest.fixture
def api(live) -> Iterator[AdvisorClient]:
    with AdvisorClient(live.base_url, timeout=10, retries=2) as client:
        yield client


def test_two_workers_serve_the_api(live):
    booted = re.findall(r"Booting worker with pid: (\d+)", live.output())
    assert len(set(booted)) == 2, live.output()


def test_questionnaire_to_advice_through_the_client(api, live):
    questionnaire = api.questionnaire(lang="en")
    answers = full_answers(questionnaire, multi_options=3)
    questions = [q["id"] for step in questionnaire["steps"] for q in step["questions"]]
    assert set(answers) == set(questions)
    advice = api.advice(answers, lang="en")
    forms = api.forms("en")["forms"]
    assert advice["recommended"] in {form["id"] for form in forms}
    assert advice["completeness"] == {"answered": len(questions), "total": len(questions),
                                      "required_missing": []}
    assert advice["ranking"][0]["form"] in {form["id"] for form in forms}
    assert advice["explanation"] and advice["lang"] == "en"
    assert advice["ruleset"] == questionnaire["ruleset"] == api.plugins()["ruleset"]
    raw = requests.post(f"{live.base_url}/api/v1/advice", json={"answers": answers}, timeout=10)
    assert raw.headers["Advisor-Ruleset"] == questionnaire["ruleset"]["fingerprint"]


def test_error_path_through_the_client(api):
    questionnaire = api.questionnaire()
    answers = full_answers(questionnaire, multi_options=3)
    answers["horizon"] = "forever"
    answers["nonsense"] = "x"
    required = next(q["id"] for step in questionnaire["steps"] for q in step["questions"]
                    if q["required"] and q["id"] != "horizon")
    del answers[required]
    with pytest.raises(AdvisorAPIError) as caught:
        api.advice(answers, lang="en")
    error = caught.value
    assert error.status == 422 and error.type == "/api/v1/problems/invalid-params"
    assert "unknown option 'forever'" in error.errors["answers.horizon"][0]
    assert error.errors["answers.nonsense"] == ["unknown question"]
    assert error.errors[f"answers.{required}"] == ["this question is required"]



def test_http_errors_are_problem_details(live):
    for response, status in [
        (requests.get(f"{live.base_url}/api/v1/nothing", timeout=10), 404),
        (requests.put(f"{live.base_url}/api/v1/advice", json={}, timeout=10), 405),
        (requests.post(f"{live.base_url}/api/v1/advice", data="answers=1", timeout=10,
                       headers={"Content-Type": "application/x-www-form-urlencoded"}), 415),
        (requests.post(f"{live.base_url}/api/v1/advice", data="{", timeout=10,
                       headers={"Content-Type": "application/json"}), 400),
    ]:
        assert response.status_code == status
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == status


def test_spec_fetched_over_http_validates(api, live):
    spec = api.spec()
    validate(spec)
    docs = requests.get(f"{live.base_url}/api/v1/docs", timeout=10)
    assert docs.status_code == 200 and "swagger-init.js" in docs.text


def _has_assessments(api: AdvisorClient) -> bool:
    spec = api.spec()
    return "/assessments" in spec["paths"] and spec["servers"][0]["url"] == "/api/v1"


def test_assessment_lifecycle_through_the_client(api):
    if not _has_assessments(api):
        pytest.skip("this build has no /api/v1/assessments yet (issue 6)")
    questionnaire = api.questionnaire("en")
    answers = full_answers(questionnaire, multi_options=3)
    first_step = {q["id"]: answers[q["id"]] for q in questionnaire["steps"][0]["questions"]}
    draft = api.create_assessment(first_step, label="Wijkteam Noord", lang="en")
    assert draft["id"] and draft["url"].endswith(draft["id"])
    assert api.get_assessment(draft["id"])["id"] == draft["id"]
    finished = api.update_assessment(draft["id"], answers)
    assert finished["advice"]["recommended"]
    replay = api.replay_assessment(draft["id"])
    assert isinstance(replay, dict) and replay
    assert api.delete_assessment(draft["id"]) is None
    with pytest.raises(AdvisorAPIError) as gone:
        api.get_assessment(draft["id"])
    assert gone.value.status == 404


def readme_curl_commands() -> list[str]:
    """Every line starting with ``curl`` inside a fenced block of README.md."""
    commands, in_block = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and line.startswith("curl "):
            commands.append(line)
    return commands


def test_readme_has_curl_examples():
    assert len(readme_curl_commands()) >= 3


def test_readme_curl_examples_answer_json(live):
    """Run in README order; ``<id>`` is the id the last create answered with (a response's own id
    does not count), ``<token>`` the last invitation token."""
    require(shutil.which("curl") is not None, "curl (scripts/setup-curl installs it)")
    checked_spec, created_id, token = False, None, None
    for line in readme_curl_commands():
        if "<id>" in line:
            assert created_id, f"{line}: no earlier example created an id"
            line = line.replace("<id>", created_id)
        if "<token>" in line:
            assert token, f"{line}: no earlier example created an invitation"
            line = line.replace("<token>", token)
        argv = shlex.split(line.replace(README_ADDRESS, f"127.0.0.1:{live.port}"), comments=True)
        assert any(f"127.0.0.1:{live.port}" in arg for arg in argv), line
        result = subprocess.run([*argv, "--fail-with-body", "--max-time", "20"],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        if "DELETE" in argv and not result.stdout:
            continue
        body = json.loads(result.stdout)
        assert isinstance(body, dict), line
        if "/openapi.json" in line:
            validate(body)
            checked_spec = True
        if "/responses" not in line:
            created_id = body.get("id", created_id)
        token = (body.get("invitation") or {}).get("token", token)
    assert checked_spec, "the README should show how to fetch the spec"


def readme_python_example() -> str:
    """The fenced ```python block of the README's client section."""
    text = README.read_text()
    section = text[text.index("## Python client"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_client_example_runs(live):
    code = readme_python_example().replace(README_ADDRESS, f"127.0.0.1:{live.port}")
    assert f"127.0.0.1:{live.port}" in code
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recommended" in result.stdout.lower()


def test_shuts_down_cleanly(live):
    """Last in this module: SIGTERM stops the arbiter and both workers with exit status 0."""
    live.process.send_signal(signal.SIGTERM)
    assert live.process.wait(timeout=30) == 0
    assert "Shutting down: Master" in live.output()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{live.base_url}/api/v1/health", timeout=2)
