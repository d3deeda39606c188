"""Compiled rule packs (advisor/packcode.py): the same advice as before, from a cache that is
never stale, survives damage and concurrent workers, and lets no input text become code."""

from __future__ import annotations

import ast
import json
import logging
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from types import MappingProxyType

import pytest

from advisor import hookimpl
from advisor.conditions import RECOMMENDED, compile_condition
from advisor.model import Option, Question
from advisor.rulepack import RulePack
from advisor.unchecked import all_of, any_of, compile_open
from tests.conftest import MINI_PACKS, ROOT
from tests.engine_results import results

sys.path.insert(0, str(ROOT / "bench"))
import packgen  # noqa: E402

RECORDED = ROOT / "tests" / "recorded" / "engine_results.jsonl"


def engine_of(app):
    return app.extensions["advisor"].engine


def cache_files(folder: Path, kind: str = "") -> list[Path]:
    return sorted(p for p in folder.glob(f"*{kind}") if p.is_file())


# --- The same behaviour as before ------------------------------------------------------------


def test_worked_cases_advise_and_what_if_as_recorded_before_compiling(make_app, tmp_path):
    """Every worked case, both languages: advice, explanation, risks, not-checked risks and the
    what-if alternatives equal what the uncompiled engine gave (recorded at commit 49bb65f),
    on a cold start and on a warm start from the cache."""
    recorded = {}
    for line in RECORDED.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        recorded[entry.pop("case")] = entry
    for start in ("cold", "warm"):
        engine = engine_of(make_app(ADVICE_TIME_BUDGET_MS=0, COMPILED_PACKS_DIR=str(tmp_path / "cache")))
        now = json.loads(json.dumps(results(engine), ensure_ascii=False))
        assert sorted(now) == sorted(recorded)
        for name, expected in recorded.items():
            assert now[name] == expected, (start, name)


def _uncompiled(pack: RulePack, engine, answers: dict) -> tuple[list[str], list[str], list[str]]:
    """Rules, risks and conditions that hold, by the condition compiler's closures (no codegen)."""
    questions, forms = engine.questions, engine.forms
    context = {**answers, RECOMMENDED: engine.recommend(answers)[0]}

    def holds(when, ctx, advice=False):
        return compile_condition(when, questions, forms, allow_advice=advice).test(ctx)

    rules = [r["id"] for r in pack.data["rules"] if holds(r.get("when"), answers)]
    risks = [r["id"] for r in pack.data["risks"] if holds(r.get("when"), context, True) and (
        not r.get("reasons") or any(holds(reason["when"], context, True) for reason in r["reasons"]))]
    conditions = [c["id"] for c in pack.data["conditions"]
                  if (not c.get("forms") or context[RECOMMENDED] in c["forms"]) and holds(c.get("when"), context, True)]
    return rules, risks, conditions


