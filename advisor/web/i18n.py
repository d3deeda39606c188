"""The page chrome in Dutch and English: Flask-Babel, a remembered language, compiled catalogs.

Domain texts (questions, forms, risks) come from the rule packs in the chosen language; only
the words of the pages themselves live in ``advisor/translations``. The ``.mo`` files are not
in git: they are compiled from the ``.po`` files when the app starts and a ``.mo`` is missing or
older than its ``.po``, so a fresh checkout, the tests and gunicorn all work without a build step.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request
from flask_babel import Babel, get_locale

log = logging.getLogger("advisor.web")

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def current_lang() -> str:
    """The visitor's language: ?lang=, then the cookie, then Accept-Language, then the default."""
    languages = current_app.config["LANGUAGES"]
    for asked in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if asked in languages:
            return asked
    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LANG"]


def safe_next(target: str | None) -> str:
    """A local path to go back to after switching language; anything else goes home.

    Control characters (CR and LF would split the ``Location`` header), whitespace and
    backslashes (browsers read ``/\\host`` as ``//host``) are refused, not cleaned up.
    """
    if not target or not target.isprintable() or any(c.isspace() or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def compile_catalogs(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or stale; returns the files written."""
    written = []
    for po_path in sorted(folder.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        try:
            # Write then rename, so two gunicorn workers starting together never read half a file.
            fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(tmp, mo_path)
        except OSError as exc:  # a read-only install: pages fall back to the English msgids
            log.warning("cannot compile %s: %s", po_path, exc)
            continue
        written.append(mo_path)
    return written


def init_app(app: Flask) -> None:
    compile_catalogs()
    Babel(app, locale_selector=current_lang, default_translation_directories=str(TRANSLATIONS))

    @app.context_processor
    def language_context() -> dict:
        return {"get_locale": get_locale, "current_lang": current_lang,
                "languages": app.config["LANGUAGES"]}
