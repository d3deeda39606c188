"""Time and history: rules and risks valid from / until a date, judged today or on the as_of
date of a replay, and a changelog per pack shown by plugins list and GET /api/v1/plugins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import ROOT, require

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["housing", "debt"], "partners": 3, "budget": "none"}
PACK = """[pack]
id = "housing"
version = "1.1.0"
title = { nl = "Wonen", en = "Housing" }
changelog = [
  { version = "1.1.0", date = 2027-01-01, changes = { nl = "Nieuwe schuldhulpregel vanaf 2027.", en = "New debt rule from 2027." } },
  { version = "1.0.0", changes = { nl = "Eerste versie.", en = "First version." } },
]

[[rules]]
id = "old-rule"
valid_until = 2026-12-31
when = { scope = "individual_cases" }
contributions = { informal = 1 }
because = { nl = "Oud.", en = "Old." }
source = "004"

[[rules]]
id = "new-rule"
valid_from = 2027-01-01
when = { scope = "individual_cases" }
contributions = { project = 1 }
because = { nl = "Nieuw.", en = "New." }
source = "004"

[[risks]]
id = "housing.from_2027"
severity = "info"
valid_from = 2027-01-01
title = { nl = "Nieuwe wet", en = "New law" }
why = { nl = "w", en = "w" }
advice = { nl = "a", en = "a" }
source = "004"
"""


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


@pytest.fixture
def housing_app(make_app, tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "housing.toml").write_text(PACK, encoding="utf-8")
    return make_app(PLUGINS_DIR=str(folder))


def housing(advice) -> tuple[list[str], list[str]]:
    return ([e.rule for e in advice.explanation if e.pack == "housing"],
            [r.id for r in advice.risks if r.pack == "housing"])


@pytest.mark.parametrize("day, expected", [
    (date(2026, 12, 31), (["old-rule"], [])),
    (date(2027, 1, 1), (["new-rule"], ["housing.from_2027"])),
])
def test_the_rules_in_force_on_the_as_of_date_fire(housing_app, day, expected):
    engine = housing_app.extensions["advisor"].engine
    assert housing(engine.advise(ANSWERS, "en", as_of=day)) == expected


def test_without_a_date_the_rules_of_today_fire(housing_app):
    engine = housing_app.extensions["advisor"].engine
    today = datetime.now(UTC).date()
    assert housing(engine.advise(ANSWERS, "en")) == housing(engine.advise(ANSWERS, "en", as_of=today))


def test_valid_from_after_valid_until_is_an_error_with_line_and_fix(runner, tmp_path):
    path = tmp_path / "housing.toml"
    path.write_text(PACK.replace("valid_until = 2026-12-31", "valid_from = 2027-06-01\nvalid_until = 2026-12-31"),
                    encoding="utf-8")
    result = runner.invoke(args=["rules", "check", str(path)])
    assert result.exit_code == 1
    assert (f"error: {path}:12: rule 'old-rule': valid_from: valid_from 2027-06-01 is after valid_until "
            "2026-12-31: swap them") in result.output


def test_rules_check_warns_about_an_expired_rule(runner, tmp_path):
    path = tmp_path / "housing.toml"
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    path.write_text(PACK.replace("valid_until = 2026-12-31", f"valid_until = {yesterday}"), encoding="utf-8")
    result = runner.invoke(args=["rules", "check", str(path)])
    assert (f"warning: {path}:12: rule 'old-rule': expired on {yesterday}: it no longer fires; remove it and "
            "note the change in the pack's changelog") in result.output


def test_a_case_is_judged_on_its_as_of_date(housing_app, tmp_path):
    cases = tmp_path / "cases.toml"
    cases.write_text(
        '[[cases]]\nid = "in-2027"\nas_of = 2027-03-01\nexpect_form = ["informal", "project"]\n'
        'expect_risks = ["housing.from_2027"]\n[cases.answers]\nscope = "individual_cases"\nhorizon = "months"\n'
        'change_type = "known_route"\ndomains = ["housing", "debt"]\npartners = 3\nbudget = "none"\n\n'
        '[[cases]]\nid = "in-2026"\nas_of = 2026-03-01\nexpect_form = ["informal", "project"]\n'
        'forbid_risks = ["housing.from_2027"]\n[cases.answers]\nscope = "individual_cases"\nhorizon = "months"\n'
        'change_type = "known_route"\ndomains = ["housing", "debt"]\npartners = 3\nbudget = "none"\n',
        encoding="utf-8")
    result = housing_app.test_cli_runner().invoke(args=["rules", "test", str(cases)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("2 passed, 0 failed")


def test_advice_command_takes_an_as_of_date(housing_app, tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text('scope = "individual_cases"\nhorizon = "months"\nchange_type = "known_route"\n'
                       'domains = ["housing", "debt"]\npartners = 3\nbudget = "none"\n', encoding="utf-8")
    runner = housing_app.test_cli_runner()
    later = runner.invoke(args=["advice", "--lang", "en", "--as-of", "2027-02-01", str(answers)]).output
    earlier = runner.invoke(args=["advice", "--lang", "en", "--as-of", "2026-02-01", str(answers)]).output
    assert "rule housing/new-rule" in later and "rule housing/old-rule" not in later
    assert "rule housing/old-rule" in earlier and "rule housing/new-rule" not in earlier
    bad = runner.invoke(args=["advice", "--as-of", "next week", str(answers)])
    assert bad.exit_code == 2 and "'next week' does not match the format '%Y-%m-%d'" in bad.output


def test_a_replay_uses_the_rules_in_force_on_its_as_of_date(housing_app):
    client = housing_app.test_client()
    stored = client.post("/api/v1/assessments", json={"answers": ANSWERS, "lang": "en"})
    assert stored.status_code == 201, stored.get_data(as_text=True)
    url = stored.headers["Location"] if "Location" in stored.headers else f"/api/v1/assessments/{stored.json['id']}"
    later = client.get(f"{url}/replay", query_string={"asOf": "2027-02-01"}).get_json()
    earlier = client.get(f"{url}/replay", query_string={"asOf": "2026-02-01"}).get_json()
    assert "housing.from_2027" in [r["id"] for r in later["advice"]["risks"]]
    assert "housing.from_2027" not in [r["id"] for r in earlier["advice"]["risks"]]
    assert client.get(f"{url}/replay", query_string={"asOf": "soon"}).status_code == 422


def test_the_changelog_is_listed_by_the_cli_and_the_api(housing_app):
    listing = housing_app.test_cli_runner().invoke(args=["plugins", "list"]).output.splitlines()
    row = next(i for i, line in enumerate(listing) if line.startswith("housing "))
    assert listing[row + 2].split() == ["1.1.0", "(2027-01-01):", "Nieuwe", "schuldhulpregel", "vanaf", "2027."]
    assert listing[row + 3].split() == ["1.0.0:", "Eerste", "versie."]
    plugins = housing_app.test_client().get("/api/v1/plugins").get_json()["plugins"]
    entry = next(p for p in plugins if p["name"] == "housing")
    assert entry["changelog"] == [
        {"version": "1.1.0", "date": "2027-01-01",
         "changes": {"nl": "Nieuwe schuldhulpregel vanaf 2027.", "en": "New debt rule from 2027."}},
        {"version": "1.0.0", "date": None, "changes": {"nl": "Eerste versie.", "en": "First version."}},
    ]
    assert next(p for p in plugins if p["name"] == "core")["changelog"] == []
