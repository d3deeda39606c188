"""rules impact: the advice a rule change changes, over worked cases (a folder or a git ref as the
base) and stored assessments (a database URL), as text, JSON and an HTML report."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

RULES = ROOT / "rules"
YOUTH = ROOT / "plugins" / "youth-care"
CASE = """
[[cases]]
id = "by-phone"
expect_form = ["informal"]
[cases.answers]
scope = "individual_cases"
horizon = "months"
change_type = "known_route"
domains = ["care", "welfare"]
partners = 3
budget = "none"
"""
OLD_POINTS = "contributions = { informal = 4, project = -1, program = -1, embedded = -2 }"
NEW_POINTS = "contributions = { informal = -4, project = 6 }"


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any(RULES.glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")
    require(OLD_POINTS in (RULES / "scoring.toml").read_text(encoding="utf-8"),
            "rule scope-individual-cases has other points than this test edits")


@pytest.fixture
def edited(tmp_path) -> Path:
    """A copy of the core rules where the rule for individual cases now favours a project."""
    folder = tmp_path / "edited"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("collaboration"))
    scoring = folder / "scoring.toml"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(OLD_POINTS, NEW_POINTS), encoding="utf-8")
    return folder


@pytest.fixture
def case_file(tmp_path) -> Path:
    path = tmp_path / "cases.toml"
    path.write_text(CASE, encoding="utf-8")
    return path


def test_impact_of_a_folder_against_the_loaded_rules_names_form_risks_and_rules(runner, edited, case_file):
    result = runner.invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(edited), str(case_file)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("1 of 1 advices change (1 form, 0 risks, 1 ranking, 0 answers refused)")
    assert "  informal -> project: 1" in lines
    assert f"case by-phone ({case_file}:2):" in lines
    assert "  form: informal -> project" in lines
    assert ("  rule core-scoring/scope-individual-cases: informal +4, project -1, program -1, embedded -2 "
            "-> informal -4, project +6") in lines


def test_no_change_is_said_plainly(runner, case_file):
    result = runner.invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(RULES), str(case_file)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 of 1 advices change (0 form, 0 risks, 0 ranking, 0 answers refused)")


def test_impact_as_json(runner, edited, case_file):
    result = runner.invoke(args=["rules", "impact", "--json", "--base", str(RULES), "--head", str(edited),
                                 str(case_file)])
    body = json.loads(result.output)
    assert body["summary"] == {"compared": 1, "changed": 1, "form_changed": 1, "risks_changed": 0,
                               "ranking_changed": 1, "answers_refused": 0}
    assert body["form_changes"] == {"informal -> project": 1}
    [change] = body["changes"]
    assert (change["form_before"], change["form_after"]) == ("informal", "project")
    assert change["ranking_before"][0] == "informal" and change["ranking_after"][0] == "project"
    assert change["rules"] == [{"pack": "core-scoring", "rule": "scope-individual-cases",
                                "base": {"informal": 4, "project": -1, "program": -1, "embedded": -2},
                                "head": {"informal": -4, "project": 6}}]


def test_the_html_report_is_in_the_language_asked_and_escapes_texts(runner, edited, case_file, tmp_path):
    report = tmp_path / "impact.html"
    scoring = edited / "scoring.toml"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(
        'id = "scope-individual-cases"', 'id = "scope-individual-cases"\n# <script>'), encoding="utf-8")
    result = runner.invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(edited), "--lang", "nl",
                                 "--html", str(report), str(case_file)])
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="nl">' in html
    assert "<h1>Gevolgen van een regelwijziging</h1>" in html
    assert "vorm: Informele samenwerking → Samenwerkingsproject" in html
    assert "<td>core-scoring/scope-individual-cases</td>" in html
    assert "<script" not in html


def test_a_git_ref_as_the_base(make_app, tmp_path, case_file):
    require(shutil.which("git") is not None, "git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(YOUTH, repo / "packs", ignore=shutil.ignore_patterns("cases"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "youth"], check=True)
    pack = repo / "packs" / "youth.toml"
    pack.write_text(pack.read_text(encoding="utf-8") + '\n[[rules]]\nid = "youth-always"\n'
                    'contributions = { embedded = 40 }\nbecause = { nl = "x", en = "x" }\nsource = "s"\n',
                    encoding="utf-8")
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "impact", "--base", "HEAD", "--head", str(repo / "packs"),
                                                str(case_file)])
    assert result.exit_code == 0, result.output
    assert "packs at HEAD:" in result.output.splitlines()[0]
    assert "1 of 1 advices change" in result.output.splitlines()[0]
    assert "  form: informal -> embedded" in result.output
    assert "  rule youth/youth-always: did not fire -> embedded +40" in result.output


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """A database URL to store assessments in: a SQLite file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


