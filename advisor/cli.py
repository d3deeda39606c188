"""Commands for rule authors and operators: ``flask --app advisor ...`` or the ``advisor`` script.

    advisor plugins list              what is loaded: name, version, kind, source, hooks
    advisor rules check [PATH...]     lint packs before installing them (default: the rules dir)
    advisor rules test CASES...       run worked cases (TOML) against the loaded rules (--coverage)
    advisor rules impact --base REF   which advice a rule change changes (cases, stored assessments)
    advisor rules show PACK           a pack's questions and texts as a manager reads them (--html)
    advisor rules fmt FILE...         rewrite packs in one canonical layout (--check for CI)
    advisor rules schema              the JSON Schema of the pack format, for editors
    advisor advice FILE               the advice for answers in a JSON or TOML file

The commands are thin: the lint logic is :mod:`advisor.rulecheck`, the cases :mod:`advisor.cases`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext

from .authoring.coverage import coverage, coverage_lines
from .cases import CaseFileError, load_cases, report_lines, run_case
from .engine import AnswersError, Engine, PluginFailed
from .model import localize
from .packerrors import did_you_mean
from .plugins import PluginLoadError, describe, display_path
from .rulecheck import Finding, Loaded, Report, check_files, check_module, pack_files
from .rulepack import DEFAULT_MAX_RULES, RulePack, load_pack

plugins_cli = AppGroup("plugins", help="The loaded plugins.")
CHANGELOG_SHOWN = 3
"""Changelog entries per pack in the text listing (all of them with --json)."""
rules_cli = AppGroup("rules", help="Check and test rule packs.")


def _engine() -> Engine:
    return current_app.extensions["advisor"].engine


# --- plugins list ----------------------------------------------------------------------------


@plugins_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
def list_plugins(as_json: bool) -> None:
    """List the loaded plugins with version, kind, source and hooks."""
    engine = _engine()
    listing = describe(engine.plugins)
    if as_json:
        click.echo(json.dumps({"plugins": listing, "ruleset": engine.ruleset.fingerprint}, indent=2))
        return
    width = max([len(p["name"]) for p in listing] + [4])
    vwidth = max([len(p["version"]) for p in listing] + [7])
    click.echo(f"{'name':<{width}}  {'version':<{vwidth}}  {'kind':<10}  source")
    lang = current_app.config["DEFAULT_LANG"]
    for plugin in listing:
        click.echo(f"{plugin['name']:<{width}}  {plugin['version']:<{vwidth}}  {plugin['kind']:<10}  {plugin['source']}")
        click.echo(f"{'':<{width}}  hooks: {', '.join(plugin['hooks']) or '-'}")
        for entry in plugin["changelog"][:CHANGELOG_SHOWN]:
            when = f" ({entry['date']})" if entry["date"] else ""
            click.echo(f"{'':<{width}}  {entry['version']}{when}: {localize(entry['changes'], lang)}")
    click.echo(f"{len(listing)} plugins; rule set {engine.ruleset.fingerprint[:12]}")


# --- rules check -----------------------------------------------------------------------------


@rules_cli.command("check", with_appcontext=False)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit non-zero on warnings too.")
def check_rules(paths: tuple[Path, ...], strict: bool) -> None:
    """Lint rule packs: errors (exit 1) and warnings (exit 0, or 1 with --strict).

    PATH is a pack file or a folder of packs; the default is the loaded rules folder. A pack is
    checked against everything loaded (a loaded pack with the same id is replaced by it).
    """
    app, startup_error = _try_app()
    if app is None:
        # The loaded set is broken: check the files themselves, with the rules folder as the base.
        click.echo(f"error: the loaded plugins do not start: {startup_error}", err=True)
        loaded, rules_dir = Loaded(), _configured_rules_dir()
        targets = ([rules_dir] if rules_dir else []) + list(paths)
    else:
        loaded, rules_dir = _loaded(app)
        targets = list(paths) or ([rules_dir] if rules_dir else [])
    files = pack_files(targets)
    modules = pack_files([p for p in paths if p.is_dir() or p.suffix == ".py"], "*.py")
    modules = [m for m in modules if m.suffix == ".py"]
    files = [f for f in files if f.suffix != ".py"]
    if not files and not modules:
        raise click.ClickException("no rule packs (*.toml) or plugin modules (*.py) to check")

    def is_builtin(path: Path, pack: RulePack) -> bool:
        in_rules_dir = rules_dir is not None and path.resolve().parent == rules_dir.resolve()
        return in_rules_dir or loaded.kinds.get(pack.id) == "builtin"

    max_rules = int(app.config["RULES_MAX_PER_PACK"] or 0) if app is not None else DEFAULT_MAX_RULES
    report = (check_files(files, loaded, builtin=is_builtin, display=display_path, max_rules=max_rules)
              if files else Report())
    for module in modules:
        if app is None:
            report.findings.append(Finding("error", display_path(module), None,
                                           "not checked: the loaded plugins do not start (see above)"))
            continue
        report.findings.extend(check_module(module, _starter(app), display_path(module)))
    for finding in report.errors + report.warnings:
        click.echo(f"{finding.level}: {finding}")
    checked = f"{len(files)} pack(s)" + (f" and {len(modules)} module(s)" if modules else "")
    click.echo(f"checked {checked}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if report.errors or (strict and report.warnings) or app is None:
        raise SystemExit(1)


def _starter(app: Flask) -> Callable[[list[tuple[str, object]]], Engine]:
    """Start-up as the app's configuration does it, with extra plugins: for checking a module."""
    from .authoring.rulesets import engine_for

    already = {info.name for info in app.extensions["advisor"].engine.plugins if info.kind == "directory"}

    def start(extra: list[tuple[str, object]]) -> Engine:
        # a module of PLUGINS_DIR has been loaded (and checked) by the app already
        return engine_for(app.config, extra=[(name, plugin) for name, plugin in extra if name not in already])

    return start


