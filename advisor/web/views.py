"""The manager's pages: start, the questionnaire step by step, and the advice.

Thin views over the same data the JSON API serves (``questionnaire_data``, ``forms_by_id`` and the
engine), so the pages and the API can never disagree about a question or an advice.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import storage
from ..api.views import forms_by_id, questionnaire_data
from ..engine import AnswersError, PluginFailed
from ..extension import get_advisor
from ..model import Advice
from ..whatif import alternatives as what_would_change
from . import answers as answer_rules
from . import saved
from .i18n import LANG_COOKIE, LANG_COOKIE_MAX_AGE, current_lang, safe_next
from .progress import clear_draft, load_draft, replace_draft, save_draft

bp = Blueprint("web", __name__)

SECONDS_PER_QUESTION = 30
"""A reading-and-choosing estimate for the start page's "how long it takes"."""


def _steps() -> list[dict[str, Any]]:
    return questionnaire_data(current_lang())["steps"]


def _all_questions(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [question for step in steps for question in step["questions"]]


@bp.context_processor
def saved_link() -> dict[str, Any]:
    assessment_id = saved.saved_id()
    return {
        "saved_url": url_for("web.resume", assessment_id=assessment_id, _external=True) if assessment_id else None,
        "retention_days": current_app.config.get("RETENTION_DAYS") or 0,
    }


@bp.get("/")
def start() -> ResponseReturnValue:
    steps = _steps()
    count = len(_all_questions(steps))
    return render_template(
        "start.html", steps=steps, question_count=count, has_draft=bool(load_draft()),
        minutes=max(5, -(-count * SECONDS_PER_QUESTION // 60)),
    )


@bp.get("/language/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    """Remember the visitor's language in a cookie and go back to the page they were on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = make_response(redirect(safe_next(request.args.get("next"))))
    response.set_cookie(LANG_COOKIE, code, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


@bp.route("/steps/<int:number>", methods=["GET", "POST"])
def step(number: int) -> ResponseReturnValue:
    steps = _steps()
    if not 1 <= number <= len(steps):
        abort(404)
    questions = steps[number - 1]["questions"]
    errors: dict[str, str] = {}
    if request.method == "GET":
        draft = saved.take_others_changes(load_draft(), _all_questions(steps))
        replace_draft(draft)
        if request.args.get("check"):
            errors = answer_rules.clean(questions, draft)[1]
        return _render_step(steps, number, draft, errors)

    draft = save_draft(answer_rules.read_step(request.form, questions))
    result = saved.save_as_you_go(draft, _all_questions(steps), current_lang())
    if result.conflicts:
        return _render_step(steps, number, draft, errors, conflicts=result.conflicts), 409
    if result.draft is not None:
        replace_draft(draft := result.draft)
    nav = request.form.get("nav", "next")
    if nav.startswith("lang:"):
        return redirect(url_for("web.switch_language", code=nav[5:], next=url_for("web.step", number=number)))
    if nav == "back":
        return redirect(url_for("web.step", number=number - 1) if number > 1 else url_for("web.start"))
    errors = answer_rules.clean(questions, draft)[1]
    if errors:
        return _render_step(steps, number, draft, errors), 422
    if number < len(steps):
        return redirect(url_for("web.step", number=number + 1))
    invalid = answer_rules.clean_steps(steps, draft)[1]
    if invalid is not None:
        return redirect(url_for("web.step", number=invalid, check=1))
    return redirect(url_for("web.advice"))


def _render_step(steps: list[dict[str, Any]], number: int, draft: dict[str, Any],
                 errors: dict[str, str], conflicts: tuple[saved.Conflict, ...] = ()) -> str:
    summary = answer_rules.error_summary(steps[number - 1]["questions"], errors)
    return render_template(
        "step.html", steps=steps, number=number, step=steps[number - 1], draft=draft,
        errors=errors, error_summary=summary, is_last=number == len(steps),
        conflicts=answer_rules.describe_conflicts(_all_questions(steps), conflicts),
    )


@bp.get("/advice")
def advice() -> ResponseReturnValue:
    steps = _steps()
    draft = saved.take_others_changes(load_draft(), _all_questions(steps))
    replace_draft(draft)
    clean, invalid = answer_rules.clean_steps(steps, draft)
    if invalid is not None:
        return redirect(url_for("web.step", number=invalid, check=1))
    lang = current_lang()
    try:
        result = get_advisor().engine.advise(clean, lang)
    except AnswersError:
        return redirect(url_for("web.step", number=1, check=1))
    except PluginFailed:
        abort(503)
    return render_template("advice.html", **advice_view(result, lang), question_links=_question_links(steps),
                           alternatives=what_would_change(get_advisor().engine, clean, result.recommended, lang))


def _question_links(steps: list[dict[str, Any]]) -> dict[str, str]:
    """Question id -> its place in the questionnaire, for the risks the advice could not check."""
    return {
        question["id"]: url_for("web.step", number=number, _anchor=f"question-{question['id']}")
        for number, step in enumerate(steps, start=1) for question in step["questions"]
    }


@bp.post("/restart")
def restart() -> ResponseReturnValue:
    """Empty answers and a new link; the old link keeps working for whoever has it."""
    clear_draft()
    saved.forget_link()
    return redirect(url_for("web.step", number=1))


@bp.get("/a/<assessment_id>")
def resume(assessment_id: str) -> ResponseReturnValue:
    """The private link: pick up the stored answers, then the advice or the first open step."""
    try:
        draft, status = saved.resume(assessment_id)
    except storage.AssessmentNotFound:
        abort(404)
    replace_draft(draft)
    invalid = answer_rules.clean_steps(_steps(), draft)[1]
    if status == "complete" and invalid is None:
        return redirect(url_for("web.advice"))
    return redirect(url_for("web.step", number=invalid or 1))


@bp.post("/erase")
def erase() -> ResponseReturnValue:
    """Erase the stored answers for good and empty the session (the right to erasure)."""
    saved.erase()
    clear_draft()
    flash(_("Your answers have been deleted. The private link no longer works."))
    return redirect(url_for("web.start"))


def advice_view(result: Advice, lang: str) -> dict[str, Any]:
    """What the advice page shows: the engine's advice with the forms' names and descriptions."""
    forms = forms_by_id(lang)
    top_share = max((entry.share for entry in result.ranking), default=0) or 1
    ranking = [
        {"id": entry.form, "name": forms[entry.form]["name"], "score": entry.score,
         "share": entry.share, "percent": round(entry.share * 100),
         "bar": round(entry.share / top_share * 100, 1), "recommended": entry.form == result.recommended}
        for entry in result.ranking
    ]
    grouped = []
    for entry in result.ranking:
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
    }