def _uncompiled_open(pack: RulePack, engine, answers: dict, fired: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The not-checked risks by advisor.unchecked's closures (no codegen)."""
    questions, forms = engine.questions, engine.forms
    context = {**answers, RECOMMENDED: engine.recommend(answers)[0]}
    found = []
    for entry in pack.data["risks"]:
        if entry["id"] in fired:
            continue
        test = compile_open(entry.get("when"), questions, forms)
        if entry.get("reasons"):
            test = all_of([test, any_of([compile_open(r["when"], questions, forms) for r in entry["reasons"]])])
        result = test(context)
        if isinstance(result, frozenset):
            reads = [q for q in (*_reads(entry.get("when"), questions, forms),
                                 *(q for r in entry.get("reasons", ()) for q in _reads(r["when"], questions, forms)))]
            found.append((entry["id"], tuple(q for q in dict.fromkeys(reads) if q in result)))
    return found


def _reads(when, questions, forms) -> tuple[str, ...]:
    return compile_condition(when, questions, forms, allow_advice=True).reads


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_code_agrees_with_the_uncompiled_conditions(make_app, tmp_path, seed):
    """Generated packs mix every kind of test (choice, multi, numbers, all/any/not, recommended):
    for random answers, the compiled pack fires exactly the rules, risks and conditions the
    closures of advisor.conditions say hold, and adds their points as the engine would."""
    folder = tmp_path / "generated"
    packgen.write_packs(folder, 600, rules_per_pack=200, seed=seed)
    engine = engine_of(make_app(RULES_DIR=str(folder), RULES_MAX_PER_PACK=0))
    packs = [impl.plugin for impl in engine.manager.hook.score_forms.get_hookimpls()]   # the engine's order
    assert all(isinstance(pack, RulePack) for pack in packs)
    rng = random.Random(seed)
    for _ in range(40):
        answers = engine.validate_answers(
            {k: v for k, v in packgen.random_answers(rng).items() if k in engine.questions})
        recommended = engine.recommend(answers)[0]
        view = MappingProxyType(answers)
        totals = dict.fromkeys(engine.forms, 0.0)
        for pack in packs:
            rules, risks, conditions = _uncompiled(pack, engine, answers)
            fired = pack.score_forms(view)
            assert [c.rule for c in fired] == rules
            for item in fired:
                for form_id, points in item.contributions.items():
                    totals[form_id] += points
            assert [f.id for f in pack.assess_risks(view, recommended)] == risks
            assert [c.id for c in pack.success_conditions(recommended, view)] == conditions
            assert pack.unchecked_risks(view, recommended, risks) == _uncompiled_open(pack, engine, answers, risks)
        assert engine.recommend(answers)[1] == totals


@pytest.mark.parametrize("hook, generated", [
    ("assess_risks", "_assess"), ("success_conditions", "_conditions_of"), ("score_forms", "_score"),
])
def test_a_pack_whose_generated_code_fails_costs_only_its_own_part(make_app, tmp_path, monkeypatch, hook, generated):
    """The engine calls rule packs' generated code directly, past the hook caller: should that
    code ever raise, the advice still comes, incomplete, naming the pack and the hook."""
    engine = engine_of(make_app(RULES_DIR=str(ROOT / "rules")))
    questionnaire = {"steps": [{"questions": [
        {"id": q.id, "kind": q.kind, "required": q.required, "min": q.min, "max": q.max,
         "options": [{"id": option} for option in q.option_ids()]} for q in engine.ordered_questions]}]}
    answers = engine.validate_answers(packgen.fit_answers(questionnaire))
    owner = next(impl.plugin for impl in getattr(engine.manager.hook, hook).get_hookimpls()
                 if isinstance(impl.plugin, RulePack) and getattr(impl.plugin, generated) is not None
                 and impl.plugin.data["risks" if hook == "assess_risks" else
                                       "conditions" if hook == "success_conditions" else "rules"])

    def broken(*args):
        raise ZeroDivisionError("generated code failed")

    monkeypatch.setattr(owner, generated, broken)
    advice = engine.advise_valid(answers, "en")
    assert advice.incomplete
    assert [(f.plugin, f.hook) for f in advice.failed_plugins] == [(owner.id, hook)]
    assert "ZeroDivisionError: generated code failed" in advice.failed_plugins[0].error
    assert advice.ranking and advice.recommended


# --- The cache -------------------------------------------------------------------------------


def test_a_warm_start_reads_no_pack_again_and_a_cold_start_states_its_cost(make_app, tmp_path, caplog):
    cache = tmp_path / "cache"
    caplog.set_level(logging.INFO, logger="advisor")
    first = make_app(COMPILED_PACKS_DIR=str(cache))
    cold = [r.getMessage() for r in caplog.records if "rule packs ready in" in r.getMessage()]
    assert cold and "0 cache entries used, 6 made" in cold[-1], cold   # 3 packs: data and code each
    assert len(cache_files(cache, ".pack")) == 3 and len(cache_files(cache, ".code")) == 3
    caplog.clear()
    second = make_app(COMPILED_PACKS_DIR=str(cache))
    warm = [r.getMessage() for r in caplog.records if "rule packs ready in" in r.getMessage()]
    assert warm and "6 cache entries used, 0 made" in warm[-1], warm
    answers = dict(packgen.FULL_ANSWERS)
    answers.pop("age_years")
    assert engine_of(first).advise(answers, "en") == engine_of(second).advise(answers, "en")


def test_the_cache_lives_in_the_instance_folder_unless_configured_or_switched_off(make_app, tmp_path):
    make_app()
    assert cache_files(tmp_path / "compiled-packs", ".code")
    off = tmp_path / "off"
    app = make_app(COMPILED_PACKS_DIR=False, INSTANCE_DIR=str(off))
    assert not (off / "compiled-packs").exists()
    assert engine_of(app).advise(packgen.FULL_ANSWERS, "en").recommended


PACK = """\
[pack]
id = "extra"
version = "1.0.0"
title = { nl = "Extra", en = "Extra" }

[[rules]]
id = "wide"
when = { partners = { min = 10 } }
contributions = { informal = POINTS }
because = { nl = "Breed", en = "Wide" }
"""


def test_an_edited_pack_never_uses_its_stale_entry(make_app, write_pack, tmp_path):
    cache = str(tmp_path / "cache")
    folder = write_pack("extra.toml", PACK.replace("POINTS", "1"))
    answers = {"scope": "ongoing_task", "partners": 12}
    before = engine_of(make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), COMPILED_PACKS_DIR=cache))
    assert next(r for r in before.advise(answers).ranking if r.form == "informal").score == 1.0
    write_pack("extra.toml", PACK.replace("POINTS", "7").replace("min = 10", "min = 11"))
    after = engine_of(make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), COMPILED_PACKS_DIR=cache))
    informal = next(r for r in after.advise(answers).ranking if r.form == "informal")
    assert informal.score == 7.0
    edited = after.advise({**answers, "partners": 11}).explanation
    assert [e.rule for e in edited if e.pack == "extra"] == ["wide"]
    assert [e.rule for e in after.advise({**answers, "partners": 10}).explanation if e.pack == "extra"] == []


