"""The commands for rule authors, through Flask's CLI runner and the ``advisor`` script."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from advisor.cli import advisor_cli, main
from tests.conftest import MINI_PACKS, ROOT, require

RULES = ROOT / "rules"
YOUTH = ROOT / "plugins" / "youth-care"
CASES = ROOT / "tests" / "cases"
ANSWERS = {
    "scope": "individual_cases", "horizon": "months", "change_type": "known_route",
    "domains": ["care", "welfare"], "partners": 3, "budget": "none", "key_people": "yes",
}


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any(RULES.glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- plugins list ----------------------------------------------------------------------------


def test_plugins_list_shows_name_version_kind_source_and_hooks(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "version", "kind", "source"]
    youth = next(line for line in lines if line.startswith("youth "))
    assert youth.split()[:4] == ["youth", "1.0.0", "directory", "plugins/youth-care/youth.toml"]
    assert "hooks: assess_risks, register_questions, register_risks, register_steps, score_forms, success_conditions, validate_rules" in result.output
    assert "hooks: register_forms, register_questions, register_steps, success_conditions, validate_rules" in result.output
    assert "rule set " in lines[-1]


def test_plugins_list_as_json(runner, app):
    result = runner.invoke(args=["plugins", "list", "--json"])
    data = json.loads(result.output)
    names = [p["name"] for p in data["plugins"]]
    assert names == [p.name for p in app.extensions["advisor"].plugins]
    assert {p["kind"] for p in data["plugins"]} == {"builtin"}
    assert data["ruleset"] == app.extensions["advisor"].engine.ruleset.fingerprint


# --- rules check -----------------------------------------------------------------------------


def test_rules_check_passes_on_the_built_in_packs(runner):
    result = runner.invoke(args=["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_rules_check_passes_on_the_youth_pack_before_it_is_installed(runner):
    result = runner.invoke(args=["rules", "check", str(YOUTH)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "checked 1 pack(s): 0 error(s), 0 warning(s)"


LINTED = """
    [pack]
    id = "lint"
    version = "0.1"
    title = { nl = "Pluis" }

    [[questions]]
    id = "lint.unused"
    kind = "choice"
    text = { nl = "Vraag", en = "Question" }
    options = [{ id = "a", label = { nl = "a", en = "a" } }]

    [[rules]]
    id = "disjoint"
    when = { all = [{ scope = "individual_cases" }, { scope = ["ongoing_task", "core_task"] }] }
    contributions = { informal = 1 }
    because = { nl = "x", en = "x" }
    source = "s"

    [[rules]]
    id = "upside-down"
    when = { partners = { min = 50, max = 10 } }
    contributions = { informal = 1 }
    because = { nl = "x", en = "x" }
    source = "s"

    [[rules]]
    id = "too-many-domains"
    when = { domains = { at_least = 10 } }
    contributions = { informal = 1 }
    because = { nl = "x", en = "x" }
    source = "s"

    [[rules]]
    id = "possible"
    when = { any = [{ domains = { at_least = 9 } }, { not = { scope = "individual_cases" } }], partners = { min = 3 } }
    contributions = { informal = 1 }
    because = { nl = "x", en = "x" }
    source = "s"

    [[rules]]
    id = "scope-individual-cases"
    when = { scope = "individual_cases" }
    contributions = { informal = 1 }
    because = { nl = "x", en = "x" }

    [[risks]]
    id = "lint.skipped-and-answered"
    severity = "info"
    when = { funding_risk = { answered = false }, not = { funding_risk = { answered = false } } }
    title = { nl = "t", en = "t" }
    why = { nl = "w", en = "w" }
    advice = { nl = "a" }
    source = "s"

    [[risks]]
    id = "lint.required-skipped"
    severity = "info"
    when = { scope = { answered = false } }
    title = { nl = "t", en = "t" }
    why = { nl = "w", en = "w" }
    advice = { nl = "a", en = "a" }
    source = "s"

    [[conditions]]
    id = "wrong-form"
    forms = ["program"]
    when = { recommended = "informal" }
    text = { nl = "t", en = "t" }
    source = "s"
