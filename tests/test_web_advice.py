"""The advice page says what the JSON API says, for the same answers."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from advisor.web.i18n import compile_catalogs
from tests.conftest import MINI_PACKS
from tests.web_support import PLUGIN_PACK, fill_all_steps, has_real_rules, markup


@pytest.fixture
def rich_app(make_app, write_pack):
    """The real rule packs when they are there; else the mini pack with a plugin step."""
    if has_real_rules():
        return make_app()
    return make_app(RULES_DIR=str(MINI_PACKS), PLUGINS_DIR=str(write_pack("youth.toml", PLUGIN_PACK)))


def text_of(html: str) -> str:
    """The page as a person reads it: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_advice_page_matches_the_api(rich_app, lang):
    client = rich_app.test_client()
    client.get(f"/language/{lang}")
    answers = fill_all_steps(client, lang)
    page = markup(client.get("/advice").get_data(as_text=True))
    api = client.post("/api/v1/advice", json={"answers": answers, "lang": lang}).get_json()
    forms = {f["id"]: f["name"] for f in client.get(f"/api/v1/forms?lang={lang}").get_json()["forms"]}
    read = text_of(page)

    title = re.search(r'<h1 id="advice-title">(.*?)</h1>', page).group(1)
    assert htmllib.unescape(title) == forms[api["recommended"]]

    shown_risks = [htmllib.unescape(t) for t in re.findall(r'<h3 id="risk-[^"]+">(.*?)</h3>', page)]
    assert shown_risks == [risk["title"] for risk in api["risks"]]
    for risk in api["risks"]:
        assert risk["why"] in read and risk["advice"] in read

    for item in api["explanation"]:
        assert item["because"] in read
        for trigger in item["triggers"]:
            assert f'{trigger["question_text"]} {trigger["answer_text"]}' in read

    ranked = re.findall(r'<span class="rank-form">([^<]+)', page)
    assert [htmllib.unescape(name).strip() for name in ranked] == [forms[r["form"]] for r in api["ranking"]]
    for condition in api["conditions"]:
        assert condition["text"] in read
    assert api["ruleset"]["fingerprint"][:16] in page


def test_catalogs_compile_when_missing(tmp_path):
    from advisor.web.i18n import TRANSLATIONS

    target = tmp_path / "nl" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes((TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po").read_bytes())
    assert compile_catalogs(tmp_path) == [target / "messages.mo"]
    assert compile_catalogs(tmp_path) == []


def test_every_page_text_has_a_dutch_translation():
    from babel.messages.pofile import read_po

    from advisor.web.i18n import TRANSLATIONS

    with (TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="nl")
    untranslated = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert not untranslated
    assert not [m.id for m in catalog if m.id and m.fuzzy]