def test_a_changed_decision_table_is_read_again(make_app, write_pack, tmp_path):
    cache = str(tmp_path / "cache")
    header = '[pack]\nid = "table"\nversion = "1"\ntitle = { nl = "T" }\ndecision_tables = ["t.csv"]\n'
    folder = write_pack("table.toml", header)
    csv = folder / "t.csv"
    csv.write_text("id,when scope,points informal,because nl\nrow,individual_cases,2,Rij\n", encoding="utf-8")
    config = dict(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), COMPILED_PACKS_DIR=cache)
    answers = {"scope": "individual_cases"}
    assert [e.rule for e in engine_of(make_app(**config)).advise(answers).explanation] == ["scope-cases", "row"]
    csv.write_text("id,when scope,points informal,because nl\nother,individual_cases,2,Rij\n", encoding="utf-8")
    assert [e.rule for e in engine_of(make_app(**config)).advise(answers).explanation] == ["scope-cases", "other"]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "unreadable"])
def test_a_damaged_cache_file_is_compiled_again(make_app, tmp_path, damage, caplog):
    cache = tmp_path / "cache"
    answers = dict(packgen.FULL_ANSWERS)
    expected = engine_of(make_app(COMPILED_PACKS_DIR=str(cache))).advise(answers, "en")
    for path in cache_files(cache, ".pack") + cache_files(cache, ".code"):
        blob = path.read_bytes()
        if damage == "truncated":
            path.write_bytes(blob[: len(blob) // 2])
        elif damage == "flipped":
            path.write_bytes(blob[:-10] + bytes(b ^ 0xFF for b in blob[-10:]))
        elif damage == "garbage":
            path.write_bytes(b"\x80\x04not a cache entry at all" * 10)
        elif damage == "empty":
            path.write_bytes(b"")
        else:  # a folder where the file was: reading it fails (even for root, unlike a chmod)
            path.unlink()
            path.mkdir()
    caplog.set_level(logging.INFO, logger="advisor")
    app = make_app(COMPILED_PACKS_DIR=str(cache))
    assert engine_of(app).advise(answers, "en") == expected
    ready = [r.getMessage() for r in caplog.records if "rule packs ready in" in r.getMessage()]
    assert "0 cache entries used, 6 made" in ready[-1]
    if damage != "unreadable":  # a rewritten entry is used at the next start
        caplog.clear()
        make_app(COMPILED_PACKS_DIR=str(cache))
        assert "6 cache entries used" in [r.getMessage() for r in caplog.records if "ready in" in r.getMessage()][-1]


BROKEN_CONDITION = """\
[pack]
id = "broken"
version = "1"
title = { nl = "Kapot" }

[[rules]]
id = "typo"
when = { scope = "individual_casse" }
contributions = { informal = 1 }
because = { nl = "x" }
"""


@pytest.mark.parametrize("pack, message", [
    (BROKEN_CONDITION, r"broken\.toml:8: rule 'typo': when\.scope: unknown option 'individual_casse'"),
    (BROKEN_CONDITION.replace("informal = 1", 'informal = "1"'),
     r"broken\.toml:9: rule 'typo': contributions\.informal: "),
])
def test_a_broken_pack_is_never_cached_and_names_its_line_at_every_start(make_app, write_pack, tmp_path,
                                                                         pack, message):
    from advisor.plugins import PluginLoadError

    cache = tmp_path / "cache"
    folder = write_pack("broken.toml", pack)
    for _ in range(2):
        with pytest.raises(PluginLoadError, match=message):
            make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), COMPILED_PACKS_DIR=str(cache))
    sources = [p.read_text(encoding="utf-8") for p in cache_files(cache, ".py")]
    assert not any("'broken'" in source for source in sources)


HOSTILE_ID = "x'); __import__('os').system('touch PWNED'); ('"
HOSTILE_OPTION = "o\"\"\"\n__import__('sys').exit(3)\n'''"


class HostileQuestions:
    """A Python plugin may register questions and options with any id at all."""

    @hookimpl
    def register_questions(self):
        return [Question(id=HOSTILE_ID, kind="choice", text={"nl": "?"},
                         options=(Option(HOSTILE_OPTION, {"nl": "a"}), Option("plain", {"nl": "b"})))]


