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
from flask_babel import ngettext

from ..api.views import forms_by_id, questionnaire_data
from ..combine import Combination
from ..engine import AnswersError
from ..extension import get_advisor
from ..model import Advice
from ..storage import collaborations as store
from ..storage.service import LABEL_MAX, LabelError
from ..whatif import what_would_change
from . import answers as answer_rules
from .advice_page import advice_view, alternatives_by_form, contested_view, preferred_order
from .gone import remember_erased, render_gone
from .i18n import current_lang
from .saved import to_draft
from .views import goto_step

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


class LinkGone(Exception):
    """A collaboration or invitation link that opens nothing (any more): rendered as gone.html."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(kind)
        self.kind, self.key = kind, key


@bp.errorhandler(LinkGone)
def link_gone(error: LinkGone) -> ResponseReturnValue:
    return render_gone(error.kind, error.key)


def _collaboration(collaboration_id: str) -> store.Collaboration:
    try:
        return store.get_collaboration(collaboration_id)
    except store.CollaborationNotFound:
        raise LinkGone("collaboration", collaboration_id) from None


def _invited(token: str) -> store.Collaboration:
    try:
        return store.by_invitation(token)
    except store.CollaborationNotFound:
        raise LinkGone("invitation", token) from None


def _alternatives(answers: dict[str, Any], recommended: str, lang: str) -> dict[str, Any]:
    """What would change the advice, grouped per form, and whether its time budget cut it short."""
    found = what_would_change(get_advisor().engine, answers, recommended, lang, prefer=preferred_order)
    return {"alternative_groups": alternatives_by_form(found.alternatives, forms_by_id(lang)),
            "alternatives_partial": found.partial}


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
            **_alternatives(seen.combination.answers, seen.combined_advice.recommended, lang),
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
                        _("Combined advice for %(name)s", name=collaboration.name), combination=seen.combination)


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
                 heading: str, combination: Combination | None = None) -> str:
    view = advice_view(result, lang, steps=_steps(), answers=answers)
    return render_template(
        "collaboration_advice.html", **view, heading=heading, collaboration=collaboration,
        **_alternatives(answers, result.recommended, lang),
        contested=contested_view(combination) if combination else {}, report_name=collaboration.name,
        combined=combination is not None,
    )


@bp.route("/c/<collaboration_id>/rounds", methods=["GET", "POST"])
def close_round(collaboration_id: str) -> ResponseReturnValue:
    """Close the open round, after a confirmation that says what changes and what is kept."""
    note = request.values.get("note", "")[:LABEL_MAX]
    if request.method == "GET" or request.form.get("confirm") != "yes":
        collaboration = _collaboration(collaboration_id)
        count = len(store.current_respondents(collaboration))
        page = url_for("collaboration_pages.collaboration", collaboration_id=collaboration_id)
        return render_template(
            "confirm.html", title=_("Close round %(round)s?", round=collaboration.round),
            lead=_("Close the round when you want to keep this picture, for example at a yearly review."),
            gone=[ngettext("The %(num)s partner who answered can no longer change those answers.",
                           "The %(num)s partners who answered can no longer change those answers.", count),
                  _("Round %(next)s starts empty: partners answer again with the same invitation link.",
                    next=collaboration.round + 1)],
            kept=[_(
                "The round's answers side by side, its findings and its combined advice stay visible in the history.")],
            action=url_for("collaboration_pages.close_round", collaboration_id=collaboration_id),
            button=_("Yes, close round %(round)s", round=collaboration.round), button_class="primary",
            cancel=page, hidden={"note": note} if note else {},
        )
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


@bp.get("/c/<collaboration_id>/rounds/<int:number>")
def closed_round(collaboration_id: str, number: int) -> ResponseReturnValue:
    """A closed round as it is kept: its advice then, the answers side by side and the findings."""
    collaboration = _collaboration(collaboration_id)
    kept = next((r for r in collaboration.rounds if r.number == number), None)
    if kept is None:
        abort(404)
    lang = current_lang()
    seen = store.overview(collaboration, lang, round_number=number)
    return render_template(
        "collaboration_round.html", collaboration=collaboration, entry=store.history_entry(kept), seen=seen,
        forms=forms_by_id(lang), labels=[r.label for r, _advice in seen.advices],
    )


@bp.route("/c/<collaboration_id>/responses/<respondent_id>/erase", methods=["GET", "POST"])
def erase_response(collaboration_id: str, respondent_id: str) -> ResponseReturnValue:
    """The coordinator removes a partner's answers, after a confirmation."""
    collaboration = _collaboration(collaboration_id)
    page = url_for("collaboration_pages.collaboration", collaboration_id=collaboration_id)
    try:
        respondent = store.get_response(collaboration, respondent_id)
    except store.RespondentNotFound:
        abort(404)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template(
            "confirm.html", title=_("Delete the answers of %(label)s?", label=respondent.label),
            lead=_("This cannot be undone."),
            gone=[ngettext("the %(num)s answer of %(label)s", "the %(num)s answers of %(label)s",
                           len(respondent.answers), label=respondent.label),
                  _("its place in the combined advice and in the answers side by side"),
                  _("its private link: %(label)s can no longer change these answers", label=respondent.label)],
            kept=[_("The answers of the other partners, and the rounds already closed.")],
            action=url_for("collaboration_pages.erase_response", collaboration_id=collaboration_id,
                           respondent_id=respondent_id),
            button=_("Yes, delete the answers of %(label)s", label=respondent.label), cancel=page,
        )
    store.delete_response(collaboration, respondent_id)
    flash(_("The answers of %(label)s have been deleted.", label=respondent.label))
    return redirect(page)


