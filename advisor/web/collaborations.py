"""The collaboration pages: a coordinator's overview and the partners' invitation flow.

Thin views over ``advisor.storage.collaborations`` (the same calls the JSON API makes) and the
web helper's building blocks: questions are rendered with ``_question.html`` and checked with
``advisor.web.answers``; a full advice (combined or per respondent) is the ordinary advice page.
The coordinator's page lives at ``/c/<id>``; partners answer at ``/join/<token>`` under their own
label, and every step is stored at once as their response (a draft until complete).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..api.views import forms_by_id, questionnaire_data
from ..engine import AnswersError
from ..extension import get_advisor
from ..model import Advice
from ..storage import collaborations as store
from ..storage.service import LABEL_MAX, LabelError
from ..whatif import alternatives as what_would_change
from . import answers as answer_rules
from .i18n import current_lang
from .saved import to_draft
from .views import advice_view

bp = Blueprint("collaboration_pages", __name__)

SESSION_KEY = "collaboration_responses"
"""Invitation token to the id of the response this browser is filling in."""

TIMELINE_STEP = 110
"""Width in SVG units per round in the drift timeline."""
TIMELINE_LABELS = 260
"""Width in SVG units of the form names left of the timeline."""
TIMELINE_MIN_WIDTH = 640


def _steps() -> list[dict[str, Any]]:
    return questionnaire_data(current_lang())["steps"]


def _collaboration(collaboration_id: str) -> store.Collaboration:
    try:
        return store.get_collaboration(collaboration_id)
    except store.CollaborationNotFound:
        abort(404)


def _invited(token: str) -> store.Collaboration:
    try:
        return store.by_invitation(token)
    except store.CollaborationNotFound:
        abort(404)


def _name_error(value: str) -> str | None:
    if not value.strip(" "):
        return _("Fill in a name.")
    if len(value) > LABEL_MAX:
        return _("Use at most %(count)s characters.", count=LABEL_MAX)
    return None


# --- The coordinator -------------------------------------------------------------------------


@bp.route("/c/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Start a collaboration: a name, then the page with the invitation to send."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.form.get("name", "")
        error = _name_error(name)
        if error is None:
            try:
                collaboration = store.create_collaboration(name, lang=current_lang())
            except LabelError:
                error = _("Use plain text without special control characters.")
            else:
                return redirect(url_for("collaboration_pages.collaboration", collaboration_id=collaboration.id))
    return render_template("collaboration_new.html", name=name, error=error), 422 if error else 200


@bp.get("/c/<collaboration_id>")
def collaboration(collaboration_id: str) -> ResponseReturnValue:
    collaboration = _collaboration(collaboration_id)
    lang = current_lang()
    seen = store.overview(collaboration, lang)
    entries, drift = store.history(collaboration, lang=lang, seen=seen)
    forms = forms_by_id(lang)
    combined = None
    if seen.combined_advice is not None and seen.combination is not None:
        combined = {
            "advice": seen.combined_advice, "form": forms[seen.combined_advice.recommended],
            "alternatives": what_would_change(get_advisor().engine, seen.combination.answers,
                                              seen.combined_advice.recommended, lang),
        }
    advice_by_id = {r.id: a for r, a in seen.advices}
    return render_template(
        "collaboration.html", collaboration=collaboration, seen=seen, combined=combined, forms=forms,
        respondents=[{"respondent": r, "advice": advice_by_id.get(r.id)} for r in seen.respondents],
        labels=[r.label for r, _advice in seen.advices],
        invitation_url=url_for("collaboration_pages.join", token=collaboration.invitation_token, _external=True),
        page_url=url_for("collaboration_pages.collaboration", collaboration_id=collaboration.id, _external=True),
        timeline=timeline(entries, forms), drift=drift,
        retention_days=current_app.config.get("RETENTION_DAYS") or 0,
    )


def timeline(entries: list[store.HistoryEntry], forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The form per round as points on an SVG grid: x per round, y per form (heavy at the top)."""
    ordered = sorted(forms.values(), key=lambda f: f["order"])
    rows = {form["id"]: index for index, form in enumerate(reversed(ordered))}
    points = []
    for index, entry in enumerate(entries):
        form = forms.get(entry.recommended or "")
        points.append({
            "entry": entry, "form": form, "x": TIMELINE_LABELS + 20 + index * TIMELINE_STEP,
            "y": 20 + rows[entry.recommended] * 40 if form else None,
        })
    drawn = [p for p in points if p["y"] is not None]
    return {
        "points": points, "path": " ".join(f"{p['x']},{p['y']}" for p in drawn),
        "rows": [{"name": form["name"], "y": 20 + rows[form["id"]] * 40} for form in ordered],
        "label_width": TIMELINE_LABELS,
        "width": max(TIMELINE_MIN_WIDTH, TIMELINE_LABELS + 20 + len(entries) * TIMELINE_STEP),
        "height": 30 + len(ordered) * 40,
    }


