"""plugins/README.md stays true: every hook is documented and tested, and Route 1 works when
followed word for word, as a new author would, in an empty folder.

The guide marks files to write with ```<lang> file=<path>``` and commands to run with ```sh```;
a ```text``` block right after a command shows lines of its output ("…" stands for lines left
out). This test writes those files, runs those commands with the real ``flask`` executable, and
compares.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from advisor import hookspecs
from tests.conftest import ROOT, require

GUIDE = ROOT / "plugins" / "README.md"
TEXT = GUIDE.read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(?P<lang>[\w-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)


def hooks() -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(function).parameters)
        for name, function in vars(hookspecs).items()
        if callable(function) and hasattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    }


def section(title: str) -> str:
    start = TEXT.index(f"\n## {title}\n")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start:end if end != -1 else None]


def blocks(text: str) -> list[tuple[str, str, str]]:
    return [(m["lang"], m["info"].strip(), m["body"]) for m in BLOCK.finditer(text)]


def test_the_contract_has_hooks():
    assert len(hooks()) >= 8


@pytest.mark.parametrize("name", sorted(hooks()))
def test_every_hook_has_a_guide_heading_matching_its_signature(name):
    documented = dict(re.findall(r"^### (\w+)\((.*)\)$", section("Hooks"), re.M))
    assert name in documented, f"plugins/README.md has no '### {name}(...)' heading under 'Hooks'"
    assert documented[name] == ", ".join(hooks()[name]), (
        f"the guide documents {name}({documented[name]}), the contract says {name}({', '.join(hooks()[name])})"
    )


def test_the_guide_documents_no_hook_that_does_not_exist():
    documented = re.findall(r"^### (\w+)\(", section("Hooks"), re.M)
    assert set(documented) == set(hooks())


@pytest.mark.parametrize("name", sorted(hooks()))
def test_every_hook_has_a_test_of_its_own(name):
    pattern = re.compile(rf"^def test_hook_{name}\(", re.M)
    found = [p.name for p in (ROOT / "tests").glob("test_*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"no test_hook_{name} in tests/"


def test_python_examples_in_the_guide_are_valid_python():
    for lang, info, body in blocks(TEXT):
        if lang == "python":
            compile(body, f"plugins/README.md ({info or 'example'})", "exec")


def author_env(folder: Path) -> dict[str, str]:
    """A shell as after 'Before you start': the advisor importable, its flask on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["ADVISOR_INSTANCE_DIR"] = str(folder / ".instance")
    return env


def run(command: str, folder: Path) -> str:
    done = subprocess.run(["bash", "-c", command], cwd=folder, env=author_env(folder),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"'{command}' failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done.stdout


def squeeze(line: str) -> str:
    return " ".join(line.split())


def test_route_1_word_for_word(tmp_path):
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")
    ran: list[str] = []
    output: str | None = None
    for lang, info, body in blocks(section("Route 1: a rule pack (no Python)")):
        if info.startswith("file="):
            target = tmp_path / info.removeprefix("file=")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
            output = None
        elif lang == "sh":
            for command in body.splitlines():
                if command.strip() and not command.lstrip().startswith("#"):
                    output = run(command, tmp_path)
                    ran.append(command)
        elif lang == "text":
            assert output is not None, "an output block that follows no command"
            actual = [squeeze(line) for line in output.splitlines()]
            for line in body.splitlines():
                if "…" not in line and line.strip():
                    assert squeeze(line) in actual, f"after '{ran[-1]}' the guide shows:\n{line}\nbut got:\n{output}"
            output = None
    assert [c.split(" advisor ")[1].split()[0:2] for c in ran if " advisor " in c] == [
        ["rules", "check"], ["rules", "check"], ["rules", "show"], ["plugins", "list"], ["advice", "--lang"],
        ["rules", "test"], ["rules", "test"]]


def test_route_2_package_declares_its_entry_point_and_works_as_a_plugin(make_app, tmp_path):
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")
    files = {info.removeprefix("file="): body
             for _, info, body in blocks(section("Route 2: a Python package")) if info.startswith("file=")}
    project = tomllib.loads(files["advisor-housing-load/pyproject.toml"])
    assert project["project"]["entry-points"] == {"advisor": {"housing-load": "advisor_housing_load"}}
    # The guide's "no packaging yet" route: the same module in the plugins folder.
    folder = tmp_path / "local"
    folder.mkdir()
    module = files["advisor-housing-load/src/advisor_housing_load/__init__.py"]
    (folder / "advisor_housing_load.py").write_text(module + '\nPLUGIN_NAME = "housing-load"\n', encoding="utf-8")
    app = make_app(PLUGINS_DIR=str(folder))
    engine = app.extensions["advisor"].engine
    listing = {p.name: p for p in engine.plugins}
    assert (listing["housing-load"].version, listing["housing-load"].hooks) == ("0.1.0", ("score_forms",))
    answers = {"scope": "ongoing_task", "horizon": "permanent", "change_type": "known_goal",
               "domains": ["housing", "debt"], "partners": 40, "budget": "structural"}
    fired = [e for e in engine.advise(answers, "en").explanation if e.pack == "housing-load"]
    assert [(e.rule, e.because) for e in fired] == [(
        "many-partners-per-field",
        "On average 20 organisations per field. That many partners need fixed agreements.")]
    assert [t.question for t in fired[0].triggers] == ["partners", "domains"]
    fewer = engine.advise({**answers, "partners": 12}, "en").explanation
    assert "housing-load" not in [e.pack for e in fewer]
