"""The /api/v1 routes: thin faces over the engine, schemas in and out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, current_app, request
from flask_smorest import abort

from ..engine import AnswersError, PluginFailed
from ..extension import get_advisor
from ..model import Advice, localize
from ..plugins import describe
from ..reasons import N_
from ..whatif import with_alternatives as add_alternatives
from ..wire import advice_to_wire
from . import schemas
from .adr import set_content_language
from .blueprint import Blueprint
from .fastload import advice_request_loader
from .problems import problem
from .problem_docs import BAD_BODY, UNKNOWN_LANGUAGE


blp = Blueprint(
    "api_v1", __name__, url_prefix="/api/v1",
    description="Questionnaire, forms and advice for other platforms.",
)

JSON_MIMETYPES = ("application/json",)
IF_MATCH = {
    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
    "description": "The rule-set fingerprint (quoted, as an entity tag) the platform expects; "
    "412 when the current rule set differs. Same as `ruleset` in the body.",
}
ACCEPT_LANGUAGE = {
    "in": "header", "name": "Accept-Language", "required": False, "schema": {"type": "string"},
    "description": "Used when no `lang` is given; Dutch when it names neither nl nor en.",
}

# Schema instances, not classes: webargs would build a new schema from a class on every request.
LANG_QUERY = schemas.LangQuerySchema()
ADVICE_REQUEST = schemas.AdviceRequestSchema()
ADVICE_REQUEST_LOAD = advice_request_loader(ADVICE_REQUEST)  # lean request path (fastload.py)


@blp.before_request
def require_json_body():
    """A body that is not JSON gets 415, not a confusing 'field missing'."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.method in ("POST", "PUT", "PATCH"):
        mimetype = req.mimetype or ""
        if mimetype not in JSON_MIMETYPES and not mimetype.endswith("+json"):
            abort(415, message="Send the body as application/json.")


def pick_lang(explicit: str | None = None) -> str:
    """The asked language: the body or ?lang=, then Accept-Language, then the default."""
    if explicit in current_app.config["LANGUAGES"]:
        lang = explicit
    else:
        lang = asked_lang() or current_app.config["DEFAULT_LANG"]
    set_content_language(lang)   # the texts sent are in it
    return lang


def asked_lang() -> str | None:
    """The language the request asks for (``?lang=`` or Accept-Language), None when it asks none."""
    asked = (request.args.get("lang") or "").lower()
    languages = current_app.config["LANGUAGES"]
    if asked in languages:
        return asked
    return request.accept_languages.best_match(languages)


def check_ruleset(expected: str | None) -> None:
    """412 with the current fingerprint when the request expects another rule set (``ruleset``
    in the body, or If-Match with the fingerprint as an entity tag)."""
    current = get_advisor().engine.ruleset.fingerprint
    stale = expected is not None and expected != current
    if not stale and "HTTP_IF_MATCH" in request.environ:  # "If-Match" in request.headers
        stale = not (request.if_match.is_strong(current) or request.if_match.star_tag)
    if stale:
        abort(412, message="The rule set changed since the fingerprint you sent: this advice would "
              "come from other rules. Ask again without the precondition, or with currentRuleset.",
              currentRuleset=current, headers={"Advisor-Ruleset": current})


def ruleset_dict() -> dict[str, Any]:
    ruleset = get_advisor().engine.ruleset
    return {"fingerprint": ruleset.fingerprint,
            "packs": [{"id": p.id, "version": p.version} for p in ruleset.packs]}


def _once_per_language(name: str, lang: str, build: Callable[[str], Any]) -> Any:
    """``build(lang)``, built once per language and app: it depends only on the loaded plugins,
    which do not change while the app runs."""
    cache = get_advisor().cache
    key = (name, lang)
    if key not in cache:
        cache[key] = build(lang)
    return cache[key]


def questionnaire_data(lang: str) -> dict[str, Any]:
    """The questionnaire in one language: steps, questions, options and help texts."""
    return _once_per_language("questionnaire", lang, _build_questionnaire)


def _build_questionnaire(lang: str) -> dict[str, Any]:
    engine = get_advisor().engine
    steps = sorted(engine.steps.values(), key=lambda s: s.order)
    grouped: dict[str, list[dict[str, Any]]] = {step.id: [] for step in steps}
    loose = []
    for question in engine.ordered_questions:
        entry = {
            "id": question.id, "kind": question.kind, "text": localize(question.text, lang),
            "help": localize(question.help, lang), "required": question.required,
            "step": question.step,
            "options": [{"id": o.id, "label": localize(o.label, lang)} for o in question.options],
            "min": question.min, "max": question.max,
        }
        (grouped[question.step] if question.step in grouped else loose).append(entry)
    step_list = [
        {"id": s.id, "title": localize(s.title, lang), "intro": localize(s.intro, lang),
         "questions": grouped[s.id]}
        for s in steps if grouped[s.id]
    ]
    if loose and step_list:
        step_list[-1]["questions"].extend(loose)
    return {"lang": lang, "steps": step_list, "ruleset": ruleset_dict()}


def forms_data(lang: str) -> dict[str, Any]:
    """The forms in one language, from light to heavy."""
    return _once_per_language("forms", lang, _build_forms)


def forms_by_id(lang: str) -> dict[str, dict[str, Any]]:
    """The forms in one language, by id: what the pages look a recommended form up in."""
    return _once_per_language(
        "forms_by_id", lang, lambda lang: {form["id"]: form for form in forms_data(lang)["forms"]})


