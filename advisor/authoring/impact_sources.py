"""Where ``rules impact`` gets its two rule sets and its answers, and its HTML report.

A side is a folder of packs, or a git ref of the head folder (read with ``git show``, nothing
is checked out); its packs replace the loaded packs with the same id. The stored assessments
come from a database URL through :mod:`advisor.storage`; their ids are keys, so a report shows
only their first characters.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..engine import Engine
from ..model import localize
from ..plugins import PluginLoadError, display_path
from ..rulepack import PackError, RulePack, load_pack, parse_pack
from .impact import Impact, Subject
from .rulesets import engine_for

GIT_TIMEOUT_S = 30


class ImpactSourceError(RuntimeError):
    """A side or a database that cannot be read; the message says which and why."""


def packs_in(folder: Path) -> list[RulePack]:
    """The packs of a folder (``*.toml``)."""
    try:
        return [load_pack(path, display_path(path)) for path in sorted(folder.glob("*.toml"))]
    except PackError as exc:
        raise ImpactSourceError(str(exc)) from None


def packs_at_ref(folder: Path, ref: str) -> tuple[list[RulePack], str]:
    """The packs of `folder` as they were at git `ref`, and a name for the report."""
    folder = folder.resolve()
    top = _git(folder, "rev-parse", "--show-toplevel").strip()
    relative = folder.relative_to(top).as_posix()
    prefix = f"{relative}/" if relative != "." else ""
    listing = _git(folder, "ls-tree", "--name-only", f"{ref}:{relative}" if prefix else f"{ref}:")
    packs = []
    for name in sorted(line for line in listing.splitlines() if line.endswith(".toml")):
        content = subprocess.run(
            ["git", "-C", str(folder), "show", f"{ref}:{prefix}{name}"],
            capture_output=True, timeout=GIT_TIMEOUT_S, check=False,
        )
        try:
            packs.append(parse_pack(content.stdout, f"{ref}:{prefix}{name}"))
        except PackError as exc:
            raise ImpactSourceError(str(exc)) from None
    return packs, f"{display_path(folder)} at {ref}"


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise ImpactSourceError("--base is not a folder, and git is not installed to read it as a git ref") from None
    if done.returncode != 0:
        raise ImpactSourceError(
            f"--base: neither a folder nor a git ref of {display_path(folder)}: {done.stderr.strip()}")
    return done.stdout


def engine_with(config: Mapping[str, Any], packs: Sequence[RulePack]) -> Engine:
    """One side of an impact: :func:`engine_for`, its start-up errors as :class:`ImpactSourceError`."""
    try:
        return engine_for(config, packs)
    except PluginLoadError as exc:
        raise ImpactSourceError(f"the rules do not start:\n{exc}") from None


def assessment_subjects(url: str) -> list[Subject]:
    """The complete stored assessments of a database, oldest first."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from ..storage.db import make_engine
    from ..storage.service import iter_all

    try:
        database = make_engine(url)
    except (SQLAlchemyError, ValueError) as exc:
        raise ImpactSourceError(f"--database: cannot use {url.split('://')[0]}://…: {exc}") from None
    try:
        with Session(database) as session:
            return [
                Subject("assessment", f"{row.id[:6]}…" + (f" ({row.label})" if row.label else ""),
                        row.answers, row.lang)
                for row in iter_all(session=session) if row.status == "complete"
            ]
    except SQLAlchemyError as exc:
        raise ImpactSourceError(f"--database: the assessments cannot be read: {type(exc).__name__}") from None
    finally:
        database.dispose()


def impact_html(impact: Impact, engine: Engine, lang: str) -> str:
    """A self-contained HTML report (no scripts, no external files)."""
    environment = Environment(loader=PackageLoader("advisor", "templates"), autoescape=select_autoescape())

    def form_name(form_id: str | None) -> str:
        if form_id is None:
            return "—"
        form = engine.forms.get(form_id)
        return localize(form.name, lang) if form else form_id

    def risk_title(risk_id: str) -> str:
        definition = engine.risk_definitions.get(risk_id)
        return localize(definition.title, lang) if definition else risk_id

    environment.filters.update(form_name=form_name, risk_title=risk_title)
    return environment.get_template("impact_report.html").render(
        impact=impact, summary=impact.summary(), lang=lang, form_name=form_name, risk_title=risk_title,
        text=REPORT_TEXTS[lang],
    )


REPORT_TEXTS = {
    "nl": {
        "title": "Gevolgen van een regelwijziging", "compared": "vergeleken", "changed": "anders",
        "form": "vorm", "risks": "risico's", "ranking": "volgorde", "refused": "antwoorden geweigerd",
        "before": "voor", "after": "na", "added": "erbij", "removed": "eraf", "rules": "regels die het verschil maken",
        "not_fired": "niet van toepassing", "none": "Geen enkel advies verandert.",
        "intro": "Dezelfde antwoorden, door de oude en de nieuwe regels gehaald.",
    },
    "en": {
        "title": "Impact of a rule change", "compared": "compared", "changed": "changed",
        "form": "form", "risks": "risks", "ranking": "ranking", "refused": "answers refused",
        "before": "before", "after": "after", "added": "added", "removed": "removed",
        "rules": "rules that make the difference", "not_fired": "did not fire", "none": "No advice changes.",
        "intro": "The same answers, run through the old and the new rules.",
    },
}
