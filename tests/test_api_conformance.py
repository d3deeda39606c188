"""The spec as outside tools read it (issue 21 "Done means"): Spectral with the NL API Design
Rules lints the served spec with no error, a generated pydantic client parses real responses,
and the schemathesis CLI (all checks, all phases, stateful included) finds nothing against the
production server (gunicorn, 2 workers) on 127.0.0.1."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, require
from tests.gunicorn_support import free_port, running_gunicorn

SPECTRAL = ROOT / "tools" / "spectral" / "node_modules" / ".bin" / "spectral"
RULESET = ROOT / "tools" / "spectral" / "adr.yaml"
DATAMODEL_CODEGEN = Path(sys.executable).parent / "datamodel-codegen"
SCHEMATHESIS = Path(sys.executable).parent / "st"
ADMIN_TOKEN = "conformance-admin-token-0123456789"
OPERATOR = {"API_CONTACT_NAME": "Team Sociaal Domein", "API_CONTACT_EMAIL": "api@gemeente.example",
            "API_CONTACT_URL": "https://gemeente.example/samenwerkingswijzer"}
ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
ERROR = 0  # Spectral's severity for an error


# --- Spectral: the NL API Design Rules ---------------------------------------------------------


def spectral(spec: dict, folder: Path) -> list[dict]:
    require(SPECTRAL.exists(), "Spectral CLI: run scripts/setup-spectral")
    path = folder / "openapi.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run([str(SPECTRAL), "lint", "-r", str(RULESET), str(path), "-f", "json", "-q"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout or "[]")


@pytest.fixture
def served_spec(make_store_app) -> dict:
    app = make_store_app(RULES_DIR=str(ROOT / "rules"), ADMIN_TOKEN=ADMIN_TOKEN,
                         PUBLIC_URL="https://wijzer.gemeente.example", **OPERATOR)
    return app.test_client().get("/api/v1/openapi.json").json


def test_the_served_spec_passes_the_adr_ruleset_with_no_error(served_spec, tmp_path):
    results = spectral(served_spec, tmp_path)
    errors = [f"{r['code']} at {'/'.join(map(str, r['path']))}: {r['message']}" for r in results
              if r["severity"] == ERROR]
    assert errors == []
    warned = {r["code"] for r in results if r["severity"] != ERROR}
    assert warned <= {"property-casing"}, warned          # README "leg uit": v1's snake_case fields


DEPARTURES = [
    (lambda s: s["info"].update(version="v1"), "semver"),
    (lambda s: s["info"]["contact"].pop("email"), "info-contact-fields-exist"),
    (lambda s: s.update(servers=[{"url": "https://wijzer.gemeente.example/api"}]), "include-major-version-in-uri"),
    (lambda s: s["paths"]["/forms"]["get"]["responses"]["200"]["headers"].pop("API-Version"), "missing-version-header"),
    (lambda s: s["paths"].update({"/Forms": s["paths"]["/forms"]}), "paths-kebab-case"),
    (lambda s: s["paths"].update({"/forms/": s["paths"]["/forms"]}), "paths-no-trailing-slash"),
    (lambda s: s["paths"]["/questionnaire"]["get"]["parameters"].append(
        {"in": "query", "name": "page_size", "schema": {"type": "integer"}}), "query-params-camel-case"),
    (lambda s: s["components"]["schemas"].update(advice_body=s["components"]["schemas"]["Advice"]), "schema-camel-case"),
    (lambda s: s["paths"]["/forms"]["get"]["responses"]["422"]["content"].update(
        {"application/json": s["paths"]["/forms"]["get"]["responses"]["422"]["content"].pop(
            "application/problem+json")}), "use-problem-schema"),
    (lambda s: s.update(openapi="3.1.0"), "openapi3"),
]


def test_the_ruleset_catches_each_departure(served_spec, tmp_path):
    """One lint of a spec broken in every way the ADR rules check: each rule must report."""
    spec = copy.deepcopy(served_spec)
    for break_it, _ in DEPARTURES:
        break_it(spec)
    found = {r["code"] for r in spectral(spec, tmp_path) if r["severity"] == ERROR}
    assert {rule for _, rule in DEPARTURES} - found == set()


# --- A generated client ---------------------------------------------------------------------


def generated_models(spec: dict, folder: Path):
    """Pydantic models generated from `spec` by datamodel-code-generator, imported."""
    require(DATAMODEL_CODEGEN.exists(), "datamodel-code-generator (the test extra)")
    source, target = folder / "openapi.json", folder / "generated_models.py"
    source.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run([str(DATAMODEL_CODEGEN), "--input", str(source), "--input-file-type", "openapi",
                           "--output", str(target), "--output-model-type", "pydantic_v2.BaseModel",
                           "--use-annotated", "--field-constraints", "--strict-nullable"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    module_spec = importlib.util.spec_from_file_location(f"generated_models_{id(folder)}", target)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    return module


def test_a_generated_client_parses_real_responses(make_store_app, tmp_path):
    app = make_store_app(RULES_DIR=str(ROOT / "rules"))
    api = app.test_client()
    models = generated_models(api.get("/api/v1/openapi.json").json, tmp_path)
    advice = api.post("/api/v1/advice", json={"answers": ANSWERS, "lang": "en", "alternatives": True}).json
    parsed = models.Advice.model_validate(advice)
    assert parsed.recommended.value == advice["recommended"]              # form ids are an enum
    assert [risk.severity.value for risk in parsed.risks] == [risk["severity"] for risk in advice["risks"]]
    draft = api.post("/api/v1/assessments", json={"answers": {"scope": "individual_cases"}}).json
    assert draft["advice"] is None
    assert models.Assessment.model_validate(draft).advice is None
    complete = models.Assessment.model_validate(api.post("/api/v1/assessments", json={"answers": ANSWERS}).json)
    assert isinstance(complete.advice, models.Advice)                    # not a dict: no anyOf wrapper
    collaboration = api.post("/api/v1/collaborations", json={"name": "Wijk", "lang": "en"}).json
    token = collaboration["invitation"]["token"]
    api.post(f"/api/v1/invitations/{token}/responses", json={"label": "Gemeente", "answers": ANSWERS})
    models.Collaboration.model_validate(api.get(f"/api/v1/collaborations/{collaboration['id']}").json)
    models.Questionnaire.model_validate(api.get("/api/v1/questionnaire").json)
    models.BatchResponse.model_validate(api.post("/api/v1/advice/batch", json={"items": [
        {"ref": "a", "answers": ANSWERS}, {"ref": "b", "answers": {}}]}).json)
    models.Problem.model_validate(api.post("/api/v1/advice", json={"answers": {}}).json)
    # v1 promises additive changes: a field added later must not break the generated client.
    models.Advice.model_validate({**advice, "added_in_a_later_minor_version": 1})
    models.Assessment.model_validate({**draft, "etag": "W/\"3\""})


# --- Schemathesis CLI against the production server -------------------------------------------


@pytest.fixture(scope="module")
def production_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("conformance")
    port = free_port()
    env = {**os.environ, "ADVISOR_INSTANCE_DIR": str(folder / "instance"), "ADVISOR_RATELIMIT_ENABLED": "false",
           "ADVISOR_ADMIN_TOKEN": ADMIN_TOKEN, "ADVISOR_PLUGINS_ENTRY_POINTS": "false"}
    env.pop("ADVISOR_CONFIG_FILE", None)
    options = ["--workers", "2", "--bind", f"127.0.0.1:{port}", "--max-requests", "100000", "--timeout", "60",
               "wsgi:app"]
    with running_gunicorn(options, port, folder, env) as server:
        yield server.base_url


def test_schemathesis_cli_finds_nothing_against_gunicorn(production_server, tmp_path):
    require(SCHEMATHESIS.exists(), "the schemathesis CLI (st)")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    # Every check runs by default; naming them (--checks all) would also override the one
    # per-operation exception in schemathesis.toml (batch items are checked one by one).
    command = [str(SCHEMATHESIS), "run", f"{production_server}/api/v1/openapi.json",
               "--phases", "examples,coverage,fuzzing,stateful",
               "--max-examples", "15", "--seed", "20261201", "--request-timeout", "30",
               "-H", f"Authorization: Bearer {ADMIN_TOKEN}", "--report", "junit",
               "--report-dir", str(tmp_path), "--no-color"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500, check=False)
    summary = done.stdout[-6000:]
    print(done.stdout[-1500:])                 # the run's summary, shown with pytest -s
    assert done.returncode == 0, summary + done.stderr[-3000:]
    assert "No issues found" in done.stdout or "passed" in done.stdout, summary
    assert "Stateful" in done.stdout, summary                          # the stateful phase ran
