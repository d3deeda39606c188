"""An incomplete advice names, on the manager's advice page, the plugins whose rules it lacks and
how each failed (the API's failed_plugins, in words), in Dutch and in English."""

from __future__ import annotations

import re

import pytest

from tests.test_web_advice import text_of
from tests.web_support import fill_all_steps, markup

RAISING = '''
from advisor import hookimpl

PLUGIN_NAME = "wonky-scores"


@hookimpl
def score_forms():
    raise RuntimeError("boom")
'''
SLEEPING = '''
import time

from advisor import hookimpl

PLUGIN_NAME = "slow-risks"


@hookimpl
def assess_risks():
    time.sleep(2)
    return []
'''
BROKEN_PACK = '[pack]\nid = "broken-pack"\nversion = "1"\ntitle = { xx = "?" }\n'
WORDS = {
    "nl": {"incomplete": "Dit advies is daardoor mogelijk onvolledig.",
           "missing": "De regels van deze plugins ontbreken:",
           "error": "wonky-scores: hij stopte met een fout", "time": "slow-risks: hij deed er te lang over",
           "load": "broken-pack: hij kon niet worden geladen"},
    "en": {"incomplete": "so this advice may be incomplete.",
           "missing": "The rules of these plugins are missing:",
           "error": "wonky-scores: it stopped with an error", "time": "slow-risks: it took too long to answer",
           "load": "broken-pack: it could not be loaded"},
}


@pytest.fixture
def failing_app(make_app, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "wonky.py").write_text(RAISING, encoding="utf-8")
    (plugins / "slow.py").write_text(SLEEPING, encoding="utf-8")
    (plugins / "broken-pack.toml").write_text(BROKEN_PACK, encoding="utf-8")
    return make_app(PLUGINS_DIR=str(plugins), PLUGIN_ERRORS="skip", ADVICE_TIME_BUDGET_MS=300)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_advice_page_names_every_failed_plugin_and_how(failing_app, lang):
    client = failing_app.test_client()
    client.get(f"/language/{lang}")
    answers = fill_all_steps(client, lang)
    api = client.post("/api/v1/advice", json={"answers": answers, "lang": lang}).get_json()
    assert api["incomplete"] is True
    assert {f["plugin"] for f in api["failed_plugins"]} == {"wonky-scores", "slow-risks", "broken-pack"}

    page = markup(client.get("/advice").get_data(as_text=True))
    for plugin in ("wonky-scores", "slow-risks", "broken-pack"):
        assert plugin in text_of(page), f"the advice page does not name {plugin}"
    warning = re.search(r'<div class="note warning incomplete" id="advice-incomplete">(.*?)</div>', page, re.S)
    assert warning, page[:3000]
    read = text_of(warning.group(1)).replace(" :", ":")
    for key in ("incomplete", "missing", "error", "time", "load"):
        assert WORDS[lang][key] in read, read
    assert len(re.findall(r'<strong class="plugin-name">', warning.group(1))) == 3  # each plugin once


def test_a_complete_advice_shows_no_warning(make_app):
    client = make_app().test_client()
    client.get("/language/en")
    fill_all_steps(client, "en")
    assert 'id="advice-incomplete"' not in client.get("/advice").get_data(as_text=True)
