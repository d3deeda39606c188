"""Broken rule packs stop start-up with a message naming the file, the rule and the field."""

from __future__ import annotations

import pytest

from advisor.plugins import PluginLoadError
from tests.conftest import MINI_PACKS

CORE = (MINI_PACKS / "core.toml").read_text()
HEADER = """
[pack]
id = "extra"
version = "1.0"
title = { nl = "Extra", en = "Extra" }
"""


def load_error(make_app, write_pack, extra: str, name: str = "extra.toml") -> str:
    write_pack("core.toml", CORE)
    folder = write_pack(name, extra)
    with pytest.raises(PluginLoadError) as info:
        make_app(RULES_DIR=str(folder))
    return str(info.value)


def rule(when: str, contributions: str = "{ informal = 1 }") -> str:
    return HEADER + f"""
[[rules]]
id = "scope-cases"
when = {when}
contributions = {contributions}
because = {{ nl = "x", en = "x" }}
"""


def test_unknown_option_names_file_rule_field_and_known_options(make_app, write_pack):
    message = load_error(make_app, write_pack, rule('{ scope = "forever" }'))
    assert message.endswith(
        "extra.toml:9: rule 'scope-cases': when.scope: unknown option 'forever' "
        "(known: individual_cases, ongoing_task)"
    )


@pytest.mark.parametrize(
    "when, expected",
    [
        ('{ horizon = "months" }', "rule 'scope-cases': when.horizon: unknown question 'horizon'"),
        ('{ partners = { min = 0 } }', "when.partners.min: 0 lies outside the question's range 1–500"),
        ('{ partners = { at_least = 2 } }', "when.partners.at_least: 'at_least' needs a multi question"),
        ('{ scope = { all = ["ongoing_task"] } }', "when.scope.all: 'all' needs a multi question"),
        ('{ scope = { equals = "x" } }', "when.scope.equals: unknown test"),
        ('{ partners = "many" }', "when.partners: 'partners' is a number"),
        ('{ recommended = "program" }', "when.recommended: 'recommended' can only be used in risks"),
        ('{ any = [] }', "when.any: must be a non-empty list of tables"),
        ('{ not = { scope = "nope" } }', "when.not.scope: unknown option 'nope'"),
        ('{ any = [{ scope = "ongoing_task" }, { partners = { max = 999 } }] }',
         "when.any[1].partners.max: 999 lies outside"),
    ],
)
def test_condition_errors(make_app, write_pack, when, expected):
    assert expected in load_error(make_app, write_pack, rule(when))


def test_unknown_form_in_contributions(make_app, write_pack):
    message = load_error(make_app, write_pack, rule('{ scope = "ongoing_task" }', "{ network = 2 }"))
    assert "rule 'scope-cases': contributions.network: unknown form 'network'" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[pack]\nid = \"x\"\n", "extra.toml:1: pack.version: missing data for required field: add 'version = …'"),
        ("this is = = not toml", "extra.toml:1: is not valid TOML: expected '=' after a key in a key/value pair (column 6): check"),
        (HEADER + "[[rules]]\nid = \"r1\"\ncontributions = { informal = 1 }\nbecause = { nl = \"x\", fr = \"y\" }\n",
         "extra.toml:9: rule 'r1': because.fr: unknown field (allowed here: nl, en)"),
        (HEADER + "[[rules]]\nid = \"r1\"\ncontributions = { informal = \"many\" }\nbecause = { nl = \"x\" }\n",
         "extra.toml:8: rule 'r1': contributions.informal: not a valid number: write a number without quotes"),
        (HEADER + "[[risks]]\nid = \"r\"\nseverity = \"fatal\"\ntitle = { nl = \"t\" }\nwhy = { nl = \"w\" }\nadvice = { nl = \"a\" }\n",
         "extra.toml:8: risk 'r': severity: must be one of: info, warning, critical, not 'fatal'"),
        (HEADER + "[[questions]]\nid = \"extra.q\"\nkind = \"choice\"\ntext = { nl = \"q\" }\n",
         "extra.toml:6: question 'extra.q': options: a choice question needs at least one option"),
        (HEADER + "[[rules]]\nid = \"a\"\ncontributions = { informal = 1 }\nbecause = { nl = \"x\" }\n" * 2,
         "extra.toml:11: rule 'a': id: duplicate rule id (the first is on line 7): give each rule an id of its own"),
        (HEADER + "[surprise]\nx = 1\n", "extra.toml:6: surprise: unknown field (allowed here: pack, steps, questions, forms, rules, risks, conditions)"),
    ],
)
def test_shape_errors(make_app, write_pack, text, expected):
    assert expected in load_error(make_app, write_pack, text)


def test_question_in_unknown_step(make_app, write_pack):
    text = HEADER + """
[[questions]]
id = "extra.q"
step = "nowhere"
kind = "integer"
text = { nl = "q" }
"""
    assert "question 'extra.q': step: unknown step 'nowhere' (known: task)" in load_error(make_app, write_pack, text)


def test_missing_forms_is_an_error(make_app, write_pack):
    folder = write_pack("extra.toml", HEADER)
    with pytest.raises(PluginLoadError, match="no collaboration forms are loaded"):
        make_app(RULES_DIR=str(folder))


def test_risk_conditions_can_compare_the_advice_with_an_answer(make_app, write_pack):
    write_pack("core.toml", CORE.replace(
        'id = "partners"',
        'id = "current_form"\nstep = "task"\nkind = "choice"\ntext = { nl = "Vorm" }\n'
        'options = [{ id = "none", label = { nl = "geen" } }, { id = "informal", label = { nl = "inf" } }]\n'
        '\n[[questions]]\nid = "partners"',
    ))
    folder = write_pack("extra.toml", HEADER + """
[[risks]]
id = "extra.hardening"
severity = "warning"
when = { recommended = { heavier_than = "current_form" } }
title = { nl = "verharding" }
why = { nl = "w" }
advice = { nl = "a" }
""")
    engine = make_app(RULES_DIR=str(folder)).extensions["advisor"].engine
    hardening = engine.advise({"scope": "ongoing_task", "partners": 12, "current_form": "informal"})
    assert hardening.recommended == "program"
    assert [r.id for r in hardening.risks] == ["extra.hardening"]
    new = engine.advise({"scope": "ongoing_task", "partners": 12, "current_form": "none"})
    assert new.risks == ()
