"""A non-editable ``pip install .`` works: the core packs ship inside the package (issue 17
item 8). Installed for real into a throw-away virtualenv, run from a folder outside the
checkout; the dependencies come from this test's own environment, so nothing is downloaded
but the build backend."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv holding a wheel install of this checkout; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60).stdout.strip())
    # The dependencies (flask, pluggy, ...) from this environment; its .pth files (the editable
    # install of this checkout among them) are not processed from an added path.
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-compile",
         "--quiet", str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv / "bin"


def run(bin_dir: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "PYTHON"))}
    env.update(ADVISOR_INSTANCE_DIR=str(tmp_path / "instance"), ADVISOR_PLUGINS_ENTRY_POINTS="false")
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_installed_package_is_not_the_checkout(installed, tmp_path):
    done = run(installed, tmp_path, "python", "-c", "import advisor; print(advisor.__file__)")
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed.parent)


def test_a_wheel_install_ships_and_loads_the_core_packs(installed, tmp_path):
    done = run(installed, tmp_path, "advisor", "plugins", "list")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:] if line and not line[0].isspace()}
    for name in ("core", "core-risks", "core-scoring"):
        assert rows[name][2] == "builtin"
        assert Path(rows[name][3]).is_relative_to(installed.parent), rows[name]
    shipped = sorted(p.name for p in (installed.parent).rglob("advisor/rules/*.toml"))
    assert shipped == sorted(p.name for p in (ROOT / "rules").glob("*.toml"))


def test_a_wheel_install_gives_advice_and_collaboration_findings(installed, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"scope": "individual_cases", "horizon": "months", "change_type": "known_route", '
                       '"domains": ["care", "welfare"], "partners": 3, "budget": "none"}', encoding="utf-8")
    done = run(installed, tmp_path, "python", "-m", "flask", "--app", "advisor", "advice", "--lang", "en", str(answers))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Recommended: ")
    done = run(installed, tmp_path, "python", "-c",
               "from advisor import create_app; import pathlib; app = create_app();"
               "print(pathlib.Path(app.config['COLLABORATION_RULES']).is_file())")
    assert done.stdout.strip() == "True", done.stderr