def _build_forms(lang: str) -> dict[str, Any]:
    engine = get_advisor().engine
    forms = sorted(engine.forms.values(), key=lambda f: f.order)
    return {"lang": lang, "forms": [
        {"id": f.id, "order": f.order, "name": localize(f.name, lang),
         "summary": localize(f.summary, lang), "description": localize(f.description, lang),
         "strengths": list(f.strengths.get(lang) or f.strengths.get("nl") or []),
         "weaknesses": list(f.weaknesses.get(lang) or f.weaknesses.get("nl") or [])}
        for f in forms
    ]}


def json_response(data: Any) -> Response:
    """`data`, already in its wire form, as the JSON response. flask-smorest passes a Response
    through untouched, so the route's schema documents the body without dumping it again."""
    return current_app.json.response(data)


def give_advice(answers: Any, lang: str, *, with_alternatives: bool = False,
                expected_ruleset: str | None = None) -> Advice:
    """Run the engine; answer its refusals as problem details. The rule-set precondition is
    checked once the answers are known to fit (a request that fails anyway gets that error)."""
    engine = get_advisor().engine
    with engine_problems():
        clean = engine.validate_answers(answers)
        check_ruleset(expected_ruleset)
        advice = engine.advise_valid(clean, lang)
        if with_alternatives:
            advice = add_alternatives(engine, advice, clean, lang)
        return advice


@contextmanager
def engine_problems() -> Iterator[None]:
    """The engine's refusals as problem details: answers that do not fit (422), a plugin that
    failed in strict mode (503). Every route that advises uses this one mapping."""
    try:
        yield
    except AnswersError as exc:
        abort(422, message="Some answers do not fit the questionnaire: see errors.", errors=exc.errors)
    except PluginFailed as exc:
        abort(503, message="A rule plugin failed and strict mode is on.", failed_plugins=[
            {"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in exc.failures])


@blp.route("/questionnaire", parameters=[ACCEPT_LANGUAGE])
@blp.arguments(LANG_QUERY, location="query", as_kwargs=True)
@blp.response(200, schemas.QuestionnaireSchema)
@blp.problems(UNKNOWN_LANGUAGE)
def questionnaire(lang: str | None = None):
    """The questionnaire: steps, questions, options and help texts in the asked language."""
    return questionnaire_data(pick_lang(lang))


@blp.route("/forms", parameters=[ACCEPT_LANGUAGE])
@blp.arguments(LANG_QUERY, location="query", as_kwargs=True)
@blp.response(200, schemas.FormsSchema)
@blp.problems(UNKNOWN_LANGUAGE)
def forms(lang: str | None = None):
    """The collaboration forms, from light to heavy, with strengths and weaknesses."""
    return forms_data(pick_lang(lang))


@blp.route("/advice", methods=["POST"], parameters=[ACCEPT_LANGUAGE, IF_MATCH])
@blp.json_body(ADVICE_REQUEST, load=ADVICE_REQUEST_LOAD)  # lean request path: blp.arguments' spec, one direct load
@blp.sends(200, schemas.AdviceSchema, headers={
    "Advisor-Ruleset": {"description": "Fingerprint of the rule set that produced the advice.",
                        "schema": {"type": "string"}},
})
@blp.problems(BAD_BODY, {412: "The rule set is not the one the request asked for (`ruleset` or `If-Match`).",
                         422: "Answers that do not fit, by field.", 503: "A plugin failed in strict mode."})
def advice(body: dict[str, Any]):
    """Advice for a set of answers: the form, the ranking, the reasons and the risks. Stateless."""
    result = give_advice(body["answers"], pick_lang(body.get("lang")), with_alternatives=body["alternatives"],
                         expected_ruleset=body.get("ruleset"))
    response = json_response(advice_to_wire(result))  # 200
    response.headers.add("Advisor-Ruleset", result.ruleset.fingerprint)
    return response


@blp.route("/plugins")
@blp.response(200, schemas.PluginsSchema)
def plugins():
    """The loaded plugins (built-in packs included) with version, kind and hooks."""
    return {"plugins": describe(get_advisor().plugins), "ruleset": ruleset_dict()}


@blp.route("/health")
@blp.response(200, schemas.HealthSchema)
@blp.alt_response(503, schema=schemas.DegradedHealthSchema, content_type="application/problem+json",
                  description="A dependency is down: problem details with the checks.")
def health():
    """Liveness and readiness for load balancers.

    200 with every check "ok"; otherwise 503 as problem details (`checks` says which is down)."""
    advisor = get_advisor()
    checks = {"engine": "ok"}
    for name, check in advisor.health_checks.items():
        checks[name] = check()
    fingerprint = advisor.engine.ruleset.fingerprint
    # "degraded: ..." serves (a broken plugin left out by PLUGIN_ERRORS = "skip"); anything else is down.
    down = sorted(name for name, value in checks.items() if value != "ok" and not value.startswith("degraded"))
    if down:
        return problem(503, detail=N_("Not ready: {down} down.").format(down=", ".join(down)), checks=checks,
                       plugins=len(advisor.plugins), ruleset=fingerprint)
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "degraded", "plugins": len(advisor.plugins), "ruleset": fingerprint,
            "checks": checks}


__all__ = ["blp", "pick_lang", "asked_lang", "check_ruleset", "questionnaire_data", "forms_data", "forms_by_id",
           "give_advice", "engine_problems", "json_response"]
