"""Examples for the spec, by schema name: request bodies as a platform would send them, and
responses computed by this app's own engine on the loaded rules (so an example advice is a real
advice, in English, and changes when the rules do). Stored records (assessments, collaborations)
are built around that advice; their ids and times are illustrative.

They are made when the spec is first served (``attach``), not while the app starts: computing
an advice calls every plugin's hooks, which starting the app should not do (a failing plugin in
strict mode would stop it). Should the engine refuse, the spec is served without them.
"""

from __future__ import annotations

from typing import Any

import threading

from apispec import APISpec
from flask import Flask

from ..engine import AnswersError, Engine, PluginFailed
from ..wire import advice_to_wire

ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
           "domains": ["care", "welfare"], "partners": 3, "budget": "none"}
BASE = "https://wijzer.gemeente.example/api/v1"
WHEN = "2026-11-30T09:12:44+00:00"
ASSESSMENT_ID = "kQ3v7Xc0bW1sZp9mR2tL8yNf4hJd6GaE"
COLLABORATION_ID = "Tz8pW2nL5qR0vX7cK3mB9sYd1fHg4JaU"
TOKEN = "Nc4rE8tY2uI6oP0aS5dF9gH3jK7lZ1xC"
RESPONSE_ID = "Vb6nM1qW5eR9tY3uI7oP2aS8dF4gH0jK"

def example_answers(engine: Engine) -> dict[str, Any]:
    """`ANSWERS` when the loaded questionnaire takes them, else a first valid answer to every
    required question (other rule packs ask other questions)."""
    try:
        engine.validate_answers(ANSWERS)
        return dict(ANSWERS)
    except AnswersError:
        pass
    answers: dict[str, Any] = {}
    for question in engine.ordered_questions:
        if not question.required:
            continue
        options = list(question.option_ids())
        if question.kind == "choice":
            answers[question.id] = options[0]
        elif question.kind == "multi":
            answers[question.id] = options[:1]
        else:
            answers[question.id] = question.min if question.min is not None else 1
    return answers