@bp.get("/c/<collaboration_id>/advice")
def combined_advice(collaboration_id: str) -> ResponseReturnValue:
    """The full advice for the combined answers: the ordinary advice page."""
    collaboration = _collaboration(collaboration_id)
    lang = current_lang()
    seen = store.overview(collaboration, lang)
    if seen.combined_advice is None or seen.combination is None:
        abort(404)
    return _advice_page(collaboration, seen.combined_advice, seen.combination.answers, lang,
                        _("Combined advice for %(name)s", name=collaboration.name))


@bp.get("/c/<collaboration_id>/responses/<respondent_id>/advice")
def respondent_advice(collaboration_id: str, respondent_id: str) -> ResponseReturnValue:
    collaboration = _collaboration(collaboration_id)
    try:
        respondent = store.get_response(collaboration, respondent_id)
    except store.RespondentNotFound:
        abort(404)
    lang = current_lang()
    result = store.respondent_advice(respondent, lang)
    if result is None:
        abort(404)   # a draft, or stored answers the current rules no longer accept
    return _advice_page(collaboration, result, respondent.answers, lang,
                        _("Advice from the answers of %(label)s", label=respondent.label))


def _advice_page(collaboration: store.Collaboration, result: Advice, answers: dict[str, Any], lang: str,
                 heading: str) -> str:
    return render_template(
        "collaboration_advice.html", **advice_view(result, lang), heading=heading, collaboration=collaboration,
        alternatives=what_would_change(get_advisor().engine, answers, result.recommended, lang),
    )


@bp.post("/c/<collaboration_id>/rounds")
def close_round(collaboration_id: str) -> ResponseReturnValue:
    note = request.form.get("note", "")[:LABEL_MAX]
    try:
        store.close_round(collaboration_id, note=note or None)
    except store.CollaborationNotFound:
        abort(404)
    except store.NothingToClose:
        flash(_("A round can only be closed once at least one partner has answered every required question."))
    except LabelError:
        flash(_("Use plain text without special control characters."))
    else:
        flash(_("The round is closed and kept in the history. Partners can answer again with the same invitation."))
    return redirect(url_for("collaboration_pages.collaboration", collaboration_id=collaboration_id))


@bp.post("/c/<collaboration_id>/responses/<respondent_id>/erase")
def erase_response(collaboration_id: str, respondent_id: str) -> ResponseReturnValue:
    collaboration = _collaboration(collaboration_id)
    try:
        store.delete_response(collaboration, respondent_id)
    except store.RespondentNotFound:
        abort(404)
    flash(_("The answers of this partner have been deleted."))
    return redirect(url_for("collaboration_pages.collaboration", collaboration_id=collaboration_id))


@bp.post("/c/<collaboration_id>/erase")
def erase(collaboration_id: str) -> ResponseReturnValue:
    try:
        store.delete_collaboration(collaboration_id)
    except store.CollaborationNotFound:
        abort(404)
    flash(_("The collaboration and all answers have been deleted. Its links no longer work."))
    return redirect(url_for("web.start"))


# --- Partners with the invitation ------------------------------------------------------------