@bp.route("/c/<collaboration_id>/erase", methods=["GET", "POST"])
def erase(collaboration_id: str) -> ResponseReturnValue:
    """Erase the collaboration with everything in it, after a confirmation."""
    collaboration = _collaboration(collaboration_id)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        answered = len(collaboration.respondents)
        return render_template(
            "confirm.html", title=_("Delete “%(name)s” and all answers?", name=collaboration.name),
            lead=_("This cannot be undone."),
            gone=[ngettext("the answers of %(num)s partner, in every round",
                           "the answers of %(num)s partners, in every round", answered),
                  *([ngettext("the history of %(num)s closed round", "the history of %(num)s closed rounds",
                              len(collaboration.rounds))] if collaboration.rounds else []),
                  _("the invitation link and the private link to this page: they stop working")],
            kept=[], action=url_for("collaboration_pages.erase", collaboration_id=collaboration_id),
            button=_("Yes, delete everything"),
            cancel=url_for("collaboration_pages.collaboration", collaboration_id=collaboration_id),
        )
    try:
        store.delete_collaboration(collaboration_id)
    except store.CollaborationNotFound:
        raise LinkGone("collaboration", collaboration_id) from None
    remember_erased(collaboration_id)
    remember_erased(collaboration.invitation_token)
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
                error = _("Another partner already answered under this name in this round. If that was you, open the private link you got after your answers to change them. Otherwise choose another name.")
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
        here = url_for("collaboration_pages.join_step", token=token, number=number)
        if nav.startswith("lang:"):   # switching language keeps what was entered on this step
            return redirect(url_for("web.switch_language", code=nav[5:], next=here))
        if nav == "back":
            return redirect(url_for("collaboration_pages.join_step", token=token, number=number - 1)
                            if number > 1 else url_for("collaboration_pages.join", token=token))
        target = goto_step(nav, len(steps))
        if target is not None:
            return redirect(url_for("collaboration_pages.join_step", token=token, number=target))
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
                           advice=result, form=forms[result.recommended] if result else None, token=token,
                           resume_url=_resume_url(respondent),
                           retention_days=current_app.config.get("RETENTION_DAYS") or 0)


def _resume_url(respondent: store.Respondent) -> str:
    return url_for("collaboration_pages.resume", resume_token=store.resume_token(respondent), _external=True)


@bp.get("/r/<resume_token>")
def resume(resume_token: str) -> ResponseReturnValue:
    """A partner's private link: back to its own answers in any browser, until the round closes."""
    try:
        respondent = store.by_resume_token(resume_token)
    except store.RespondentNotFound:
        return render_gone("partner", resume_token)
    collaboration = respondent.collaboration
    token = collaboration.invitation_token
    if respondent.round != collaboration.round:
        return render_template("collaboration_round_closed.html", collaboration=collaboration,
                               respondent=respondent, token=token)
    session[SESSION_KEY] = {**(session.get(SESSION_KEY) or {}), token: respondent.id}
    invalid = answer_rules.clean_steps(_steps(), to_draft(respondent.answers))[1]
    if invalid is None:
        return redirect(url_for("collaboration_pages.join_done", token=token))
    return redirect(url_for("collaboration_pages.join_step", token=token, number=invalid))


@bp.route("/join/<token>/erase", methods=["GET", "POST"])
def join_erase(token: str) -> ResponseReturnValue:
    """A partner erases its own answers, after a confirmation."""
    collaboration = _invited(token)
    respondent = _own_response(collaboration, token)
    if respondent is None:
        return redirect(url_for("collaboration_pages.join", token=token))
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template(
            "confirm.html", title=_("Delete your answers?"), lead=_("This cannot be undone."),
            gone=[ngettext("your %(num)s answer as %(label)s", "your %(num)s answers as %(label)s",
                           len(respondent.answers), label=respondent.label),
                  _("your place in the combined advice of %(name)s", name=collaboration.name),
                  _("your private link to these answers")],
            kept=[_("The answers of the other partners.")],
            action=url_for("collaboration_pages.join_erase", token=token),
            button=_("Yes, delete my answers"), cancel=url_for("collaboration_pages.join_done", token=token),
        )
    store.delete_response(collaboration, respondent.id)
    remember_erased(respondent.resume_token)
    session[SESSION_KEY] = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k != token}
    flash(_("Your answers have been deleted."))
    return redirect(url_for("collaboration_pages.join", token=token))
