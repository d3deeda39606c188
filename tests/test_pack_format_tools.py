"""Editor help for rule authors: the JSON Schema of the pack format (generated from the
marshmallow schemas, shipped and served) and ``rules fmt`` (one canonical layout)."""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest
from click.testing import CliRunner

from advisor.authoring.fmt import LINE_WIDTH, format_pack
from advisor.authoring.schema import SCHEMA_FILE, schema_text
from advisor.cli import advisor_cli
from tests.conftest import MINI_PACKS, ROOT

PACKS = sorted(ROOT.glob("rules/*.toml")) + [ROOT / "plugins" / "youth-care" / "youth.toml"] + sorted(
    MINI_PACKS.glob("*.toml"))
LONG_WHEN = ('{ scope = ["individual_cases", "ongoing_task"], horizon = ["months", "years"], '
             'partners = { min = 2, max = 40 }, domains = { any = ["care", "youth"] } }')
PACK = f"""[pack]
title = {{ en = "Housing", nl = "Wonen" }}
version = "0.1.0"
id = "housing"

[[rules]]
because = {{ nl = "Lang.", en = "Long." }}
contributions = {{ informal = 1.5 }}
id = "long-condition"
when = {LONG_WHEN}

[[rules]]
id = "short"
source = "004"
when = {{ scope = "individual_cases" }}
contributions = {{ informal = 1 }}
because = {{ nl = "Kort.", en = "Short." }}
"""


# --- JSON Schema -----------------------------------------------------------------------------


def test_the_shipped_schema_is_the_one_the_marshmallow_schemas_give():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "advisor/schemas/rule-pack.json is stale: run 'flask --app advisor rules schema > "
        "advisor/schemas/rule-pack.json'")


def test_the_schema_is_valid_json_schema_and_accepts_every_pack_of_the_repository():
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in PACKS:
        errors = [e.message for e in validator.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))]
        assert errors == [], f"{path}: {errors}"


@pytest.mark.parametrize("edit, message", [
    (("contributions =", "contribution ="), "'contribution' was unexpected"),
    (('severity = "warning"', 'severity = "warnig"'), "'warnig' is not one of ['info', 'warning', 'critical']"),
    (("informal = 1.5", 'informal = "1.5"'), "'1.5' is not of type 'number'"),
    (('title = { nl = "Signalen blijven', 'title = { fr = "Signalen blijven'), "'fr' was unexpected"),
])
def test_the_schema_flags_what_the_loader_refuses(edit, message):
    from tests.test_author_mistakes import PACK as HOUSING

    assert edit[0] in HOUSING
    data = tomllib.loads(HOUSING.replace(*edit))
    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    messages = [e.message for e in validator.iter_errors(data)]
    assert any(message in found for found in messages), messages


def test_the_api_serves_the_shipped_schema(client):
    response = client.get("/api/v1/schemas/rule-pack.json")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_data(as_text=True) == SCHEMA_FILE.read_text(encoding="utf-8")
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/schemas/rule-pack.json"]   # relative to servers /api/v1


def test_rules_schema_prints_it():
    result = CliRunner().invoke(advisor_cli, ["rules", "schema"])
    assert result.exit_code == 0
    assert result.output == SCHEMA_FILE.read_text(encoding="utf-8")


# --- rules fmt -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_fmt_keeps_the_data_of_every_pack_and_is_stable(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    formatted = format_pack(data)
    assert tomllib.loads(formatted) == data
    assert format_pack(tomllib.loads(formatted)) == formatted


def test_fmt_orders_keys_and_writes_a_long_when_as_a_sub_table():
    formatted = format_pack(tomllib.loads(PACK))
    assert formatted.startswith('[pack]\nid = "housing"\nversion = "0.1.0"\ntitle = { en = "Housing", nl = "Wonen" }\n')
    long_rule = formatted[formatted.index('id = "long-condition"'):formatted.index('[[rules]]\nid = "short"')]
    assert long_rule == (
        'id = "long-condition"\ncontributions = { informal = 1.5 }\nbecause = { nl = "Lang.", en = "Long." }\n'
        '[rules.when]\nscope = ["individual_cases", "ongoing_task"]\nhorizon = ["months", "years"]\n'
        'partners = { min = 2, max = 40 }\ndomains = { any = ["care", "youth"] }\n\n')
    assert len('when = ' + LONG_WHEN) > LINE_WIDTH
    assert ('id = "short"\nwhen = { scope = "individual_cases" }\ncontributions = { informal = 1 }\n'
            'because = { nl = "Kort.", en = "Short." }\nsource = "004"\n') in formatted


def test_fmt_writes_checks_and_prints(tmp_path):
    path = tmp_path / "housing.toml"
    path.write_text(PACK, encoding="utf-8")
    runner = CliRunner()
    printed = runner.invoke(advisor_cli, ["rules", "fmt", str(path)])
    assert printed.exit_code == 0 and printed.output == format_pack(tomllib.loads(PACK))
    assert path.read_text(encoding="utf-8") == PACK  # printing changes nothing
    check = runner.invoke(advisor_cli, ["rules", "fmt", "--check", str(path)])
    assert (check.exit_code, check.output.strip()) == (1, f"would reformat {path}")
    written = runner.invoke(advisor_cli, ["rules", "fmt", "--write", str(path)])
    assert written.exit_code == 0 and written.output.strip() == f"reformatted {path}"
    assert runner.invoke(advisor_cli, ["rules", "fmt", "--check", str(path)]).exit_code == 0


def test_fmt_does_not_drop_comments_unless_told(tmp_path):
    path = tmp_path / "housing.toml"
    path.write_text("# Wonen en schulden\n" + PACK, encoding="utf-8")
    refused = CliRunner().invoke(advisor_cli, ["rules", "fmt", "--write", str(path)])
    assert refused.exit_code == 1
    assert "has comments, which fmt cannot keep" in refused.output and "--drop-comments" in refused.output
    assert path.read_text(encoding="utf-8").startswith("# Wonen")
    dropped = CliRunner().invoke(advisor_cli, ["rules", "fmt", "--write", "--drop-comments", str(path)])
    assert dropped.exit_code == 0
    assert "#" not in path.read_text(encoding="utf-8")


def test_fmt_refuses_a_broken_pack_naming_file_and_line(tmp_path):
    path = tmp_path / "housing.toml"
    path.write_text(PACK.replace("contributions = { informal = 1 }", "contribution = { informal = 1 }"),
                    encoding="utf-8")
    result = CliRunner().invoke(advisor_cli, ["rules", "fmt", "--write", str(path)])
    assert result.exit_code == 1
    assert "housing.toml:16: rule 'short': contribution: unknown field: did you mean 'contributions'?" in result.output


def test_fmt_keeps_dates_changelogs_and_decision_tables():
    from tests.test_decision_tables import HEADER
    from tests.test_validity import PACK as DATED

    for text in (DATED, HEADER):
        data = tomllib.loads(text)
        formatted = format_pack(data)
        assert tomllib.loads(formatted) == data
    assert "valid_from = 2027-01-01\n" in format_pack(tomllib.loads(DATED))