def _own_response(collaboration: store.Collaboration, token: str) -> store.Respondent | None:
    respondent_id = (session.get(SESSION_KEY) or {}).get(token)
    if not isinstance(respondent_id, str):
        return None
    try:
        respondent = store.get_response(collaboration, respondent_id)
    except store.RespondentNotFound:
        return None
    return respondent if respondent.round == collaboration.round else None


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> ResponseReturnValue:
    """The invitation: the partner names its role or organisation, then answers step by step."""
    collaboration = _invited(token)
    own = _own_response(collaboration, token)
    error, label = None, ""
    if request.method == "POST":
        label = request.form.get("label", "")
        error = _name_error(label)
        if error is None:
            try:
                respondent = store.add_response(collaboration, {}, label=label, lang=current_lang())
            except store.LabelTaken:
                error = _("Another partner already answered under this name in this round. Choose another name.")
            except LabelError:
                error = _("Use plain text without special control characters.")
            else:
                session[SESSION_KEY] = {**(session.get(SESSION_KEY) or {}), token: respondent.id}
                return redirect(url_for("collaboration_pages.join_step", token=token, number=1))
    return render_template("collaboration_join.html", collaboration=collaboration, own=own, label=label,
                           error=error, token=token), 422 if error else 200


@bp.route("/join/<token>/steps/<int:number>", methods=["GET", "POST"])
def join_step(token: str, number: int) -> ResponseReturnValue:
    collaboration = _invited(token)
    respondent = _own_response(collaboration, token)
    if respondent is None:
        return redirect(url_for("collaboration_pages.join", token=token))
    steps = _steps()
    if not 1 <= number <= len(steps):
        abort(404)
    questions = steps[number - 1]["questions"]
    draft = to_draft(respondent.answers)
    errors: dict[str, str] = {}
    if request.method == "POST":
        raw = answer_rules.read_step(request.form, questions)
        draft.update(raw)
        clean, errors = answer_rules.clean(questions, raw)
        patch = {q["id"]: clean.get(q["id"]) for q in questions if q["id"] not in errors}
        try:
            respondent = store.update_response(collaboration, respondent.id, answers=patch, lang=current_lang())
        except AnswersError:
            abort(422)
        except store.RoundClosed:   # the coordinator closed the round meanwhile: answer the new one
            return redirect(url_for("collaboration_pages.join", token=token))
        nav = request.form.get("nav", "next")
        if nav == "back":
            return redirect(url_for("collaboration_pages.join_step", token=token, number=number - 1)
                            if number > 1 else url_for("collaboration_pages.join", token=token))
        if not errors:
            if number < len(steps):
                return redirect(url_for("collaboration_pages.join_step", token=token, number=number + 1))
            invalid = answer_rules.clean_steps(steps, to_draft(respondent.answers))[1]
            if invalid is not None:
                return redirect(url_for("collaboration_pages.join_step", token=token, number=invalid, check=1))
            return redirect(url_for("collaboration_pages.join_done", token=token))
    elif request.args.get("check"):
        errors = answer_rules.clean(questions, draft)[1]
    summary = answer_rules.error_summary(questions, errors)
    return render_template(
        "collaboration_step.html", collaboration=collaboration, respondent=respondent, token=token, steps=steps,
        number=number, step=steps[number - 1], draft=draft, errors=errors, error_summary=summary,
        is_last=number == len(steps),
    ), 422 if errors and request.method == "POST" else 200


@bp.get("/join/<token>/done")
def join_done(token: str) -> ResponseReturnValue:
    collaboration = _invited(token)
    respondent = _own_response(collaboration, token)
    if respondent is None:
        return redirect(url_for("collaboration_pages.join", token=token))
    result = store.respondent_advice(respondent, current_lang())
    forms = forms_by_id(current_lang())
    return render_template("collaboration_done.html", collaboration=collaboration, respondent=respondent,
                           advice=result, form=forms[result.recommended] if result else None, token=token)


@bp.post("/join/<token>/erase")
def join_erase(token: str) -> ResponseReturnValue:
    """A partner erases its own answers."""
    collaboration = _invited(token)
    respondent = _own_response(collaboration, token)
    if respondent is not None:
        store.delete_response(collaboration, respondent.id)
    session[SESSION_KEY] = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k != token}
    flash(_("Your answers have been deleted."))
    return redirect(url_for("collaboration_pages.join", token=token))
