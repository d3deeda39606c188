"""PLUGIN_ERRORS: one broken directory plugin stops start-up by default (safe); with "skip" the
service starts without it, /health says degraded and names it, and every advice is marked
incomplete with the failed plugin named (issue 17 item 9)."""

from __future__ import annotations

import pytest

from advisor.plugins import PluginLoadError
from tests.conftest import MINI_PACKS, ROOT, require

YOUTH = ROOT / "plugins" / "youth-care" / "youth.toml"
ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
BROKEN = '[pack]\nid = "bad"\nversion = "1"\ntitle = { xx = "?" }\n'
WRONG_CONDITION = ('[pack]\nid = "typo"\nversion = "1"\ntitle = { nl = "t", en = "t" }\n[[rules]]\nid = "r"\n'
                   'when = { scope = "forever" }\ncontributions = { informal = 1 }\nbecause = { nl = "x", en = "x" }\n')


@pytest.fixture(autouse=True)
def built_in_packs():
    require(any((ROOT / "rules").glob("*.toml")), "the built-in rule packs (rules/*.toml) are not merged yet")


@pytest.fixture
def plugins_dir(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "youth.toml").write_text(YOUTH.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_by_default_a_broken_directory_pack_stops_start_up(make_app, plugins_dir):
    (plugins_dir / "bad.toml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(PluginLoadError, match=r"bad.toml:4: pack.title.xx: unknown field"):
        make_app(PLUGINS_DIR=str(plugins_dir))


@pytest.mark.parametrize("name, text, named", [
    ("bad.toml", BROKEN, "bad.toml:4: pack.title.xx: unknown field"),
    ("typo.toml", WRONG_CONDITION, "typo.toml:7: rule 'r': when.scope: unknown option 'forever'"),
    ("misspelled.py", "from advisor import hookimpl\n\n@hookimpl\ndef score_form(answers):\n    return []\n",
     "unknown hook 'score_form'"),
    ("crash.py", "raise RuntimeError('boom')\n", "crash.py: import failed: RuntimeError: boom"),
])
def test_skip_starts_without_the_broken_plugin_and_says_so_everywhere(make_app, plugins_dir, name, text, named):
    (plugins_dir / name).write_text(text, encoding="utf-8")
    app = make_app(PLUGINS_DIR=str(plugins_dir), PLUGIN_ERRORS="skip")
    plugin = name.split(".")[0]
    loaded = [p["name"] for p in app.test_client().get("/api/v1/plugins").get_json()["plugins"]]
    assert "youth" in loaded and plugin not in loaded

    health = app.test_client().get("/api/v1/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["plugins"].startswith(f"degraded: broken plugins left out: {plugin} (")
    assert name in body["checks"]["plugins"]

    advice = app.test_client().post("/api/v1/advice", json={"answers": ANSWERS, "lang": "en"})
    assert advice.status_code == 200
    data = advice.get_json()
    assert data["incomplete"] is True
    [failure] = data["failed_plugins"]
    assert (failure["plugin"], failure["hook"]) == (plugin, "load")
    assert named in failure["error"]


def test_skip_never_leaves_out_a_built_in_pack(make_app, tmp_path, plugins_dir):
    rules = tmp_path / "rules"
    rules.mkdir()
    for pack in MINI_PACKS.glob("*.toml"):
        (rules / pack.name).write_text(pack.read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "zz.toml").write_text(WRONG_CONDITION.replace("forever", "nope"), encoding="utf-8")
    with pytest.raises(PluginLoadError, match="unknown option 'nope'"):
        make_app(RULES_DIR=str(rules), PLUGINS_DIR=str(plugins_dir), PLUGIN_ERRORS="skip")


def test_skip_with_nothing_broken_is_healthy_and_complete(make_app, plugins_dir):
    app = make_app(PLUGINS_DIR=str(plugins_dir), PLUGIN_ERRORS="skip")
    health = app.test_client().get("/api/v1/health").get_json()
    assert health["status"] == "ok" and "plugins" not in health["checks"]
    assert app.extensions["advisor"].engine.advise(ANSWERS, "en").incomplete is False


def test_an_unknown_error_mode_is_refused(make_app, plugins_dir):
    with pytest.raises(PluginLoadError, match="PLUGIN_ERRORS must be one of stop, skip, not 'ignore'"):
        make_app(PLUGINS_DIR=str(plugins_dir), PLUGIN_ERRORS="ignore")


def test_worked_cases_fail_while_a_plugin_is_left_out(make_app, plugins_dir):
    (plugins_dir / "bad.toml").write_text(BROKEN, encoding="utf-8")
    app = make_app(PLUGINS_DIR=str(plugins_dir), PLUGIN_ERRORS="skip")
    result = app.test_cli_runner().invoke(args=["rules", "test", str(ROOT / "plugins" / "youth-care" / "cases")])
    assert result.exit_code == 1
    assert "a plugin failed, the advice is incomplete: bad.load: " in result.output
