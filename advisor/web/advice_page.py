"""What an advice page shows, from the engine's advice: one place for the single and the combined
advice, so the headline, the chart and the margin line can never tell different stories.

- the ranking in score order, with the highest-scoring form and the advised form named apart
  when the lightest-form tie-break chose a form that did not score highest;
- a summary of the answers (for the printout, and with a link per question to change it);
- what would change the advice, grouped by form, answers a manager can change first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..api.views import forms_by_id
from ..combine import Combination
from ..extension import get_advisor
from ..model import Advice, Alternative
from .plugin_failures import failed_plugins_view

ALTERNATIVES_PER_FORM = 3


def advice_view(result: Advice, lang: str, *, steps: list[dict[str, Any]] | None = None,
                answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The template's view of an advice; with `steps` and `answers`, the answers summary too."""
    forms = forms_by_id(lang)
    # Score order; on an exact tie the advised form first, so "highest" only differs on a real gap.
    ranked = sorted(result.ranking, key=lambda entry: (-entry.score, entry.form != result.recommended))
    top_share = max((entry.share for entry in ranked), default=0) or 1
    ranking = [
        {"id": entry.form, "name": forms[entry.form]["name"], "score": entry.score,
         "share": entry.share, "percent": round(entry.share * 100),
         "bar": round(max(entry.share, 0) / top_share * 100, 1), "recommended": entry.form == result.recommended,
         "highest": index == 0}
        for index, entry in enumerate(ranked)
    ]
    recommended = next(row for row in ranking if row["recommended"])
    highest = ranking[0]
    runner_up = next((row for row in ranking if not row["recommended"]), None)
    grouped = []
    for entry in ranked:
        reasons = sorted(
            ({"item": item, "points": item.contributions[entry.form]}
             for item in result.explanation if item.contributions.get(entry.form)),
            key=lambda reason: -reason["points"],
        )
        grouped.append({
            "form": forms[entry.form], "score": entry.score,
            "recommended": entry.form == result.recommended,
            "for": [r for r in reasons if r["points"] > 0],
            "against": [r for r in reasons if r["points"] < 0],
        })
    return {
        "advice": result, "recommended": forms[result.recommended], "ranking": ranking,
        "grouped": grouped, "forms": forms,
        # On a tie-break the advised form may not have scored highest: the page then says so.
        "chose_lighter": highest["id"] != result.recommended,
        "highest": highest, "advised_row": recommended, "runner_up": runner_up,
        "lead_points": recommended["score"] - (runner_up["score"] if runner_up else 0),
        "answer_summary": answer_summary(steps, answers) if steps is not None and answers is not None else [],
        "step_of": step_numbers(steps) if steps is not None else {},
        "failed_plugins": failed_plugins_view(result.failed_plugins),
        "made_on": datetime.now(UTC),
    }


def step_numbers(steps: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Question id to the number of its step: where "change" links go."""
    return {q["id"]: number for number, step in enumerate(steps, start=1) for q in step["questions"]}


def answer_summary(steps: Iterable[Mapping[str, Any]], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per step, every question with the answer as a person reads it ('' when skipped)."""
    summary = []
    for number, step in enumerate(steps, start=1):
        rows = []
        for question in step["questions"]:
            labels = {option["id"]: option["label"] for option in question["options"]}
            value = answers.get(question["id"])
            if value is None:
                text = ""
            elif isinstance(value, list):
                text = ", ".join(labels.get(v, str(v)) for v in value)
            else:
                text = labels.get(value, str(value))
            rows.append({"id": question["id"], "text": question["text"], "answer": text})
        summary.append({"number": number, "title": step["title"], "rows": rows})
    return summary


def preferred_order(question_id: str) -> int:
    """What would change the advice searches answers a manager can change first: a question its
    pack marks ``situation = true`` describes the situation (a manager cannot decide to have 25
    partners instead of 6), so it comes last."""
    question = get_advisor().engine.questions.get(question_id)
    return 1 if question is not None and question.situation else 0


def alternatives_by_form(alternatives: Iterable[Alternative], forms: Mapping[str, Mapping[str, Any]]
                         ) -> list[dict[str, Any]]:
    """At most three change sets per other form, those a manager can change first, light to heavy."""
    by_form: dict[str, list[Alternative]] = {}
    for alternative in alternatives:
        by_form.setdefault(alternative.form, []).append(alternative)
    groups = []
    for form, found in by_form.items():
        found.sort(key=lambda a: (sum(preferred_order(c.question) for c in a.changes), len(a.changes)))
        groups.append({
            "form": forms.get(form, {"id": form, "name": form, "order": 0}),
            "alternatives": found[:ALTERNATIVES_PER_FORM],
            "adjustable": [all(preferred_order(c.question) == 0 for c in a.changes)
                           for a in found[:ALTERNATIVES_PER_FORM]],
        })
    groups.sort(key=lambda g: g["form"].get("order", 0))
    return groups


def contested_view(combination: Combination) -> dict[str, dict[str, Any]]:
    """The questions whose partners' answers differ, by id: what the combined advice marks,
    with every partner's answer in one line ("Gemeente: a lot, Wijkteam: little")."""
    return {
        qid: {
            "id": qid, "text": q.text, "kind": q.kind, "combined_text": q.combined_text, "answers": q.answers,
            "cautious": q.cautious, "tie": q.tie,
            "spread": ", ".join(f"{side.respondent}: {side.answer_text}" for side in q.answers),
        }
        for qid, q in combination.contested.items()
    }
