"""The statements a Dutch public-sector service must show: privacy and accessibility.

The privacy statement is written from the settings the service actually runs with (retention,
where answers are stored, how abuse limits count, whether the admin export is on), so it cannot
promise what the configuration does not do. Each statement can be replaced by the operator's own
page (``PRIVACY_STATEMENT_URL``, ``ACCESSIBILITY_STATEMENT_URL``): the footer then links there
and our route redirects to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template
from flask.typing import ResponseReturnValue
from limits import parse_many

from .i18n import current_lang
from .site import get_site

bp = Blueprint("statements", __name__)

ACCESSIBILITY_REVIEWED = date(2026, 12, 1)
"""When the accessibility statement was last checked against the pages and their tests."""
LANG_COOKIE_DAYS = 365


@dataclass(frozen=True)
class PrivacyFacts:
    """What the privacy statement says, read from the running configuration."""

    retention_days: int  # 0: kept until erased
    database: str  # "sqlite" or "postgresql"
    limits_on: bool
    limits_shared: bool  # counted in Redis rather than in each worker's memory
    limit_window_seconds: int  # the longest window a client's request count is kept for
    admin_export: bool


def database_kind(config: Any) -> str:
    url = str(config.get("DATABASE_URL") or "sqlite")
    return "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"


def longest_window(limits: str) -> int:
    """The longest period in ``RATELIMIT_DEFAULT`` (``120 per minute;2000 per hour`` → 3600)."""
    try:
        return max((item.get_expiry() for item in parse_many(limits)), default=0)
    except ValueError:
        return 0


def duration(seconds: int, lang: str) -> str:
    """A window in words: 3600 → "1 uur" / "1 hour"."""
    units = {"nl": (("dag", "dagen", 86400), ("uur", "uur", 3600), ("minuut", "minuten", 60)),
             "en": (("day", "days", 86400), ("hour", "hours", 3600), ("minute", "minutes", 60))}
    for one, many, size in units.get(lang, units["en"]):
        if seconds >= size:
            count = -(-seconds // size)
            return f"{count} {one if count == 1 else many}"
    return f"{seconds} s"


def privacy_facts(config: Any) -> PrivacyFacts:
    limits = str(config.get("RATELIMIT_DEFAULT") or "")
    return PrivacyFacts(
        retention_days=int(config.get("RETENTION_DAYS") or 0),
        database=database_kind(config),
        limits_on=bool(config.get("RATELIMIT_ENABLED")),
        limits_shared=str(config.get("RATELIMIT_STORAGE_URI") or "").startswith(("redis", "rediss")),
        limit_window_seconds=longest_window(limits),
        admin_export=bool(config.get("ADMIN_TOKEN")),
    )


def _statement(name: str, replaced_by: str | None, **context: Any) -> ResponseReturnValue:
    if replaced_by:
        return redirect(replaced_by)
    lang = current_lang()
    return render_template(f"statements/{name}_{lang}.html", lang=lang, **context)


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """Privacyverklaring: what is stored, for how long, how to erase it, whom to ask."""
    return _statement("privacy", get_site().privacy_url, facts=privacy_facts(current_app.config),
                      lang_cookie_days=LANG_COOKIE_DAYS, duration=duration)


@bp.get("/accessibility")
def accessibility() -> ResponseReturnValue:
    """Toegankelijkheidsverklaring: the WCAG level, how it was tested, known exceptions, contact."""
    return _statement("accessibility", get_site().accessibility_url, reviewed=ACCESSIBILITY_REVIEWED)