def _try_app() -> tuple[Flask | None, str | None]:
    """The app, or the reason it does not start (a broken pack must still be linted)."""
    try:
        return click.get_current_context().ensure_object(ScriptInfo).load_app(), None
    except PluginLoadError as exc:
        return None, str(exc)


def _configured_rules_dir() -> Path | None:
    """RULES_DIR from the environment or the default, read without starting the app."""
    import os

    from .config import DEFAULTS

    value = os.environ.get("ADVISOR_RULES_DIR") or DEFAULTS["RULES_DIR"]
    return Path(value) if value else None


def _loaded(app: Flask) -> tuple[Loaded, Path | None]:
    engine: Engine = app.extensions["advisor"].engine
    packs = [p for p in engine.manager.get_plugins() if isinstance(p, RulePack)]
    rules_dir = Path(app.config["RULES_DIR"]) if app.config.get("RULES_DIR") else None
    loaded = Loaded(
        questions=engine.questions, forms=engine.forms, steps=engine.steps,
        risks=engine.risk_definitions, owners=engine.owners, packs=packs,
        kinds={info.name: info.kind for info in engine.plugins},
    )
    return loaded, rules_dir


# --- rules test ------------------------------------------------------------------------------


@rules_cli.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Print each passing case's story too.")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="List per pack the rules that fired in no case, the risks never raised, the options never used.")
@click.option("--json", "as_json", is_flag=True, help="Print the results (and the coverage) as JSON.")
def test_rules(files: tuple[Path, ...], lang: str, verbose: bool, with_coverage: bool, as_json: bool) -> None:
    """Run worked cases (TOML files or folders of them) against the loaded rules."""
    engine = _engine()
    results = []
    for path in pack_files(files):
        try:
            cases = load_cases(path)
        except CaseFileError as exc:
            raise click.ClickException(str(exc)) from None
        results.extend(run_case(engine, case, lang) for case in cases)
    report = coverage(engine, results) if with_coverage else None
    if as_json:
        body: dict[str, Any] = {
            "cases": [{"id": r.case.id, "file": r.case.where(), "passed": r.passed, "problems": r.problems,
                       "recommended": r.advice.recommended if r.advice else None} for r in results],
            "passed": sum(1 for r in results if r.passed), "failed": sum(1 for r in results if not r.passed),
        }
        if report is not None:
            body["coverage"] = [entry.as_dict() for entry in report]
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        for line in report_lines(results, verbose=verbose):
            click.echo(line)
        for line in coverage_lines(report) if report is not None else ():
            click.echo(line)
    if not results or any(not result.passed for result in results):
        raise SystemExit(1)


