"""The fifteen mistakes a new rule author made on purpose (issue 17): each message names the
file, the line and the fix. ``rules check`` runs through Flask's CLI runner; the clean errors
of ``flask --app advisor`` through the real executable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

PACK = """\
[pack]
id = "housing"
version = "0.1.0"
title = { nl = "Wonen en schulden", en = "Housing and debt" }

[[questions]]
id = "housing.early_signals"
kind = "choice"
text = { nl = "Geven de partners signalen door?", en = "Do the partners pass signals on?" }
options = [
  { id = "yes", label = { nl = "Ja", en = "Yes" } },
  { id = "no", label = { nl = "Nee", en = "No" } },
]

[[rules]]
id = "housing-signals-by-phone"
when = { scope = "individual_cases", "housing.early_signals" = "yes" }
contributions = { informal = 1.5 }
because = { nl = "De partners bellen elkaar.", en = "The partners call each other." }
source = "004 — Platform Sociaal Domein"

[[risks]]
id = "housing.signals_lost"
severity = "warning"
when = { "housing.early_signals" = "no" }
title = { nl = "Signalen blijven liggen", en = "Signals go unnoticed" }
why = { nl = "Hulp komt te laat.", en = "Help comes too late." }
advice = { nl = "Spreek af wie wie belt.", en = "Agree who calls whom." }
source = "004 — Platform Sociaal Domein"
"""

RULE = PACK[PACK.index("[[rules]]"):PACK.index("[[risks]]")]


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


def check(runner, tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    path = tmp_path / "housing.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["rules", "check", str(path)])
    return result.exit_code, result.output.replace(str(path), "housing.toml")


def changed(old: str, new: str, text: str = PACK) -> str:
    assert old in text, old
    return text.replace(old, new)


def test_the_base_pack_is_clean(runner, tmp_path):
    code, out = check(runner, tmp_path, PACK)
    assert (code, out.strip()) == (0, "checked 1 pack(s): 0 error(s), 0 warning(s)")


MISTAKES = [
    pytest.param(changed('severity = "warning"', "severity = warning"), "error", 24,
                 "is not valid TOML: invalid value (column 12): check the quotes, brackets and '=' on this line",
                 id="toml-syntax"),
    pytest.param(changed("contributions =", "contribution ="), "error", 18,
                 "rule 'housing-signals-by-phone': contribution: unknown field: did you mean 'contributions'?",
                 id="misspelled-key"),
    pytest.param(changed('"housing.early_signals" = "yes"', '"housing.early_signals" = "yess"'), "error", 17,
                 "when.housing.early_signals: unknown option 'yess' (known: yes, no): did you mean 'yes'?",
                 id="unknown-option"),
    pytest.param(changed('scope = "individual_cases"', 'scoop = "individual_cases"'), "error", 17,
                 "rule 'housing-signals-by-phone': when.scoop: unknown question 'scoop': did you mean 'scope'?",
                 id="unknown-question"),
    pytest.param(changed(', en = "Signals go unnoticed"', ""), "warning", 26,
                 "risk 'housing.signals_lost': title: no en text: add en = \"…\"", id="missing-english"),
    pytest.param(PACK + "\n" + RULE, "error", 32,
                 "rule 'housing-signals-by-phone': id: duplicate rule id (the first is on line 16): "
                 "give each rule an id of its own", id="duplicate-id"),
    pytest.param(changed('id = "housing.signals_lost"', 'id = "bureaucracy"'), "error", 23,
                 "risk 'bureaucracy': is defined by two plugins: 'core-risks' and 'housing': "
                 "rename it, e.g. 'housing.bureaucracy'", id="core-id-collision"),
    pytest.param(PACK.replace("housing.early_signals", "early_signals"), "error", 7,
                 "question 'early_signals': must be namespaced, e.g. 'housing.early_signals'", id="no-namespace"),
    pytest.param(changed('severity = "warning"', 'severity = "warnig"'), "error", 24,
                 "risk 'housing.signals_lost': severity: must be one of: info, warning, critical, not 'warnig': "
                 "did you mean 'warning'?", id="severity-typo"),
    pytest.param(changed("informal = 1.5", "informel = 1.5"), "error", 18,
                 "contributions.informel: unknown form 'informel' (known: informal, project, program, embedded): "
                 "did you mean 'informal'?", id="unknown-form"),
    pytest.param(changed("informal = 1.5", 'informal = "1.5"'), "error", 18,
                 "contributions.informal: not a valid number: write a number without quotes, e.g. 1.5",
                 id="wrong-type"),
    pytest.param(changed('kind = "choice"', 'kind = "integer"\nmin = 10\nmax = 5').replace(
        'options = [\n  { id = "yes", label = { nl = "Ja", en = "Yes" } },\n'
        '  { id = "no", label = { nl = "Nee", en = "No" } },\n]\n', ""), "error", 9,
                 "question 'housing.early_signals': min: min is larger than max (10 > 5): swap them",
                 id="min-above-max"),
    pytest.param("", "error", 1, "is empty: a pack starts with a [pack] table (id, version, title)", id="empty-file"),
    pytest.param(PACK[:PACK.index("[[questions]]")], "warning", 1,
                 "pack: the pack defines nothing: add [[questions]], [[rules]], [[risks]] or [[conditions]] tables",
                 id="empty-pack"),
    pytest.param(changed("bellen elkaar", "bellen élkaar").replace("—", "-").encode("latin-1"), "error", 19,
                 "is not UTF-8 text (byte 0xe9): save the file with the encoding UTF-8", id="not-utf-8"),
]


@pytest.mark.parametrize("text, level, line, message", MISTAKES)
def test_each_mistake_names_file_line_and_fix(runner, tmp_path, text, level, line, message):
    code, out = check(runner, tmp_path, text)
    assert f"{level}: housing.toml:{line}: " in out and message in out, out
    assert [row for row in out.splitlines() if message in row][0].startswith(f"{level}: housing.toml:{line}: ")
    assert code == (1 if level == "error" else 0)


def test_a_misspelled_required_key_is_not_also_reported_missing(runner, tmp_path):
    _, out = check(runner, tmp_path, changed("contributions =", "contribution ="))
    assert "missing data" not in out
    assert out.strip().endswith("1 error(s), 0 warning(s)")


def test_a_range_with_min_above_max_in_a_condition_says_so(runner, tmp_path):
    _, out = check(runner, tmp_path, changed('scope = "individual_cases"', "partners = { min = 50, max = 10 }"))
    assert ("warning: housing.toml:17: rule 'housing-signals-by-phone': can never fire: when.partners has "
            "min 50 above max 10: swap them (min is the lower bound)") in out


def test_every_error_of_a_pack_is_reported_at_once_in_line_order(runner, tmp_path):
    text = changed("contributions =", "contribution =")
    text = changed('severity = "warning"', 'severity = "warnig"', text)
    text = changed("title = { nl = \"Signalen", "titel = { nl = \"Signalen", text)
    code, out = check(runner, tmp_path, text)
    errors = [row for row in out.splitlines() if row.startswith("error: ")]
    assert [row.split(":")[2] for row in errors] == ["18", "24", "26"], out
    assert "did you mean 'contributions'?" in errors[0]
    assert "did you mean 'warning'?" in errors[1]
    assert "titel: unknown field: did you mean 'title'?" in errors[2]
    assert code == 1


def test_every_condition_error_is_reported_at_once(runner, tmp_path):
    text = changed('scope = "individual_cases"', 'scoop = "individual_cases"')
    text = changed('when = { "housing.early_signals" = "no" }', 'when = { "housing.early_signals" = "nee" }', text)
    _, out = check(runner, tmp_path, text)
    assert "housing.toml:17: rule 'housing-signals-by-phone': when.scoop: unknown question 'scoop'" in out
    assert "housing.toml:25: risk 'housing.signals_lost': when.housing.early_signals: unknown option 'nee'" in out


def test_a_case_file_given_as_a_pack_is_recognised(runner, tmp_path):
    _, out = check(runner, tmp_path, '[[cases]]\nid = "a"\nexpect_form = "informal"\n[cases.answers]\n')
    assert ("error: housing.toml:1: is a file of worked cases ([[cases]]), not a rule pack: keep case files "
            "out of the plugins folder and run them with 'rules test'") in out


def test_a_case_file_in_the_plugins_folder_is_named_at_start_up(make_app, tmp_path):
    from advisor.plugins import PluginLoadError

    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "cases.toml").write_text('[[cases]]\nid = "a"\nexpect_form = "informal"\n', encoding="utf-8")
    with pytest.raises(PluginLoadError, match=r"cases.toml:1: is a file of worked cases"):
        make_app(PLUGINS_DIR=str(folder))


def test_a_wrong_expectation_in_a_case_names_file_line_and_fix(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "housing.toml").write_text(PACK, encoding="utf-8")
    cases = tmp_path / "cases.toml"
    cases.write_text(
        '[[cases]]\nid = "by-phone"\nexpect_form = ["program"]\n[cases.answers]\nscope = "individual_cases"\n'
        'horizon = "months"\nchange_type = "known_route"\ndomains = ["housing", "debt"]\npartners = 3\n'
        'budget = "none"\n"housing.early_signals" = "yes"\n', encoding="utf-8")
    result = make_app(PLUGINS_DIR=str(folder)).test_cli_runner().invoke(args=["rules", "test", str(cases)])
    assert result.exit_code == 1
    assert f"FAIL by-phone ({cases}:1)" in result.output
    assert (f"- {cases}:3: expected form program, got informal: if informal is right, write "
            'expect_form = "informal"; if not, change the points of the rules below') in result.output
    assert "housing/housing-signals-by-phone: informal +1.5" in result.output


def author_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["ADVISOR_INSTANCE_DIR"] = str(tmp_path / ".instance")
    env["ADVISOR_PLUGINS_ENTRY_POINTS"] = "false"
    return env


@pytest.mark.parametrize("command", [["flask", "--app", "advisor"], ["advisor"]])
def test_a_broken_pack_is_a_clean_one_line_error_on_every_command_line(tmp_path, command):
    folder = tmp_path / "my-plugins"
    folder.mkdir()
    (folder / "housing.toml").write_text(changed("contributions =", "contribution ="), encoding="utf-8")
    env = {**author_env(tmp_path), "ADVISOR_PLUGINS_DIR": "my-plugins"}
    done = subprocess.run([*command, "plugins", "list"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "error: the plugins do not start:",
        "error: my-plugins/housing.toml:18: rule 'housing-signals-by-phone': contribution: unknown field: "
        "did you mean 'contributions'?",
    ]
