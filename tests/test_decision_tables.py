"""Scoring rules from a spreadsheet: a CSV decision table next to the pack's TOML header; its
rows are rules like any other, and rules check reports overlapping and contradictory rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, require

HEADER = """[pack]
id = "housing"
version = "0.1.0"
title = { nl = "Wonen", en = "Housing" }
decision_tables = ["housing-rules.csv"]
"""
TABLE = """id,when scope,when partners,points informal,points project,because nl,because en,source
by-phone,individual_cases,..5,2,,Ze bellen elkaar.,They call each other.,004 — Platform Sociaal Domein
many,,20..,-1,2,"Veel partners, dus afspraken.","Many partners, so agreements.",002 — Overijssel
"""
ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["housing", "debt"], "partners": 4, "budget": "none"}


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


def pack_folder(tmp_path: Path, table: str = TABLE, header: str = HEADER) -> Path:
    folder = tmp_path / "my-plugins"
    folder.mkdir(exist_ok=True)
    (folder / "housing.toml").write_text(header, encoding="utf-8")
    (folder / "housing-rules.csv").write_text(table, encoding="utf-8")
    return folder


def check(runner, folder: Path) -> tuple[int, list[str]]:
    result = runner.invoke(args=["rules", "check", str(folder / "housing.toml")])
    return result.exit_code, result.output.replace(str(folder), "my-plugins").splitlines()


def test_rows_are_rules_of_the_pack(make_app, tmp_path):
    engine = make_app(PLUGINS_DIR=str(pack_folder(tmp_path))).extensions["advisor"].engine
    fired = [e for e in engine.advise(ANSWERS, "en").explanation if e.pack == "housing"]
    assert [(e.rule, dict(e.contributions), e.because, e.source) for e in fired] == [
        ("by-phone", {"informal": 2.0}, "They call each other.", "004 — Platform Sociaal Domein")]
    assert [t.question for t in fired[0].triggers] == ["scope", "partners"]
    many = engine.advise({**ANSWERS, "partners": 25}, "nl").explanation
    assert [(e.rule, e.because) for e in many if e.pack == "housing"] == [("many", "Veel partners, dus afspraken.")]


def test_a_clean_table_checks_clean(runner, tmp_path):
    code, lines = check(runner, pack_folder(tmp_path))
    assert (code, lines) == (0, ["checked 1 pack(s): 0 error(s), 0 warning(s)"])


def test_the_fingerprint_follows_the_table(make_app, tmp_path):
    folder = pack_folder(tmp_path)
    before = make_app(PLUGINS_DIR=str(folder)).extensions["advisor"].engine.ruleset.fingerprint
    (folder / "housing-rules.csv").write_text(TABLE.replace("..5,2,", "..5,3,"), encoding="utf-8")
    assert make_app(PLUGINS_DIR=str(folder)).extensions["advisor"].engine.ruleset.fingerprint != before


@pytest.mark.parametrize("extra_rows, expected", [
    ("small,individual_cases|defined_result,3..10,-1,2,Klein.,Small.,004\n",
     "warning: my-plugins/housing-rules.csv:4: rule 'small': rows 2 and 4 ('by-phone', 'small') contradict each "
     "other: both fire when partners = 3..5; scope = individual_cases, and one gives informal +2, the other -1: "
     "narrow one of the two conditions"),
    ("again,,20..,0,1,Nog eens.,Again.,002\n",
     "warning: my-plugins/housing-rules.csv:4: rule 'again': rows 3 and 4 ('many', 'again') have the same "
     "conditions: merge them into one row"),
    ("big,ongoing_task,30..,,1,Groot.,Big.,002\n",
     "warning: my-plugins/housing-rules.csv:4: rule 'big': rows 3 and 4 ('many', 'big') overlap: both fire when "
     "partners = 30..; scope = ongoing_task, and their points add up"),
])
def test_rules_check_reports_overlapping_and_contradictory_rows(runner, tmp_path, extra_rows, expected):
    code, lines = check(runner, pack_folder(tmp_path, TABLE + extra_rows))
    assert code == 0
    assert expected in lines, lines


def test_rows_that_cannot_both_fire_are_not_reported(runner, tmp_path):
    table = TABLE + "defined,defined_result,..5,-1,1,Doel.,Goal.,004\nmiddle,,6..19,0,1,Midden.,Middle.,004\n"
    code, lines = check(runner, pack_folder(tmp_path, table))
    assert (code, lines) == (0, ["checked 1 pack(s): 0 error(s), 0 warning(s)"])


@pytest.mark.parametrize("table, expected", [
    (TABLE.replace("by-phone,individual_cases", "by-phone,individual_case"),
     "error: my-plugins/housing-rules.csv:2: rule 'by-phone': when.scope: unknown option 'individual_case' "
     "(known: individual_cases, defined_result, ongoing_task, core_task): did you mean 'individual_cases'?"),
    (TABLE.replace("..5,2,", "..5,two,"),
     "error: my-plugins/housing-rules.csv:2: row 'by-phone': points informal: 'two' is not a number: write "
     "points like 1.5 or -2"),
    (TABLE.replace("points project", "points projet"),
     "error: my-plugins/housing-rules.csv:3: rule 'many': contributions.projet: unknown form 'projet' (known: "
     "informal, project, program, embedded): did you mean 'project'?"),
    (TABLE.replace("because en", "becuase en"),
     "error: my-plugins/housing-rules.csv:1: becuase en: unknown column 'becuase en' (known: id, because nl, "
     "because en, source, when <question>, points <form>): did you mean 'because en'?"),
    (TABLE.replace("They call each other.", "They call, each other."),
     "error: my-plugins/housing-rules.csv:2: has 9 cells, the header 8: a comma inside a text needs quotes "
     "around the text"),
    (TABLE.replace("by-phone,", "By Phone,"),
     "error: my-plugins/housing-rules.csv:2: rule 'By Phone': id: must be lower-case letters, digits, '_' or '-'"),
])
def test_table_mistakes_name_the_csv_file_row_and_fix(runner, tmp_path, table, expected):
    code, lines = check(runner, pack_folder(tmp_path, table))
    assert code == 1
    assert expected in lines, lines


def test_a_missing_or_non_utf8_table_is_an_error(runner, tmp_path):
    folder = pack_folder(tmp_path)
    (folder / "housing-rules.csv").write_bytes(TABLE.replace("—", "-").replace("Ze", "Zé").encode("latin-1"))
    assert "error: my-plugins/housing-rules.csv:1: is not UTF-8 text: export the sheet as 'CSV UTF-8'" in check(
        runner, folder)[1]
    (folder / "housing-rules.csv").unlink()
    code, lines = check(runner, folder)
    assert code == 1
    assert lines[0].startswith("error: my-plugins/housing-rules.csv: cannot be read (No such file or directory)")
