"""The advice page of an incomplete advice in headless Chromium: the warning names the failed
plugins, is visible at 320 px without scrolling sideways, and axe-core finds no violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from advisor import create_app
from tests.conftest import BASE_CONFIG, require
from tests.test_advice_failed_plugins import BROKEN_PACK, RAISING
from tests.test_browser import browser, expect, serving  # noqa: F401  (fixture)
from tests.test_browser_pages import _fits, new_page, no_axe_violations, walk_to_advice
from tests.web_support import has_real_rules

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory) -> Iterator[str]:
    """The production-like app (CSRF on) with one plugin that raises and one pack that cannot load."""
    require(has_real_rules(), "the page tests read the built-in rule packs in rules/")
    plugins = tmp_path_factory.mktemp("plugins")
    (plugins / "wonky.py").write_text(RAISING, encoding="utf-8")
    (plugins / "broken-pack.toml").write_text(BROKEN_PACK, encoding="utf-8")
    config = {**BASE_CONFIG, "TESTING": False, "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
              "PLUGINS_DIR": str(plugins), "PLUGIN_ERRORS": "skip"}
    with serving(create_app(config)) as url:
        yield url


@pytest.mark.parametrize("lang, words", [
    ("nl", ["mogelijk onvolledig", "wonky-scores: hij stopte met een fout", "broken-pack: hij kon niet worden geladen"]),
    ("en", ["may be incomplete", "wonky-scores: it stopped with an error", "broken-pack: it could not be loaded"]),
])
def test_the_incomplete_advice_names_its_failed_plugins_on_a_small_screen(browser, failing_server, lang, words):
    context, page = new_page(browser, lang, width=320)
    page.goto(f"{failing_server}/language/{lang}")
    walk_to_advice(page, failing_server)
    warning = page.locator("#advice-incomplete")
    expect(warning).to_be_visible()
    shown = " ".join(warning.inner_text().split())
    for text in words:
        assert text in shown, shown
    _fits(page, "incomplete advice", 320)
    no_axe_violations(page, "incomplete advice")
    context.close()