# --- rules show ------------------------------------------------------------------------------


@rules_cli.command("show", with_appcontext=False)
@click.argument("pack")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the preview as an HTML page to this file instead.")
def show_rules(pack: str, lang: str, html_file: Path | None) -> None:
    """Preview a pack's questions, options and texts as a manager reads them.

    PACK is a pack file, or the id of a loaded pack.
    """
    from .authoring.preview import preview, preview_html, preview_lines
    from .rulepack import PackError

    if Path(pack).is_file():
        try:
            found = load_pack(Path(pack), display_path(Path(pack)))
        except PackError as exc:
            raise click.ClickException(f"cannot be shown, fix these first:\n{exc}") from None
    else:
        app, error = _try_app()
        if app is None:
            raise click.ClickException(f"the loaded plugins do not start: {error}")
        packs = {p.id: p for p in app.extensions["advisor"].engine.manager.get_plugins() if isinstance(p, RulePack)}
        if pack not in packs:
            raise click.ClickException(
                f"no pack file and no loaded pack named '{pack}' (loaded packs: {', '.join(packs)})"
                + did_you_mean(pack, packs))
        found = packs[pack]
    view = preview(found, lang)
    if html_file is not None:
        html_file.write_text(preview_html(view), encoding="utf-8")
        click.echo(f"wrote {html_file}")
        return
    for line in preview_lines(view):
        click.echo(line)


# --- rules fmt and rules schema --------------------------------------------------------------


@rules_cli.command("fmt", with_appcontext=False)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Rewrite the files in place (default: print the result).")
@click.option("--check", is_flag=True, help="Only say which files are not in the canonical layout (exit 1).")
@click.option("--drop-comments", is_flag=True, help="Allow --write to drop the comments of a file.")
def fmt_rules(files: tuple[Path, ...], write: bool, check: bool, drop_comments: bool) -> None:
    """Rewrite rule packs in one canonical layout (see plugins/README.md, "rules fmt")."""
    from .authoring.fmt import format_pack, has_comments
    from .rulepack import PackError, parse_pack

    unformatted = []
    for path in pack_files(files):
        content = path.read_bytes()
        try:
            pack = parse_pack(content, display_path(path))  # a pack with errors is not formatted
        except PackError as exc:
            raise click.ClickException(f"not formatted, fix these first:\n{exc}") from None
        text = content.decode("utf-8")
        formatted = format_pack(tomllib.loads(text))
        if check:
            if formatted != text:
                unformatted.append(pack.file)
                click.echo(f"would reformat {pack.file}")
        elif write:
            if formatted == text:
                continue
            if has_comments(text) and not drop_comments:
                raise click.ClickException(
                    f"{pack.file}: has comments, which fmt cannot keep: move them into the texts or "
                    "sources, or pass --drop-comments")
            path.write_text(formatted, encoding="utf-8")
            click.echo(f"reformatted {pack.file}")
        else:
            click.echo(formatted, nl=False)
    if unformatted:
        raise SystemExit(1)


@rules_cli.command("schema", with_appcontext=False)
def schema_command() -> None:
    """Print the JSON Schema of the rule pack format (for editors: taplo, Even Better TOML)."""
    from .authoring.schema import schema_text

    click.echo(schema_text(), nl=False)


# --- rules impact ----------------------------------------------------------------------------


@rules_cli.command("impact")
@click.argument("cases", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--base", required=True,
              help="The rules before the change: a folder of packs, or a git ref (the --head folder at that commit).")