def test_stored_assessments_through_a_database_url(make_app, tmp_path, edited, store_url):
    url = store_url
    app = make_app(DATABASE_URL=url)
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    client = app.test_client()
    answers = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
               "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
    stored = client.post("/api/v1/assessments", json={"answers": answers, "label": "Wijkteam", "lang": "en"})
    assert stored.status_code == 201, stored.get_data(as_text=True)
    other = client.post("/api/v1/assessments", json={"answers": {**answers, "scope": "defined_result"}, "lang": "en"})
    assert other.status_code == 201
    client.post("/api/v1/assessments", json={"answers": {"partners": 3}, "lang": "en"})  # a draft: not compared
    secret = stored.get_json()["id"]
    result = app.test_cli_runner().invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(edited),
                                                "--database", url])
    assert result.exit_code == 0, result.output
    assert "1 of 2 advices change" in result.output.splitlines()[0]
    assert f"assessment {secret[:6]}… (Wijkteam):" in result.output
    assert secret not in result.output  # the id is the key to the assessment
    app.extensions["advisor_db"].engine.dispose()


@pytest.mark.parametrize("args, message", [
    (["--base", "no-such-ref"], "--base: neither a folder nor a git ref of"),
    (["--base", str(RULES)], "give worked cases (CASES) or --database URL, or both"),
    (["--base", str(RULES), "--database", "nosuch://x"], "--database: cannot use nosuch://…"),
])
def test_impact_errors_are_one_clean_line(runner, tmp_path, case_file, args, message):
    extra = [str(case_file)] if args[0:2] == ["--base", "no-such-ref"] else []
    result = runner.invoke(args=["rules", "impact", "--head", str(RULES), *args, *extra])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_broken_pack_on_one_side_names_file_and_line(runner, edited, case_file):
    scoring = edited / "scoring.toml"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(NEW_POINTS, "contribution = { informal = -4 }"),
                       encoding="utf-8")
    result = runner.invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(edited), str(case_file)])
    assert result.exit_code == 1
    assert "scoring.toml:" in result.output and "did you mean 'contributions'?" in result.output


def test_impact_on_an_as_of_date_compares_the_rules_in_force_then(runner, tmp_path, case_file):
    folder = tmp_path / "dated"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("collaboration"))
    scoring = folder / "scoring.toml"
    scoring.write_text(scoring.read_text(encoding="utf-8").replace(
        OLD_POINTS, "valid_from = 2030-01-01\n" + NEW_POINTS), encoding="utf-8")
    args = ["rules", "impact", "--base", str(RULES), "--head", str(folder), str(case_file)]
    before = runner.invoke(args=[*args, "--as-of", "2029-12-31"]).output.splitlines()[0]
    after = runner.invoke(args=[*args, "--as-of", "2030-01-01"]).output.splitlines()[0]
    assert "0 of 1 advices change" in before and "1 of 1 advices change" in after


def test_a_database_that_does_not_answer_is_one_clean_line(runner, case_file):
    from tests.storage_fixtures import closed_port

    url = f"postgresql+psycopg://advisor:secret@127.0.0.1:{closed_port()}/advisor"
    result = runner.invoke(args=["rules", "impact", "--base", str(RULES), "--head", str(RULES), "--database", url])
    assert result.exit_code == 1
    assert "Error: --database: the assessments cannot be read: OperationalError" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output
