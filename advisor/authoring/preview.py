"""``rules show``: a pack's questions, options and texts as a manager reads them, in one
language, so an author proofreads the texts without clicking through the questionnaire.

A text missing in the language asked is shown in the other language and marked, so the gap
is seen. Pure Python over the pack's data; the HTML page is a template with escaping on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..rulepack import RulePack

LABELS = {
    "nl": {
        "step": "Stap", "optional": "mag je overslaan", "required": "verplicht", "number": "een getal",
        "between": "van {min} tot {max}", "several": "meer antwoorden mogelijk", "forms": "Vormen",
        "rules": "Regels (waarom een vorm past)", "risks": "Risico's", "why": "Waarom",
        "advice": "Wat je kunt doen", "conditions": "Voorwaarden voor succes", "missing": "geen Nederlandse tekst",
        "source": "bron", "strengths": "Sterk", "weaknesses": "Zwak", "questions": "Vragen",
    },
    "en": {
        "step": "Step", "optional": "may be skipped", "required": "required", "number": "a number",
        "between": "from {min} to {max}", "several": "several answers possible", "forms": "Forms",
        "rules": "Rules (why a form fits)", "risks": "Risks", "why": "Why", "advice": "What to do",
        "conditions": "Conditions for success", "missing": "no English text", "source": "source",
        "strengths": "Strengths", "weaknesses": "Weaknesses", "questions": "Questions",
    },
}


def text_in(text: Mapping[str, Any] | None, lang: str) -> str:
    """The text in `lang`, or the other language marked as missing."""
    if not text:
        return ""
    if lang in text:
        return str(text[lang])
    other = next(iter(text.values()))
    return f"[{LABELS[lang]['missing']}] {other}"


def preview(pack: RulePack, lang: str) -> dict[str, Any]:
    """The pack's person-readable content in one language, as plain data (text and HTML)."""
    data = pack.data
    steps = {entry["id"]: entry for entry in data["steps"]}
    labels = LABELS[lang]
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for entry in data["questions"]:
        groups.setdefault(entry.get("step"), []).append({
            "id": entry["id"], "text": text_in(entry["text"], lang), "help": text_in(entry.get("help"), lang),
            "kind": _kind(entry, labels), "options": [text_in(o["label"], lang) for o in entry.get("options", ())],
        })
    sections = []
    for step_id, questions in groups.items():
        step = steps.get(step_id or "")
        sections.append({
            "title": text_in(step["title"], lang) if step else (step_id or labels["questions"]),
            "intro": text_in(step.get("intro"), lang) if step else "", "questions": questions,
        })
    sections += [{"title": text_in(step["title"], lang), "intro": text_in(step.get("intro"), lang), "questions": []}
                 for step_id, step in steps.items() if step_id not in groups]
    return {
        "id": pack.id, "version": pack.version, "file": pack.file, "lang": lang, "labels": labels,
        "title": text_in(data["pack"]["title"], lang), "description": text_in(data["pack"].get("description"), lang),
        "steps": sections,
        "forms": [{"name": text_in(f["name"], lang), "summary": text_in(f.get("summary"), lang),
                   "strengths": _list_in(f.get("strengths"), lang), "weaknesses": _list_in(f.get("weaknesses"), lang)}
                  for f in data["forms"]],
        "rules": [{"id": r["id"], "because": text_in(r["because"], lang), "source": r.get("source", ""),
                   "points": ", ".join(f"{form} {points:+g}" for form, points in r["contributions"].items())}
                  for r in data["rules"]],
        "risks": [{"id": r["id"], "severity": r["severity"], "title": text_in(r["title"], lang),
                   "why": text_in(r["why"], lang), "advice": text_in(r["advice"], lang), "source": r.get("source", "")}
                  for r in data["risks"]],
        "conditions": [{"id": c["id"], "text": text_in(c["text"], lang), "source": c.get("source", "")}
                       for c in data["conditions"]],
    }


def _kind(entry: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    parts = [labels["required"] if entry.get("required") else labels["optional"]]
    if entry["kind"] == "multi":
        parts.append(labels["several"])
    if entry["kind"] == "integer":
        number = labels["number"]
        if entry.get("min") is not None and entry.get("max") is not None:
            number += " " + labels["between"].format(min=entry["min"], max=entry["max"])
        parts.append(number)
    return ", ".join(parts)


def _list_in(texts: Mapping[str, list[str]] | None, lang: str) -> list[str]:
    if not texts:
        return []
    return list(texts.get(lang) or [])


def preview_lines(view: Mapping[str, Any]) -> list[str]:
    """The preview as text for a terminal."""
    labels = view["labels"]
    lines = [f"{view['title']} ({view['id']} {view['version']}, {view['file']})"]
    if view["description"]:
        lines.append(view["description"])
    for step in view["steps"]:
        lines += ["", f"{labels['step']}: {step['title']}"]
        if step["intro"]:
            lines.append(f"  {step['intro']}")
        for number, question in enumerate(step["questions"], 1):
            lines.append(f"  {number}. {question['text']}  ({question['kind']})  [{question['id']}]")
            if question["help"]:
                lines.append(f"     {question['help']}")
            lines += [f"     ( ) {option}" for option in question["options"]]
    if view["forms"]:
        lines += ["", f"{labels['forms']}:"]
        for form in view["forms"]:
            lines.append(f"  {form['name']}: {form['summary']}")
    if view["rules"]:
        lines += ["", f"{labels['rules']}:"]
        for rule in view["rules"]:
            lines.append(f"  - {rule['because']}  [{rule['points']}]  ({rule['id']}; {labels['source']}: "
                         f"{rule['source'] or '-'})")
    if view["risks"]:
        lines += ["", f"{labels['risks']}:"]
        for risk in view["risks"]:
            lines += [f"  [{risk['severity']}] {risk['title']}  ({risk['id']})",
                      f"     {labels['why']}: {risk['why']}", f"     {labels['advice']}: {risk['advice']}"]
    if view["conditions"]:
        lines += ["", f"{labels['conditions']}:"]
        lines += [f"  - {condition['text']}  ({condition['id']})" for condition in view["conditions"]]
    return lines


def preview_html(view: Mapping[str, Any]) -> str:
    environment = Environment(loader=PackageLoader("advisor", "templates"), autoescape=select_autoescape())
    return environment.get_template("pack_preview.html").render(view=view, labels=view["labels"])
