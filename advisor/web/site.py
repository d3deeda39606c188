"""Whose site this is: the NL Design System assets, the operator's theme and its name in the footer.

The pages are built on the Utrecht component library and NL Design System design tokens, which
``scripts/setup-nlds`` copies from npm into ``static/nlds``. A municipality restyles every page,
our own components included, with a CSS file of its own tokens (``THEME_CSS``), served here at
``/theme.css`` after the default theme, so a partial file (a few colours, a font) is enough.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, send_file, url_for
from flask.typing import ResponseReturnValue

log = logging.getLogger("advisor.web")

bp = Blueprint("site", __name__)

NLDS_FOLDER = Path(__file__).resolve().parent.parent / "static" / "nlds"
NLDS_STYLESHEETS = ("nlds/fonts/noto-sans.css", "nlds/component-library.css", "nlds/voorbeeld-theme.css")
"""Loaded in this order on every page: the font, the components, then the default tokens."""
DEFAULT_THEME_CLASS = "voorbeeld-theme"
THEME_MAX_AGE = 3600
CSS_CLASS = re.compile(r"-?[_a-zA-Z][_a-zA-Z0-9-]*")
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")


class SiteConfigError(ValueError):
    """A theme, organisation or statement setting that cannot work; raised when the app starts."""


@dataclass(frozen=True)
class Contact:
    """The operator's contact, as a link: ``mailto:`` for an address, else the URL itself."""

    text: str
    href: str


def http_url(key: str, value: Any) -> str | None:
    """An absolute http(s) URL from the settings, or None when unset; anything else stops the start."""
    if value in (None, ""):
        return None
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in str(value)):
        raise SiteConfigError(f"{key} must be an absolute http(s) URL, got {value!r}")
    return str(value)


def contact(value: Any) -> Contact | None:
    """``ORGANISATION_CONTACT`` as a link: an e-mail address or an http(s) URL."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if EMAIL.fullmatch(text):
        return Contact(text, f"mailto:{text}")
    return Contact(text, http_url("ORGANISATION_CONTACT", text))


def theme_file(value: Any) -> Path | None:
    """``THEME_CSS`` as a readable file, or None; a missing file stops the start, not the pages."""
    if value in (None, ""):
        return None
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise SiteConfigError(f"THEME_CSS {str(value)!r} is not a file")
    try:
        path.read_bytes()
    except OSError as error:
        raise SiteConfigError(f"THEME_CSS {str(value)!r} cannot be read: {error}") from error
    return path.resolve()


def theme_class(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not CSS_CLASS.fullmatch(str(value)):
        raise SiteConfigError(f"THEME_CLASS must be one CSS class name, got {value!r}")
    return str(value)


@dataclass(frozen=True)
class Site:
    """The checked settings of the organisation that runs the service."""

    organisation_name: str | None
    organisation_url: str | None
    contact: Contact | None
    theme_file: Path | None
    theme_class: str | None
    privacy_url: str | None
    accessibility_url: str | None

    @classmethod
    def from_config(cls, config: Any) -> Site:
        name = config.get("ORGANISATION_NAME")
        return cls(
            organisation_name=str(name).strip() if name else None,
            organisation_url=http_url("ORGANISATION_URL", config.get("ORGANISATION_URL")),
            contact=contact(config.get("ORGANISATION_CONTACT")),
            theme_file=theme_file(config.get("THEME_CSS")),
            theme_class=theme_class(config.get("THEME_CLASS")),
            privacy_url=http_url("PRIVACY_STATEMENT_URL", config.get("PRIVACY_STATEMENT_URL")),
            accessibility_url=http_url("ACCESSIBILITY_STATEMENT_URL", config.get("ACCESSIBILITY_STATEMENT_URL")),
        )

    @property
    def theme_classes(self) -> str:
        """The classes of ``<body>``: the components' base, the default tokens, ours, the operator's."""
        return " ".join(filter(None, ("utrecht-body", "utrecht-document", DEFAULT_THEME_CLASS,
                                      "advisor-theme", self.theme_class)))


def get_site() -> Site:
    return current_app.extensions["advisor_site"]


def nlds_installed(folder: Path = NLDS_FOLDER) -> bool:
    """Whether ``scripts/setup-nlds`` has copied the NL Design System files the pages load."""
    return all((folder.parent / sheet).is_file() for sheet in NLDS_STYLESHEETS)


@bp.get("/theme.css")
def theme() -> ResponseReturnValue:
    """The operator's token file (``THEME_CSS``); 404 when none is set."""
    path = get_site().theme_file
    if path is None:
        return "", 404
    response = send_file(path, mimetype="text/css", max_age=THEME_MAX_AGE, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={THEME_MAX_AGE}"
    return response


def init_app(app: Flask) -> None:
    site = Site.from_config(app.config)
    app.extensions["advisor_site"] = site
    if not nlds_installed():
        log.error("NL Design System CSS missing in %s: run scripts/setup-nlds (pages are unstyled)", NLDS_FOLDER)
    if not site.organisation_name or site.contact is None:
        log.warning("ORGANISATION_NAME and ORGANISATION_CONTACT are not both set: the footer and "
                    "the statements cannot say who runs this service")
    app.register_blueprint(bp)

    @app.context_processor
    def site_context() -> dict[str, Any]:
        # Our own stylesheet comes between these two, so the operator's tokens override ours too.
        return {
            "site": site,
            "nlds_stylesheets": [url_for("static", filename=sheet) for sheet in NLDS_STYLESHEETS],
            "operator_theme": url_for("site.theme") if site.theme_file is not None else None,
        }
