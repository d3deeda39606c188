"""How numbers and sources read on the pages: proper plurals, and an article by its title.

Jinja filters, so every template says "1 point" and "2 points" the same way, and a rule's
source ("004 — Platform Sociaal Domein, rode draad (Pauline Zwart)") is shown as the article's
title and author without the engine's file number.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import format_decimal, ngettext

ARTICLE_NUMBER = re.compile(r"^\s*\d{3}\s*[—–-]\s*")
"""The number the seed articles are filed under, as the rule packs cite them: "004 — "."""


def points(value: float | int) -> str:
    """'1 point', '3 points', '2.5 points' (in the page's language); negative as '−2 points'."""
    rounded = round(float(value), 1)
    count = abs(rounded)
    text = format_decimal(count)
    plural_count = int(count) if count == int(count) else 2
    phrase = ngettext("%(number)s point", "%(number)s points", plural_count, number=text)
    return ("−" if rounded < 0 else "") + phrase


def source_text(source: str | None) -> str:
    """A rule's source as the article's title and author, several separated by a semicolon."""
    if not source:
        return ""
    return "; ".join(ARTICLE_NUMBER.sub("", part).strip() for part in source.split(";") if part.strip())


def init_app(app: Flask) -> None:
    app.add_template_filter(points, "points")
    app.add_template_filter(source_text, "source_text")
