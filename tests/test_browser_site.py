"""The municipality's own site in Chromium: both themes on the advice page (computed colours and
fonts as the tokens say, axe without violations, a screenshot each), embed mode in an <iframe> on
a page from another local port (allowed origin loads and is sized, another origin is refused by
the CSP), the statements one click from every page, and reflow at 320 px."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.wrappers import Response

from advisor import create_app
from tests.conftest import BASE_CONFIG, ROOT, require
from tests.test_browser import AXE, ARTIFACTS, browser, check_accessibility, expect, serving  # noqa: F401 (fixture)
from tests.web_support import has_real_rules

pytestmark = pytest.mark.browser

THEME_FILE = ROOT / "themes" / "polderstad.css"
THEMES = {"default": {}, "polderstad": {"THEME_CSS": str(THEME_FILE), "THEME_CLASS": "polderstad-theme"}}
OPERATOR = {"ORGANISATION_NAME": "Gemeente Polderstad", "ORGANISATION_URL": "https://www.polderstad.example/",
            "ORGANISATION_CONTACT": "privacy@polderstad.example"}
ANSWERS = {"scope": "ongoing_task", "horizon": "permanent", "change_type": "system_change",
           "domains": ["care", "welfare", "youth"], "partners": 12, "budget": "one_off",
           "funding_risk": "yes", "key_people": "yes", "turnover": "high", "residents_involved": "no"}
TOKENS = ("--basis-heading-color", "--basis-color-action-1-inverse-bg-default", "--basis-text-font-family-default",
          "--basis-heading-font-family")


def app_config(tmp_path_factory, **extra) -> dict:
    require(has_real_rules(), "the themed advice page needs the built-in rule packs in rules/")
    return {**BASE_CONFIG, "TESTING": False, "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
            **OPERATOR, **extra}


@pytest.fixture(scope="module", params=sorted(THEMES))
def themed(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    with serving(create_app(app_config(tmp_path_factory, **THEMES[request.param]))) as url:
        yield request.param, url


def rgb(hex_colour: str) -> str:
    value = hex_colour.strip().lstrip("#")
    return "rgb({}, {}, {})".format(*(int(value[i:i + 2], 16) for i in (0, 2, 4)))


def declared_tokens(path: Path) -> dict[str, str]:
    return dict(re.findall(r"(--[a-z0-9-]+):\s*([^;]+);", path.read_text()))


def advice_page(browser, base: str, **context):
    stored = requests.post(f"{base}/api/v1/assessments", json={"answers": ANSWERS, "lang": "nl"}, timeout=10)
    assert stored.status_code == 201, stored.text
    page = browser.new_context(locale="nl-NL", bypass_csp=True, **context).new_page()
    page.goto(f"{base}/a/{stored.json()['id']}")
    assert page.url.endswith("/advice")
    return page


computed_styles: dict[str, dict[str, str]] = {}


def test_advice_page_in_both_themes_follows_their_tokens(browser, themed):
    require(AXE.exists(), f"axe-core is missing at {AXE} (scripts/setup-browser)")
    name, base = themed
    page = advice_page(browser, base, viewport={"width": 1100, "height": 900})
    tokens = page.evaluate(
        "(names) => Object.fromEntries(names.map((n) => [n, getComputedStyle(document.body).getPropertyValue(n).trim()]))",
        list(TOKENS))
    style = page.evaluate("""() => {
        const css = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
        return {
          body_font: css('body', 'fontFamily'),
          heading_font: css('h1', 'fontFamily'),
          heading_colour: css('h1', 'color'),
          button_background: css('.utrecht-button--primary-action, .button.primary', 'backgroundColor'),
          advised_bar: getComputedStyle(document.querySelector('.rank-row.recommended .fill')).fill,
        };
    }""")
    if name == "polderstad":
        declared = declared_tokens(THEME_FILE)
        for token in TOKENS:
            assert tokens[token] == declared[token], token
    assert style["heading_colour"] == rgb(tokens["--basis-heading-color"])
    assert style["button_background"] == rgb(tokens["--basis-color-action-1-inverse-bg-default"])
    assert style["advised_bar"] == rgb(tokens["--basis-color-action-1-inverse-bg-default"])  # our own chart too
    assert style["body_font"].replace('"', "'") == tokens["--basis-text-font-family-default"].replace('"', "'")
    assert style["heading_font"].replace('"', "'") == tokens["--basis-heading-font-family"].replace('"', "'")
    computed_styles[name] = style
    if len(computed_styles) == len(THEMES):
        default, other = computed_styles["default"], computed_styles["polderstad"]
        assert all(default[key] != other[key] for key in default), (default, other)

    check_accessibility(page, f"advice page, theme {name}")
    contrast = page.evaluate("() => axe.run(document, {runOnly: ['color-contrast']})")
    assert not contrast["violations"], [n["target"] for v in contrast["violations"] for n in v["nodes"]][:5]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"advice-theme-{name}.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"advice-theme-{name}-top.png"))
    page.context.close()


def test_pages_reflow_at_320_pixels_in_both_themes(browser, themed):
    """WCAG 1.4.10: at 320 CSS pixels nothing needs sideways scrolling."""
    name, base = themed
    page = advice_page(browser, base, viewport={"width": 320, "height": 640})
    for path in ("/advice", "/", "/steps/1", "/steps/2", "/privacy", "/accessibility", "/embed/", "/c/new"):
        page.goto(base + path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} ({name}) scrolls {overflow}px sideways at 320px"
    page.context.close()


def test_statements_are_one_click_from_every_page(browser, tmp_path_factory):
    with serving(create_app(app_config(tmp_path_factory))) as base:
        page = advice_page(browser, base)
        for path in ("/advice", "/", "/steps/1", "/c/new", "/nowhere", "/privacy"):
            for link, heading in (("Privacyverklaring", "Privacyverklaring"),
                                  ("Toegankelijkheidsverklaring", "Toegankelijkheidsverklaring")):
                page.goto(base + path)
                with page.expect_navigation():
                    page.locator("footer").get_by_role("link", name=link).click()
                expect(page.locator("h1")).to_have_text(heading)
        page.goto(base + "/embed/")
        with page.context.expect_page() as opened:
            page.get_by_role("link", name="Privacyverklaring").click()
        statement = opened.value
        statement.wait_for_load_state()
        expect(statement.locator("h1")).to_have_text("Privacyverklaring")
        page.context.close()


def portal(app_url: str, path: str = "/embed/") -> Response:
    """A municipality's page with the service in an iframe, sized by embed-parent.js."""
    html = f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Portaal</title>
