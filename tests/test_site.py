"""The municipality's own site: NL Design System assets, THEME_CSS, the footer, the two statements
and embed mode, through the test client (the browser side is tests/test_browser_site.py)."""

from __future__ import annotations

import json
import re

import pytest

from advisor import create_app
from advisor.web.embed import FrameAncestorsError
from advisor.web.site import NLDS_FOLDER, SiteConfigError, nlds_installed
from tests.conftest import BASE_CONFIG, ROOT, require
from tests.web_support import csrf_token, fill_all_steps

NODE_MODULES = ROOT / "node_modules"
OPERATOR = {"ORGANISATION_NAME": "Gemeente Polderstad", "ORGANISATION_URL": "https://www.polderstad.example/",
            "ORGANISATION_CONTACT": "privacy@polderstad.example"}
THEME = ROOT / "themes" / "polderstad.css"
ORIGIN = "https://www.polderstad.example"


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    """The words of a page's <main>, without tags, for reading its sentences."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


# --- NL Design System, installed from npm and served by the app ---------------------------------

def test_the_css_is_the_installed_npm_package_served_by_the_app(client):
    require(nlds_installed() and NODE_MODULES.is_dir(), "NL Design System CSS is missing (scripts/setup-nlds)")
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    copied = {
        "component-library.css": "@utrecht/component-library-css/dist/index.css",
        "voorbeeld-theme.css": "@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css",
        "fonts/noto-sans.css": "@fontsource-variable/noto-sans/wght.css",
    }
    for served, source in copied.items():
        response = client.get(f"/static/nlds/{served}")
        assert response.status_code == 200, served
        assert response.mimetype == "text/css"
        assert response.get_data() == (NODE_MODULES / source).read_bytes(), served
    versions = json.loads((NLDS_FOLDER / "versions.json").read_text())
    for package, version in versions.items():
        assert lock[f"node_modules/{package}"]["version"] == version, package
    font = client.get("/static/nlds/fonts/files/noto-sans-latin-wght-normal.woff2")
    assert font.status_code == 200 and font.get_data()[:4] == b"wOF2"


def test_every_page_links_the_library_css_then_ours_and_no_other_host(client):
    for path in ("/", "/steps/1", "/privacy", "/accessibility", "/c/new", "/embed/"):
        html = text(client.get(path))
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert sheets[:3] == ["/static/nlds/fonts/noto-sans.css", "/static/nlds/component-library.css",
                              "/static/nlds/voorbeeld-theme.css"], (path, sheets)
        assert sheets.index("/static/css/advisor-theme.css") > 2
        assert all(sheet.startswith("/") and not sheet.startswith("//") for sheet in sheets)
        assert 'class="utrecht-body utrecht-document voorbeeld-theme advisor-theme' in html, path
        assert "utrecht-page-content" in html


def test_the_library_defines_the_class_names_the_pages_use(client):
    """A class the pages use but the installed library lacks would silently lose its style."""
    require(nlds_installed(), "NL Design System CSS is missing (scripts/setup-nlds)")
    library = (NLDS_FOLDER / "component-library.css").read_text()
    used: set[str] = set()
    for path in ("/", "/steps/1", "/privacy", "/accessibility", "/c/new"):
        used |= set(re.findall(r"\butrecht-[a-z0-9_-]+", text(client.get(path))))
    assert {"utrecht-heading-1", "utrecht-paragraph", "utrecht-page-header", "utrecht-page-footer"} <= used
    missing = sorted(name for name in used if f".{name}" not in library)
    assert not missing, missing


# --- Themes -------------------------------------------------------------------------------------

def test_without_theme_css_there_is_no_operator_stylesheet(client):
    assert client.get("/theme.css").status_code == 404
    assert "/theme.css" not in text(client.get("/"))


def test_theme_css_is_served_after_ours_with_its_class(make_app):
    client = make_app(THEME_CSS=str(THEME), THEME_CLASS="polderstad-theme").test_client()
    html = text(client.get("/"))
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert sheets.index("/theme.css") == sheets.index("/static/css/advisor-theme.css") + 1
    assert "voorbeeld-theme advisor-theme polderstad-theme" in html
    response = client.get("/theme.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert response.get_data() == THEME.read_bytes()
    assert "public" in response.headers["Cache-Control"]
    assert client.get("/theme.css", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("config, message", [
    ({"THEME_CSS": "/nowhere/theme.css"}, "THEME_CSS '/nowhere/theme.css' is not a file"),
    ({"THEME_CLASS": "a b"}, "THEME_CLASS must be one CSS class name"),
    ({"THEME_CLASS": 'x" onload="y'}, "THEME_CLASS must be one CSS class name"),
    ({"ORGANISATION_URL": "javascript:alert(1)"}, "ORGANISATION_URL must be an absolute http(s) URL"),
    ({"PRIVACY_STATEMENT_URL": "/privacy.html"}, "PRIVACY_STATEMENT_URL must be an absolute http(s) URL"),
    ({"ORGANISATION_CONTACT": "call us"}, "ORGANISATION_CONTACT must be an absolute http(s) URL"),
])
def test_a_setting_that_cannot_work_stops_the_start_and_names_itself(tmp_path, config, message):
    with pytest.raises(SiteConfigError, match=re.escape(message)):
        create_app({**BASE_CONFIG, "INSTANCE_DIR": str(tmp_path), **config})


# --- Footer and statements ----------------------------------------------------------------------

def test_footer_names_the_operator_and_links_both_statements_on_every_page(make_app):
    client = make_app(**OPERATOR).test_client()
    fill_all_steps(client)
    for path in ("/", "/steps/1", "/advice", "/privacy", "/accessibility", "/c/new", "/nowhere"):
        html = text(client.get(path))
        footer = html[html.index("<footer"):html.index("</footer>")]
        assert 'Deze dienst wordt aangeboden door' in footer, path
        assert '<a class="utrecht-link" href="https://www.polderstad.example/">Gemeente Polderstad</a>' in footer
        assert 'href="/privacy">Privacyverklaring</a>' in footer, path
        assert 'href="/accessibility">Toegankelijkheidsverklaring</a>' in footer, path


def test_operator_urls_replace_the_statements(make_app):
    client = make_app(PRIVACY_STATEMENT_URL="https://www.polderstad.example/privacy",
                      ACCESSIBILITY_STATEMENT_URL="https://www.toegankelijkheidsverklaring.nl/register/1").test_client()
    html = text(client.get("/"))
    assert 'href="https://www.polderstad.example/privacy"' in html
    assert 'href="https://www.toegankelijkheidsverklaring.nl/register/1"' in html
    assert 'href="/privacy"' not in html
    response = client.get("/privacy")
    assert response.status_code == 302 and response.location == "https://www.polderstad.example/privacy"
    assert client.get("/accessibility").location == "https://www.toegankelijkheidsverklaring.nl/register/1"


def test_privacy_statement_follows_the_running_settings(make_app):
    words = visible(text(make_app(RETENTION_DAYS=30, RATELIMIT_ENABLED=True, **OPERATOR).test_client().get("/privacy")))
    assert "Gemeente Polderstad" in words and "privacy@polderstad.example" in words
    assert "We wissen ze 30 dagen nadat er voor het laatst iets is veranderd" in words
    assert "een databasebestand op de server" in words
    assert "alleen in het geheugen van de server en is na hoogstens 1 uur weg" in words
    assert "exporteren" not in words  # no ADMIN_TOKEN: no admin export

    words = visible(text(make_app(RETENTION_DAYS=0, ADMIN_TOKEN="t" * 32, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                                  RATELIMIT_DEFAULT="10 per day").test_client().get("/privacy?lang=en")))
    assert "No retention period is set" in words
    assert "can export every stored questionnaire" in words
    assert "in a shared temporary store (Redis) and is gone after 1 day at most" in words
    assert "no contact has been set here yet" in words

    words = visible(text(make_app(RATELIMIT_ENABLED=False,
                                  DATABASE_URL="postgresql+psycopg://advisor@127.0.0.1:1/advisor").test_client().get("/privacy?lang=en")))
    assert "a PostgreSQL database" in words
    assert "we count how many requests" not in words


def test_privacy_contact_is_a_mail_link_or_a_web_link(make_app):
    html = text(make_app(**OPERATOR).test_client().get("/privacy"))
    assert '<a class="utrecht-link" href="mailto:privacy@polderstad.example">privacy@polderstad.example</a>' in html
    html = text(make_app(ORGANISATION_CONTACT="https://www.polderstad.example/contact").test_client().get("/privacy"))
    assert 'href="https://www.polderstad.example/contact"' in html


@pytest.mark.parametrize("lang, words", [
    ("nl", ["Toegankelijkheidsverklaring", "WCAG 2.1 niveau AA", "voldoet gedeeltelijk", "Hoe we dat testen",
            "Wat nog niet goed is", "/api/v1/docs", "privacy@polderstad.example"]),
    ("en", ["Accessibility statement", "WCAG 2.1 level AA", "partially compliant", "How we test it",
            "What is not right yet", "/api/v1/docs", "privacy@polderstad.example"]),
])
def test_accessibility_statement_says_level_tests_exceptions_and_contact(make_app, lang, words):
    response = make_app(**OPERATOR).test_client().get(f"/accessibility?lang={lang}")
    assert response.status_code == 200
    html = text(response)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in visible(html), word


# --- Embed mode ---------------------------------------------------------------------------------

@pytest.fixture
def embed_client(make_app):
    return make_app(FRAME_ANCESTORS=[ORIGIN, "http://127.0.0.1:8080"]).test_client()


def test_embedded_pages_have_no_site_header_or_footer_and_load_the_height_script(embed_client):
    html = text(embed_client.get("/embed/"))
    assert "<header" not in html and "<footer" not in html
    assert '<script src="/static/js/embed.js" defer></script>' in html
    assert f'data-embed-origins="{ORIGIN} http://127.0.0.1:8080"' in html
    assert "<script>" not in html  # no inline script
    assert 'href="/privacy" target="_blank"' in html  # the statements stay one click away
    normal = text(embed_client.get("/"))
    assert "<header" in normal and "<footer" in normal and "embed.js" not in normal


def test_frame_ancestors_only_on_embedded_pages(embed_client):
    for path in ("/embed/", "/embed/steps/1", "/embed/c/new", "/embed/nowhere"):
        headers = embed_client.get(path).headers
        assert f"frame-ancestors {ORIGIN} http://127.0.0.1:8080" in headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in headers, path
    for path in ("/", "/steps/1", "/privacy", "/api/v1/health", "/nowhere", "/embedded"):
        headers = embed_client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path


def test_without_frame_ancestors_nothing_may_frame_the_embedded_pages(client):
    headers = client.get("/embed/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["*", "https://*.polderstad.example", "'self'", "https://a.example/path",
                                   "https://a.example; script-src *", "ftp://a.example", "polderstad.example",
                                   "https://a.example:99999"])
def test_frame_ancestors_takes_only_origins(tmp_path, value):
    with pytest.raises(FrameAncestorsError):
        create_app({**BASE_CONFIG, "INSTANCE_DIR": str(tmp_path), "FRAME_ANCESTORS": [value]})


def test_embedded_questionnaire_stays_inside_embed(embed_client):
    start = text(embed_client.get("/embed/"))
    assert 'href="/embed/steps/1"' in start
    step = text(embed_client.get("/embed/steps/1"))
    assert 'action="/embed/steps/1"' in step or 'action=""' in step or "<form" in step
    token = csrf_token(embed_client, "/embed/steps/1")
    response = embed_client.post("/embed/steps/1", data={"csrf_token": token, "nav": "back"})
    assert response.status_code == 302 and response.location == "/embed/"
    language = embed_client.get("/embed/language/en?next=/embed/steps/1")
    assert language.location == "/embed/steps/1"
    assert 'href="/embed/language/en?next=/embed/steps/1"' in step


def test_embedded_session_cookie_can_be_sent_from_another_site_over_https(embed_client):
    """In a frame on another site a SameSite=Lax cookie is never sent: steps and CSRF would fail."""
    secure = {"base_url": "https://advisor.example"}
    for path, expected in (("/embed/steps/1", "SameSite=None"), ("/steps/1", "SameSite=Lax")):
        client = embed_client.application.test_client()
        page = client.get(path, **secure)
        token = re.search(r'name="csrf_token" value="([^"]+)"', text(page)).group(1)
        cookie = page.headers["Set-Cookie"]
        assert expected in cookie
        assert ("; Secure" in cookie) == (expected == "SameSite=None")
        sent = client.post(path, data={"csrf_token": token, "nav": "back"},
                                 headers={"Referer": f"https://advisor.example{path}"}, **secure)
        assert sent.status_code == 302, (path, text(sent)[:200])
    plain = embed_client.application.test_client().get("/embed/steps/1")  # over http a browser refuses SameSite=None without Secure
    assert "SameSite=Lax" in plain.headers["Set-Cookie"]


def test_embedded_language_choice_survives_in_a_frame_over_https(embed_client):
    response = embed_client.get("/embed/language/en?next=/embed/", base_url="https://advisor.example")
    assert response.location == "/embed/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=None" in cookie and "Secure" in cookie
    assert "SameSite=Lax" in embed_client.get("/language/en", base_url="https://advisor.example").headers["Set-Cookie"]


def test_links_made_to_be_shared_lead_to_the_full_site(embed_client):
    """A private link or an invitation copied inside the frame is opened outside it."""
    fill_all_steps(embed_client)
    token = csrf_token(embed_client, "/embed/c/new")
    created = embed_client.post("/embed/c/new", data={"csrf_token": token, "name": "Wijkaanpak"})
    assert created.status_code == 302 and created.location.startswith("/embed/c/")
    html = text(embed_client.get(created.location))
    assert "http://localhost/join/" in html and "http://localhost/embed/join/" not in html
    advice = text(embed_client.get("/embed/advice"))
    saved = re.search(r'id="saved-link"[^>]*value="([^"]+)"', advice) or re.search(r'value="([^"]+)"[^>]*id="saved-link"', advice)
    assert saved and saved.group(1).startswith("http://localhost/a/"), saved