def build(app: Flask, engine: Engine) -> dict[str, Any]:
    """Every example, by schema name."""
    answers = example_answers(engine)
    advice = advice_to_wire(engine.advise(answers, "en"))
    first, *rest = answers
    requests = {
        "AdviceRequest": {"lang": "en", "answers": answers},
        "AssessmentCreate": {"answers": {first: answers[first]}, "label": "Wijkaanpak Noord", "lang": "nl"},
        "AssessmentPatch": {"answers": {name: answers[name] for name in rest}},
        "CollaborationCreate": {"name": "Wijkaanpak Noord", "lang": "nl"},
        "CollaborationPatch": {"name": "Wijkaanpak Noord-Oost"},
        "ResponseCreate": {"label": "Wijkteam", "answers": answers, "lang": "nl"},
        "ResponsePatch": {"answers": {first: answers[first]}},
        "RoundClose": {"note": "Jaarlijkse evaluatie 2027"},
    }
    completeness = {"answered": len(answers), "total": len(engine.questions), "required_missing": []}
    ruleset = advice["ruleset"]
    assessment = {
        "id": ASSESSMENT_ID, "url": f"{BASE}/assessments/{ASSESSMENT_ID}", "label": "Wijkaanpak Noord",
        "status": "complete", "lang": "en", "answers": answers, "advice": advice, "completeness": completeness,
        "ruleset": ruleset, "created_at": WHEN, "updated_at": WHEN, "expires_at": "2027-11-30T09:12:44+00:00",
        "version": 1,
    }
    respondent = {
        "id": RESPONSE_ID, "url": f"{BASE}/invitations/{TOKEN}/responses/{RESPONSE_ID}", "label": "Wijkteam",
        "round": 1, "status": "complete", "lang": "en", "answers": answers, "completeness": completeness,
        "advice": advice, "created_at": WHEN, "updated_at": WHEN, "version": 1,
    }
    round_entry = {"round": 1, "note": "Jaarlijkse evaluatie 2027", "started_at": WHEN, "closed_at": WHEN,
                   "recommended": advice["recommended"], "current_form": None,
                   "respondents": [{"label": "Wijkteam", "recommended": advice["recommended"]}], "answers": answers}
    problem = {"type": "/api/v1/problems/invalid-params", "title": "Invalid input", "status": 422,
               "detail": "Some answers do not fit the questionnaire: see errors.", "instance": "/api/v1/advice",
               "errors": {"answers.horizon": ["unknown option 'forever' (known: months, years, permanent)"]},
               "invalidParams": [{"name": "/answers/horizon",
                                  "reason": "unknown option 'forever' (known: months, years, permanent)"}]}
    from ..plugins import describe
    from .views import forms_data, questionnaire_data

    with app.app_context():
        questionnaire, forms = questionnaire_data("en"), forms_data("en")
        plugins = {"plugins": describe(app.extensions["advisor"].plugins), "ruleset": ruleset}
    invitation = {"token": TOKEN, "url": f"{BASE.removesuffix('/api/v1')}/join/{TOKEN}",
                  "api_url": f"{BASE}/invitations/{TOKEN}/responses"}
    collaboration = {
        "id": COLLABORATION_ID, "url": f"{BASE}/collaborations/{COLLABORATION_ID}",
        "page_url": f"{BASE.removesuffix('/api/v1')}/c/{COLLABORATION_ID}", "name": "Wijkaanpak Noord",
        "lang": "en", "round": 1, "invitation": invitation, "respondents": [respondent], "counted": 1,
        "questions": [], "advice_per_respondent": [{"respondent": RESPONSE_ID, "label": "Wijkteam", "advice": advice}],
        "combined": {"answers": answers, "advice": advice, "divergent": [], "ties": []},
        "findings": [], "risks_some_see": [], "created_at": WHEN, "updated_at": WHEN, "version": 1,
        "expires_at": "2027-11-30T09:12:44+00:00",
    }
    unchanged = {"form_changed": False, "recommended_before": advice["recommended"],
                 "recommended_after": advice["recommended"], "risks_added": [], "risks_removed": [],
                 "packs_added": [], "packs_removed": [], "packs_updated": []}
    replay = {"id": ASSESSMENT_ID, "lang": "en", "ruleset_changed": False, "stored_ruleset": ruleset,
              "current_ruleset": ruleset, "stored_advice": advice, "advice": advice, "answer_errors": {},
              "changes": unchanged}
    return {
        **requests,
        "Questionnaire": questionnaire,
        "Forms": forms,
        "Plugins": plugins,
        "Collaboration": collaboration,
        "Replay": replay,
        "Advice": advice,
        "Problem": problem,
        "Health": {"status": "ok", "plugins": 1, "ruleset": ruleset["fingerprint"],
                   "checks": {"engine": "ok", "database": "ok"}},
        # Without a failed item: OpenAPI 3.0 validators refuse null for a nullable reference
        # (the spec's examples are linted), though clients get "advice": null for one.
        "BatchResponse": {"lang": "en", "ruleset": ruleset, "succeeded": 1, "failed": 0, "results": [
            {"ref": "dossier-2026-0142", "status": 200, "advice": advice}]},
        "BatchResult": {"ref": "dossier-2026-0142", "line": 1, "status": 200, "advice": advice},
        "Assessment": assessment,
        "Respondent": respondent,
        "InvitationView": {"name": "Wijkaanpak Noord", "round": 1, "lang": "en", "labels": ["Wijkteam"]},
        "RoundClosed": {"closed": round_entry, "round": 2},
        "History": {"id": COLLABORATION_ID, "rounds": [round_entry], "drift": []},
    }


def attach(spec: APISpec, app: Flask, engine: Engine) -> None:
    """Add the examples to `spec` the first time it is turned into a document."""
    from .spec_polish import add_examples

    to_dict = spec.to_dict
    lock = threading.Lock()
    done = False

    def to_dict_with_examples() -> dict[str, Any]:
        nonlocal done
        with lock:
            if not done:
                done = True
                try:
                    add_examples(spec, build(app, engine))
                except (AnswersError, PluginFailed):
                    app.logger.warning("the spec is served without examples: the engine refused the example answers",
                                       exc_info=True)
        return to_dict()

    spec.to_dict = to_dict_with_examples  # type: ignore[method-assign]