"""


def test_rules_check_warnings_exit_zero(runner, tmp_path):
    pack = write(tmp_path, "lint.toml", LINTED)
    result = runner.invoke(args=["rules", "check", str(pack)])
    assert result.exit_code == 0, result.output
    out = result.output
    expected = [
        "warning: {f}:5: pack: title: no en text: add en = \"…\"",
        "warning: {f}:53: risk 'lint.skipped-and-answered': advice: no en text",
        "warning: {f}:41: rule 'scope-individual-cases': no source: name the article or study it rests on",
        "warning: {f}:15: rule 'disjoint': can never fire: no answer to 'scope' meets all its conditions",
        "warning: {f}:22: rule 'upside-down': can never fire: when.partners has min 50 above max 10: swap them",
        "warning: {f}:29: rule 'too-many-domains': can never fire: no answer to 'domains' meets all its conditions",
        "warning: {f}:50: risk 'lint.skipped-and-answered': can never fire: no answer to 'funding_risk'",
        "warning: {f}:59: risk 'lint.required-skipped': can never fire: no answer to 'scope'",
        "warning: {f}:68: condition 'wrong-form': can never fire: no recommended form meets all its conditions",
        "warning: {f}:7: question 'lint.unused': no rule, risk or condition of a rule pack reads it",
        "warning: {f}:42: rule 'scope-individual-cases': the id is also used by pack",
    ]
    for line in expected:
        assert line.format(f=pack) in out
    assert "'possible'" not in out
    assert out.strip().endswith("0 error(s), 11 warning(s)")
    assert runner.invoke(args=["rules", "check", "--strict", str(pack)]).exit_code == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[pack]\nid = "x"\n', "error: {f}:1: pack.version: missing data for required field: add 'version = …'"),
        ('[pack]\nid = "x"\nversion = "1"\ntitle = { nl = "x", en = "x" }\n[[questions]]\nid = "scope"\n'
         'kind = "integer"\ntext = { nl = "x", en = "x" }\n',
         "error: {f}:6: question 'scope': is defined by two plugins: 'core' and 'x': rename it, e.g. 'x.scope'"),
        ('[pack]\nid = "x"\nversion = "1"\ntitle = { nl = "x", en = "x" }\n[[questions]]\nid = "size"\n'
         'kind = "integer"\ntext = { nl = "x", en = "x" }\n',
         "error: {f}:6: question 'size': must be namespaced, e.g. 'x.size'"),
        ('[pack]\nid = "x"\nversion = "1"\ntitle = { nl = "x", en = "x" }\n[[rules]]\nid = "r"\n'
         'when = { horizon = "forever" }\ncontributions = { informal = 1 }\nbecause = { nl = "x", en = "x" }\n',
         "error: {f}:7: rule 'r': when.horizon: unknown option 'forever' (known: months, years, permanent)"),
    ],
)
def test_rules_check_errors_exit_one_naming_file_item_and_field(runner, tmp_path, text, expected):
    pack = write(tmp_path, "x.toml", text)
    result = runner.invoke(args=["rules", "check", str(pack)])
    assert result.exit_code == 1
    assert expected.format(f=pack) in result.output


def test_rules_check_replaces_a_loaded_pack_with_the_same_id(make_app, tmp_path):
    """An author editing an installed pack checks the new version, not a collision with the old."""
    app = make_app(PLUGINS_DIR=str(YOUTH))
    edited = write(tmp_path, "youth.toml", (YOUTH / "youth.toml").read_text().replace('"one_plan"', '"one-plan"'))
    result = app.test_cli_runner().invoke(args=["rules", "check", str(edited)])
    assert result.exit_code == 0, result.output
    assert "defined by two plugins" not in result.output


def test_rules_check_lints_files_when_the_loaded_set_does_not_start(monkeypatch, tmp_path):
    broken = tmp_path / "rules"
    for pack in RULES.glob("*.toml"):
        write(broken, pack.name, pack.read_text())
    write(broken, "zz-broken.toml", '[pack]\nid = "zz"\nversion = "1"\ntitle = { nl = "x", en = "x" }\n'
                                    '[[rules]]\nid = "r"\nwhen = { scope = "nope" }\ncontributions = { informal = 1 }\n'
                                    'because = { nl = "x", en = "x" }\nsource = "s"\n')
    monkeypatch.setenv("ADVISOR_RULES_DIR", str(broken))
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("ADVISOR_PLUGINS_ENTRY_POINTS", "false")
    result = CliRunner().invoke(advisor_cli, ["rules", "check", str(YOUTH)])
    assert result.exit_code == 1
    assert "error: the loaded plugins do not start" in result.output
    assert "zz-broken.toml:7: rule 'r': when.scope: unknown option 'nope'" in result.output


# --- rules test ------------------------------------------------------------------------------


def test_rules_test_runs_the_youth_cases(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "test", str(YOUTH / "cases")])
    assert result.exit_code == 0, result.output
    assert "PASS youth-family-one-shared-plan (informal)" in result.output
    assert result.output.strip().endswith("3 passed, 0 failed")


def test_rules_test_runs_the_built_in_worked_cases(runner):
    require(CASES.is_dir(), "the worked cases (tests/cases/*.toml) are not merged yet")
    result = runner.invoke(args=["rules", "test", str(CASES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(" 0 failed")


def test_rules_test_reports_a_failing_case_readably(runner, tmp_path):
    cases = write(tmp_path, "mine.toml", """
        [[cases]]
        id = "phone-help"
        story = "Three professionals arrange help by phone."
        expect_form = "program"
        expect_risks = ["stagnation"]
        forbid_risks = ["person_dependence"]
        [cases.answers]
        scope = "individual_cases"
        horizon = "months"
        change_type = "known_route"
        domains = ["care", "welfare"]
        partners = 3
        budget = "none"
        key_people = "yes"
    """)
    result = runner.invoke(args=["rules", "test", str(cases)])
    assert result.exit_code == 1
    out = result.output
    assert f"FAIL phone-help ({cases}:2)" in out
    assert "Three professionals arrange help by phone." in out
    assert f"- {cases}:5: expected form program, got informal: if informal is right, write expect_form" in out
    assert f"- {cases}:6: expected risk(s) stagnation did not appear" in out
    assert f"- {cases}:7: forbidden risk(s) person_dependence appeared" in out
    assert "ranking: informal " in out and "core-scoring/scope-individual-cases: informal +4" in out
    assert out.strip().endswith("0 passed, 1 failed")


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[[cases]]\nid = "a"\nexpect_form = "informal"\n', "1: case 'a': answers: missing data for required field"),
        ('[[cases]]\nid = "a"\nexpect_form = "informal"\nwhen = 1\nanswers = {}\n', "4: case 'a': when: unknown field"),
        ('[[case]]\nid = "a"\n', "1: cases: missing data for required field"),
    ],
)
def test_rules_test_names_file_case_and_field_of_a_broken_case_file(runner, tmp_path, text, expected):
    cases = write(tmp_path, "broken.toml", text)
    result = runner.invoke(args=["rules", "test", str(cases)])
    assert result.exit_code == 1
    assert f"{cases}:{expected}" in result.output


def test_rules_test_flags_unknown_risks_and_invalid_answers(runner, tmp_path):
    cases = write(tmp_path, "typo.toml", """
        [[cases]]
        id = "typo"
        expect_form = ["informal"]
        expect_risks = ["person_dependance"]
        [cases.answers]
        scope = "forever"
    """)
    out = runner.invoke(args=["rules", "test", str(cases)]).output
    assert f"- {cases}:5: expect_risks: unknown risk 'person_dependance'" in out
    assert "did you mean 'person_dependence'?" in out
    assert f"- {cases}:6: answers.scope: unknown option 'forever'" in out
    assert f"- {cases}:6: answers.horizon: this question is required" in out


# --- advice ----------------------------------------------------------------------------------


def test_advice_from_a_json_file_prints_recommendation_ranking_reasons_and_risks(runner, tmp_path):
    answers = write(tmp_path, "answers.json", json.dumps({"lang": "en", "answers": ANSWERS}))
    result = runner.invoke(args=["advice", str(answers)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("Recommended: ")
    assert "(informal)" in out.splitlines()[0]
    assert "Ranking:\n  1. " in out
    assert "Why (every rule that fired):" in out
    assert "rule core-scoring/scope-individual-cases; source: 004" in out
    assert "[warning]" in out and "(person_dependence)" in out and "what to do: " in out
    assert "Answered 7 of 29 questions." in out


def test_advice_from_toml_in_dutch_and_as_json_matches_the_api(app, runner, tmp_path):
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in ANSWERS.items())
    answers = write(tmp_path, "answers.toml", lines + "\n")
    dutch = runner.invoke(args=["advice", "--lang", "nl", str(answers)])
    assert dutch.exit_code == 0, dutch.output
    assert "Waarom" not in dutch.output  # command chrome stays English; domain texts follow --lang
    english = runner.invoke(args=["advice", "--lang", "en", str(answers)])
    assert dutch.output != english.output
    as_json = runner.invoke(args=["advice", "--json", "--lang", "en", str(answers)])
    api = app.test_client().post("/api/v1/advice", json={"lang": "en", "answers": ANSWERS})
    assert json.loads(as_json.output) == api.json


def test_advice_with_bad_answers_names_the_fields(runner, tmp_path):
    answers = write(tmp_path, "bad.json", json.dumps({"scope": "forever"}))
    result = runner.invoke(args=["advice", str(answers)])
    assert result.exit_code == 1
    assert f"error: {answers}: answers.scope: unknown option 'forever'" in result.output
    assert "answers.horizon: this question is required" in result.output
    garbage = write(tmp_path, "garbage.json", "{not json")
    result = runner.invoke(args=["advice", str(garbage)])
    assert result.exit_code == 1 and "cannot be read as json" in result.output


# --- the advisor script ----------------------------------------------------------------------


@pytest.fixture
def script_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("ADVISOR_PLUGINS_ENTRY_POINTS", "false")
    return monkeypatch


def test_advisor_script_runs_the_same_commands_without_app(script_env):
    script_env.setenv("ADVISOR_PLUGINS_DIR", str(YOUTH))
    result = CliRunner().invoke(advisor_cli, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    assert "youth" in result.output and "directory" in result.output
    assert CliRunner().invoke(advisor_cli, ["rules", "check"]).exit_code == 0


def test_advisor_script_reports_a_broken_plugin_without_a_traceback(script_env, tmp_path, capsys, monkeypatch):
    write(tmp_path / "local", "bad.toml", '[pack]\nid = "bad"\nversion = "1"\ntitle = { xx = "?" }\n')
    script_env.setenv("ADVISOR_RULES_DIR", str(MINI_PACKS))
    script_env.setenv("ADVISOR_PLUGINS_DIR", str(tmp_path / "local"))
    monkeypatch.setattr("sys.argv", ["advisor", "plugins", "list"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "bad.toml:4: pack.title.xx: unknown field (allowed here: nl, en)" in err
    assert "Traceback" not in err


def test_tracing_logs_every_hook_call_of_an_advice(make_app, tmp_path, caplog):
    app = make_app(PLUGINS_DIR=str(YOUTH), PLUGINS_TRACE=True)
    answers = write(tmp_path, "answers.json", json.dumps({**ANSWERS, "youth.child_voice": "no"}))
    with caplog.at_level("INFO", logger="advisor.trace"):
        result = app.test_cli_runner().invoke(args=["advice", str(answers)])
    assert result.exit_code == 0, result.output
    traced = [r.getMessage() for r in caplog.records if r.name == "advisor.trace"]
    assert any(m.startswith("youth.score_forms(answers={'scope': 'individual_cases'") for m in traced)
    assert any(m.startswith("youth.assess_risks(") and "RiskFinding(id='youth.child_not_heard'" in m for m in traced)
    assert any(m.startswith("youth.success_conditions(recommended='informal'") for m in traced)


# --- rules test --coverage -------------------------------------------------------------------


def test_rules_test_coverage_lists_what_no_case_reaches(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "test", "--coverage", str(YOUTH / "cases")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    youth = lines.index("  youth: 3/4 rules fired, 2/2 risks raised, 5/8 options answered")
    assert lines[youth + 1:youth + 3] == [
        "    rules that fired in no case: youth-separate-plans",
        "    options no case answers: youth.safety_plan=separate_plans, youth.child_voice=parents_only, "
        "youth.statutory_partner=no",
    ]
    assert any(line.startswith("  core-scoring: ") and "rules fired" in line for line in lines)


def test_rules_test_coverage_as_json(make_app, tmp_path):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "test", "--coverage", "--json", str(YOUTH / "cases")])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["passed"], body["failed"]) == (3, 0)
    assert {c["id"] for c in body["cases"]} >= {"youth-family-one-shared-plan"}
    youth = next(entry for entry in body["coverage"] if entry["pack"] == "youth")
    assert youth["rules"] == 4 and youth["rules_unfired"] == ["youth-separate-plans"]
    assert youth["risks_unraised"] == []
    assert "youth.statutory_partner=no" in youth["options_unused"]
    core_scoring = next(entry for entry in body["coverage"] if entry["pack"] == "core-scoring")
    assert len(core_scoring["rules_unfired"]) > 10  # three youth cases leave most core rules untested


def test_rules_test_coverage_knows_python_rules_only_by_what_fired(make_app, tmp_path):
    from advisor import hookimpl
    from advisor.model import Contribution

    class Scorer:
        @hookimpl
        def score_forms(self, answers):
            return [Contribution(rule="always", contributions={"informal": 0.1}, because={"en": "x"})]

    app = make_app(PLUGINS_EXTRA=[("scorer", Scorer())])
    cases = write(tmp_path, "one.toml", """
        [[cases]]
        id = "one"
        expect_form = ["informal"]
        [cases.answers]
        scope = "individual_cases"
        horizon = "months"
        change_type = "known_route"
        domains = ["care", "welfare"]
        partners = 3
        budget = "none"
    """)
    body = json.loads(app.test_cli_runner().invoke(args=["rules", "test", "--coverage", "--json", str(cases)]).output)
    scorer = next(entry for entry in body["coverage"] if entry["pack"] == "scorer")
    assert scorer["rules"] is None and scorer["rules_unfired"] == []


# --- rules check on a Python plugin ----------------------------------------------------------


def test_rules_check_checks_a_python_plugin_module(runner, tmp_path):
    good = write(tmp_path / "ok", "housing_load.py", """
        from advisor import hookimpl

        @hookimpl
        def score_forms(answers):
            return []
    """)
    result = runner.invoke(args=["rules", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "checked 0 pack(s) and 1 module(s): 0 error(s), 0 warning(s)"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from advisor import hookimpl\n\n@hookimpl\ndef score_form(answers):\n    return []\n",
         "unknown hook 'score_form'"),
        ("import nowhere_to_be_found\n", "misspelled.py: import failed: ModuleNotFoundError"),
        ("from advisor import hookimpl\nfrom advisor.model import Question\n\n@hookimpl\ndef register_questions():\n"
         "    return [Question(id='scope', kind='integer', text={'en': 'x'})]\n",
         "question 'scope' is defined by two plugins: 'core' and 'misspelled'"),
    ],
)
def test_rules_check_reports_what_start_up_would_refuse_in_a_python_plugin(runner, tmp_path, source, expected):
    module = tmp_path / "misspelled.py"
    module.write_text(source, encoding="utf-8")
    result = runner.invoke(args=["rules", "check", str(module)])
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert result.output.startswith("error: ")


def test_rules_check_warns_about_a_module_without_hooks(runner, tmp_path):
    module = write(tmp_path, "nothing.py", "VALUE = 1\n")
    result = runner.invoke(args=["rules", "check", str(module)])
    assert f"warning: {module}: implements no hook: mark its functions with @hookimpl" in result.output


# --- rules show ------------------------------------------------------------------------------


def test_rules_show_previews_a_loaded_pack_as_a_manager_reads_it(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "show", "youth", "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Youth care (youth 1.0.0, ")
    assert "Step: Youth and family" in lines
    question = next(i for i, line in enumerate(lines) if "[youth.safety_plan]" in line)
    assert lines[question] == ("  1. Do all professionals around the child or family work from one shared safety "
                               "plan?  (may be skipped)  [youth.safety_plan]")
    assert lines[question + 2:question + 5] == [
        "     ( ) Yes, one plan for everyone", "     ( ) No, each organisation has its own plan",
        "     ( ) There is no plan (yet)"]
    assert any(line.startswith("  [critical] No shared safety plan  (youth.no_safety_plan)") for line in lines)


def test_rules_show_a_file_marks_a_missing_language_and_writes_html(runner, tmp_path):
    pack = write(tmp_path, "housing.toml", """
        [pack]
        id = "housing"
        version = "0.1.0"
        title = { nl = "Wonen <en> schulden" }

        [[questions]]
        id = "housing.early_signals"
        kind = "integer"
        min = 0
        max = 10
        text = { nl = "Hoeveel signalen per maand?", en = "How many signals a month?" }
    """)
    result = runner.invoke(args=["rules", "show", str(pack), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"[no English text] Wonen <en> schulden (housing 0.1.0, {pack})")
    assert ("  1. How many signals a month?  (may be skipped, a number from 0 to 10)  [housing.early_signals]"
            in result.output.splitlines())
    page = tmp_path / "housing.html"
    result = runner.invoke(args=["rules", "show", str(pack), "--lang", "nl", "--html", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert '<html lang="nl">' in html and "<h1>Wonen &lt;en&gt; schulden</h1>" in html
    assert "<h3>Hoeveel signalen per maand?</h3>" in html
    assert "mag je overslaan, een getal van 0 tot 10" in html


def test_rules_show_an_unknown_pack_says_which_are_loaded(make_app):
    app = make_app(PLUGINS_DIR=str(YOUTH))
    result = app.test_cli_runner().invoke(args=["rules", "show", "yuoth"])
    assert result.exit_code == 1
    assert "no pack file and no loaded pack named 'yuoth'" in result.output
    assert "did you mean 'youth'?" in result.output


def test_rules_check_of_a_folder_checks_its_packs_and_modules(runner, tmp_path):
    folder = tmp_path / "my-plugins"
    write(folder, "_helpers.py", "raise RuntimeError('not a plugin: never imported')\n")
    write(folder, "load.py", "from advisor import hookimpl\n\n@hookimpl\ndef score_forms(answers):\n    return []\n")
    write(folder, "_draft.toml", '[pack]\nid = "draft"\nversion = "1"\ntitle = { nl = "x" }\n')
    result = runner.invoke(args=["rules", "check", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"warning: {folder / '_draft.toml'}:4: pack: title: no en text" in result.output
    assert result.output.splitlines()[-1] == "checked 1 pack(s) and 1 module(s): 0 error(s), 2 warning(s)"