<script src="{app_url}/static/js/embed-parent.js" defer></script></head>
<body style="margin: 0 auto; max-width: 60rem; font-family: sans-serif"><h1>Gemeente Polderstad</h1>
<p>Werkt jouw organisatie samen in de wijk? Kijk welke vorm daarbij past.</p>
<iframe data-samenwerkingswijzer title="Samenwerkingswijzer" src="{app_url}{path}"
        style="width: 100%; height: 150px; border: 0"></iframe></body></html>"""
    return Response(html, mimetype="text/html")


class Portal:
    """A page served from its own port; what it frames is set once the app's port is known."""

    def __init__(self, path: str = "/embed/"):
        self.app_url = ""
        self.path = path

    def __call__(self, environ, start_response):
        return portal(self.app_url, self.path)(environ, start_response)


def test_embedded_questionnaire_in_an_iframe_on_another_port(browser, tmp_path_factory):
    allowed, refused, unframeable = Portal(), Portal(), Portal("/steps/1")
    with serving(allowed) as allowed_url, serving(refused) as refused_url, serving(unframeable) as other_url:
        config = app_config(tmp_path_factory, FRAME_ANCESTORS=[allowed_url, other_url], **THEMES["polderstad"])
        with serving(create_app(config)) as app_url:
            allowed.app_url = refused.app_url = unframeable.app_url = app_url
            context = browser.new_context(locale="nl-NL", viewport={"width": 900, "height": 700})
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))

            # The allowed origin: the questionnaire loads, without the site's header and footer,
            # and the frame grows to the height the page reports.
            page.goto(allowed_url)
            frame = page.frame_locator("iframe")
            expect(frame.locator("h1")).to_be_visible()
            assert frame.locator("header").count() == 0 and frame.locator("footer").count() == 0
            page.wait_for_function("document.querySelector('iframe').getBoundingClientRect().height > 400")
            inner = page.frames[1].evaluate("() => document.documentElement.getBoundingClientRect().height")
            outer = page.evaluate("() => document.querySelector('iframe').getBoundingClientRect().height")
            assert abs(inner - outer) <= 2, (inner, outer)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "embed-portal.png"), full_page=True)
            frame.get_by_role("link", name="Begin met de vragen").click()
            expect(frame.locator(".progress-text")).to_contain_text("Stap 1 van")
            assert page.frames[1].url == f"{app_url}/embed/steps/1"
            assert not [text for text in console if "Content Security Policy" in text], console

            # Any other origin: the browser refuses to show the page in its frame.
            with page.expect_console_message(lambda message: "frame-ancestors" in message.text) as refusal:
                page.goto(refused_url)
            assert allowed_url in refusal.value.text and refused_url not in refusal.value.text.split("directive")[1]
            assert page.frames[1].locator(".advisor-theme").count() == 0  # the browser shows its own error page

            # An allowed origin still cannot frame the normal pages: those stay 'none'.
            with page.expect_console_message(lambda message: "frame-ancestors 'none'" in message.text):
                page.goto(other_url)
            assert page.frames[1].locator(".advisor-theme").count() == 0  # the browser shows its own error page
            context.close()


def self_signed_certificate(folder: Path) -> tuple[str, str]:
    """A throw-away certificate for 127.0.0.1 (openssl), for the HTTPS test server."""
    require(shutil.which("openssl") is not None, "openssl is missing (scripts/setup-browser)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def test_forms_work_over_https_in_the_page_and_in_a_frame(browser, tmp_path_factory):
    """Over HTTPS Flask-WTF also wants a same-site Referer on every form; a Referrer-Policy of
    no-referrer made browsers leave it out, so every step was refused as an expired session."""
    certificate = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    config = app_config(tmp_path_factory, FRAME_ANCESTORS=["https://127.0.0.1"])
    with serving(create_app(config), ssl_context=certificate) as base:
        context = browser.new_context(locale="nl-NL", ignore_https_errors=True)
        page = context.new_page()
        for path in ("/steps/1", "/embed/steps/1"):
            page.goto(base + path)
            for question in page.locator("fieldset").all():
                choice = question.locator("input[type=radio], input[type=checkbox]").first
                if choice.count() and not choice.is_checked():
                    question.locator(f"label[for='{choice.get_attribute('id')}']").click()
            with page.expect_navigation():
                page.locator("button[value=next]").click()
            assert page.url == f"{base}{path[:-1]}2", page.locator("h1").inner_text()
        # The Referer goes to this site only: a private link's secret never reaches another one.
        assert page.request.get(base + "/").headers["referrer-policy"] == "same-origin"
        context.close()