HOSTILE_TEXT = "\"\"\" + __import__('os').getcwd() + ''' + \"); raise SystemExit(\n"
HOSTILE_PACK = "\n".join([
    "[pack]", 'id = "uses-hostile"', 'version = "1"', 'title = { nl = "H" }', "",
    "[[rules]]", 'id = "hostile"',
    'when = { "QID" = "OPTION", any = [ { "QID" = { answered = true } }, { scope = "ongoing_task" } ] }',
    "contributions = { informal = 5 }", 'because = { nl = "TEXT", en = "TEXT" }', 'source = "TEXT"', "",
    "[[risks]]", 'id = "hostile-risk"', 'severity = "warning"',
    'when = { "QID" = ["OPTION", "plain"], recommended = { heavier_than = "QID" } }',
    'title = { nl = "TEXT" }', 'why = { nl = "TEXT" }', 'advice = { nl = "TEXT" }', "",
])


def _toml_string(text: str) -> str:
    return json.dumps(text)[1:-1]   # a TOML basic string's escapes are JSON's


def test_hostile_ids_and_texts_stay_data_in_the_generated_source(make_app, write_pack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    folder = write_pack("hostile.toml", HOSTILE_PACK.replace("QID", _toml_string(HOSTILE_ID))
                        .replace("OPTION", _toml_string(HOSTILE_OPTION)).replace("TEXT", _toml_string(HOSTILE_TEXT)))
    app = make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(folder), COMPILED_PACKS_DIR=str(cache),
                   PLUGINS_EXTRA=[("hostile-questions", HostileQuestions())])
    engine = engine_of(app)
    fired = engine.advise({"scope": "individual_cases", HOSTILE_ID: HOSTILE_OPTION}, "en")
    assert [e.rule for e in fired.explanation] == ["scope-cases", "hostile"]
    assert [e.rule for e in engine.advise({"scope": "individual_cases", HOSTILE_ID: "plain"}).explanation] == [
        "scope-cases"]
    assert not (tmp_path / "PWNED").exists()
    allowed = {"a", "day", "T", "fired", "add", "R", "D", "_M", "_compare", "_in_force", "frozenset", "dict", "len",
               "score", "RULE_READS", "RISK_READS", "CONDITION_READS", "RISKS", "CONDITIONS", "FORMS", "OPEN",
               "_and3", "_or3", "_not3", "assess", "conditions", "recommended", "found", "finding",
               "F", "W", "RD", "CF", "C", "I", "unchecked", "fired"}
    for path in cache_files(cache, ".py"):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id in allowed or node.id[0] in "vKt" and node.id[1:].isdigit() or node.id.startswith(
                    ("risk_", "condition_", "open_")), node.id
            assert not isinstance(node, (ast.Import, ast.ImportFrom, ast.Lambda, ast.ClassDef))
            if isinstance(node, ast.Call):   # only the helpers, constructors and the few methods used
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                assert name in {"frozenset", "dict", "len", "add", "_compare", "_in_force", "get", "isdisjoint",
                                "issubset", "_and3", "_or3", "_not3", "W"}, name
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "__import__" not in node.value or node.value in (HOSTILE_ID, HOSTILE_OPTION), node.value
        assert "getcwd" not in source and "SystemExit" not in source   # texts never enter the source


WORKER = textwrap.dedent("""
    import json, random, sys
    sys.path[:0] = [{root!r}, {root!r} + "/bench"]
    import packgen
    from advisor import create_app
    app = create_app({{"TESTING": True, "SECRET_KEY": "x", "PLUGINS_ENTRY_POINTS": False,
                       "RATELIMIT_ENABLED": False, "INSTANCE_DIR": {instance!r},
                       "COMPILED_PACKS_DIR": {cache!r}, "RULES_DIR": {rules!r}}})
    engine = app.extensions["advisor"].engine
    rng = random.Random(5)
    print(json.dumps([engine.advise(packgen.random_answers(rng), "en").recommended for _ in range(20)]))
""")


def test_workers_starting_together_share_one_cache_without_corrupting_it(tmp_path, write_pack):
    folder = tmp_path / "rules"
    packgen.write_packs(folder, 400, rules_per_pack=100)
    cache = tmp_path / "cache"
    script = WORKER.format(root=str(ROOT), instance=str(tmp_path), cache=str(cache), rules=str(folder))
    workers = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), [err[-2000:] for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert not list(cache.glob(".*.tmp"))   # no temporary file left behind
    again = subprocess.run([sys.executable, "-c", script + "\nprint(len(list(__import__('pathlib').Path("
                            + repr(str(cache)) + ").glob('*.code'))))"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.splitlines()[0] == outputs[0][0].strip()