@click.option("--head", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The rules after the change: a folder of packs (default: the loaded rules folder).")
@click.option("--database", metavar="URL", default=None,
              help="Also compare the stored assessments of this database (an SQLAlchemy URL).")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the impact as JSON.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an HTML report to this file, to send to colleagues.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Compare the rules in force on this date (YYYY-MM-DD; default: today).")
def impact_command(cases: tuple[Path, ...], base: str, head: Path | None, database: str | None, lang: str,
                   as_json: bool, html_file: Path | None, as_of: Any) -> None:
    """Which advice changes with a rule change: worked cases (CASES) and stored assessments.

    The packs of each side replace the loaded packs with the same id (new ids are added), so a
    plugin author compares an edit of one pack and a domain expert an edit of the core rules.
    """
    from .authoring.impact import compare, impact_lines, subjects_from_cases
    from .authoring.impact_sources import (
        ImpactSourceError,
        assessment_subjects,
        engine_with,
        packs_at_ref,
        packs_in,
    )

    app = current_app
    head = head or (Path(app.config["RULES_DIR"]) if app.config.get("RULES_DIR") else None)
    if head is None:
        raise click.ClickException("no --head folder and no RULES_DIR")
    if not cases and not database:
        raise click.ClickException("give worked cases (CASES) or --database URL, or both")
    try:
        base_packs, base_name = (packs_in(Path(base)), base) if Path(base).is_dir() else packs_at_ref(head, base)
        head_packs = packs_in(head)
        engines = [engine_with(app.config, packs) for packs in (base_packs, head_packs)]
        subjects = []
        for path in pack_files(cases):
            subjects.extend(subjects_from_cases(load_cases(path)))
        if database:
            subjects.extend(assessment_subjects(database))
    except (ImpactSourceError, CaseFileError) as exc:
        raise click.ClickException(str(exc)) from None
    subjects = [type(s)(s.kind, s.name, s.answers, lang if s.kind == "case" else s.lang) for s in subjects]
    impact = compare(*engines, subjects, base_name=base_name, head_name=display_path(head),
                     as_of=as_of.date() if as_of else None)
    if as_json:
        click.echo(json.dumps(impact.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in impact_lines(impact):
            click.echo(line)
    if html_file is not None:
        from .authoring.impact_sources import impact_html

        html_file.write_text(impact_html(impact, engines[1], lang), encoding="utf-8")
        if not as_json:
            click.echo(f"\nwrote {html_file}")


# --- advice ----------------------------------------------------------------------------------


@click.command("advice")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["nl", "en"]), default=None,
              help="Language of the texts (default: the file's 'lang', then DEFAULT_LANG).")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as the API would send it.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Use the rules in force on this date (YYYY-MM-DD; default: today).")
def advice_command(file: Path, lang: str | None, as_json: bool, as_of: Any) -> None:
    """Advise on answers in FILE (JSON or TOML): a table of answers, or {"answers": ..., "lang": ...}."""
    data = _read_answers(file)
    answers = data.get("answers") if isinstance(data.get("answers"), dict) else data
    lang = lang or (data.get("lang") if data.get("lang") in ("nl", "en") else None) \
        or current_app.config["DEFAULT_LANG"]
    engine = _engine()
    try:
        advice = engine.advise(answers, lang, as_of=as_of.date() if as_of else None)
    except AnswersError as exc:
        for key, reasons in exc.errors.items():
            click.echo(f"error: {file}: {key}: {', '.join(reasons)}", err=True)
        raise SystemExit(1) from None
    except PluginFailed as exc:
        raise click.ClickException(f"a plugin failed and strict mode is on: {exc}") from None
    if as_json:
        from .wire import advice_to_wire

        click.echo(json.dumps(advice_to_wire(advice), indent=2, ensure_ascii=False))
        return
    for line in advice_lines(engine, advice):
        click.echo(line)


def _read_answers(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"{file}: cannot be read as {file.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file}: must hold a table of answers")
    return data


def advice_lines(engine: Engine, advice) -> list[str]:
    """The advice as text: recommendation, ranking, explanation, risks, conditions."""
    lang = advice.lang

    def name(form_id: str) -> str:
        return localize(engine.forms[form_id].name, lang) if form_id in engine.forms else form_id

    lines = [f"Recommended: {name(advice.recommended)} ({advice.recommended})"]
    if advice.tie_break:
        lines.append(f"  a near tie (margin {advice.margin:g}): the lightest form that does the job was chosen")
    else:
        lines.append(f"  margin to the runner-up: {advice.margin:g}")
    lines.append("")
    lines.append("Ranking:")
    width = max(len(name(entry.form)) for entry in advice.ranking)
    for place, entry in enumerate(advice.ranking, 1):
        lines.append(f"  {place}. {name(entry.form):<{width}}  score {entry.score:>6g}   share {entry.share:.0%}")
    lines.append("")
    lines.append("Why (every rule that fired):")
    for item in advice.explanation:
        points = ", ".join(f"{form} {points:+g}" for form, points in item.contributions.items())
        lines.append(f"  [{points}] {item.because}")
        lines.append(f"      rule {item.pack}/{item.rule}; source: {item.source or '-'}")
        if item.triggers:
            lines.append("      answers: " + "; ".join(f"{t.question_text} {t.answer_text}" for t in item.triggers))
    if not advice.explanation:
        lines.append("  no rule fired")
    lines.append("")
    lines.append("Risks:" if advice.risks else "Risks: none of those checked" if advice.not_checked else "Risks: none")
    for risk in advice.risks:
        lines.append(f"  [{risk.severity}] {risk.title} ({risk.id})")
        lines.append(f"      why: {risk.why}")
        if risk.triggers:
            lines.append("      answers: " + "; ".join(f"{t.question_text} {t.answer_text}" for t in risk.triggers))
        lines.append(f"      what to do: {risk.advice}")
        lines.append(f"      source: {risk.source or '-'}")
    if advice.not_checked:
        lines.append("Not checked (skipped questions decide them):")
        for item in advice.not_checked:
            asked = "; ".join(q.question_text for q in item.questions)
            lines.append(f"  [{item.severity}] {item.title} ({item.id}): {asked}")
    if advice.conditions:
        lines.append("")
        lines.append("Conditions for success:")
        lines.extend(f"  - {condition.text}" for condition in advice.conditions)
    if advice.informal_layer:
        lines.append("")
        lines.append(f"Keep the informal layer: {advice.informal_layer.text}")
    lines.append("")
    completeness = advice.completeness
    lines.append(f"Answered {completeness.answered} of {completeness.total} questions.")
    packs = ", ".join(f"{p.id} {p.version}" for p in advice.ruleset.packs)
    lines.append(f"Rule set {advice.ruleset.fingerprint[:12]}: {packs}")
    if advice.incomplete:
        lines.append("INCOMPLETE: " + "; ".join(
            f"plugin '{f.plugin}' failed in {f.hook}: {f.error}" for f in advice.failed_plugins))
    return lines


# --- wiring ----------------------------------------------------------------------------------


COMMANDS = (plugins_cli, rules_cli, advice_command)


def init_app(app: Flask) -> None:
    """Register the commands on the app (``flask --app advisor ...``)."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


advisor_cli = FlaskGroup(
    name="advisor", create_app=_create_app, add_default_commands=False,
    help="Samenwerkingswijzer: commands for rule authors and operators (config from ADVISOR_* variables).",
)
"""The ``advisor`` console script's group: the same commands without ``--app``."""
for _command in COMMANDS:
    advisor_cli.add_command(_command)


def main() -> None:
    """Entry point of the ``advisor`` script: a plugin that does not load is a message, not a traceback."""
    try:
        advisor_cli.main(prog_name="advisor")
    except PluginLoadError as exc:  # only reached outside click's standalone mode
        exc.show()
        raise SystemExit(1) from None
