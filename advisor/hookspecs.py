"""The plugin contract: every hook a rule plugin can implement.

This module is the whole of what a plugin author codes against. Each hook collects a list from
every plugin that implements it (none is ``firstresult``: every plugin's contribution counts).
A plugin implements only the hooks it needs and, per hook, declares only the arguments it uses::

    from advisor import hookimpl
    from advisor.model import Contribution

    @hookimpl
    def score_forms(answers):
        if answers.get("partners", 0) > 40:
            return [Contribution(rule="many-partners", contributions={"program": 2},
                                 because={"nl": "...", "en": "..."}, source="...")]
        return []

Declarative TOML rule packs implement these same hooks through ``advisor.rulepack``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pluggy

from .model import (
    Answers,
    Contribution,
    Form,
    Question,
    RankedForm,
    RiskDefinition,
    RiskFinding,
    Step,
    SuccessCondition,
)

PROJECT_NAME = "advisor"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_steps() -> list[Step]:
    """Add steps (groups of questions shown as one page) to the questionnaire.

    Called once at start-up. Returns a list of :class:`~advisor.model.Step`.
    Example: ``return [Step(id="youth", title={"nl": "Jeugd", "en": "Youth"}, order=50)]``
    """


@hookspec
def register_questions() -> list[Question]:
    """Add questions to the questionnaire.

    Called once at start-up. Returns a list of :class:`~advisor.model.Question`. Ids of plugin
    questions are namespaced (``youth.safety_plan``); the core questions are a public API and
    cannot be redefined.
    Example: ``return [Question(id="youth.safety_plan", kind="choice", text={...}, options=(...))]``
    """


@hookspec
def register_forms() -> list[Form]:
    """Add collaboration forms the engine can recommend.

    Called once at start-up. Returns a list of :class:`~advisor.model.Form`; ``order`` places a
    form on the scale from light (low) to heavy (high), which the lightest-form tie-break uses.
    Example: ``return [Form(id="informal", order=1, name={"nl": "Informeel", "en": "Informal"})]``
    """


@hookspec
def register_risks() -> list[RiskDefinition]:
    """Declare the risks this plugin can raise, so ids are checked and listed at start-up.

    Called once at start-up. Returns a list of :class:`~advisor.model.RiskDefinition`.
    Example: ``return [RiskDefinition(id="youth.no_safety_plan", severity="warning", title={...})]``
    """


@hookspec
def score_forms(answers: Answers, questions: Mapping[str, Question]) -> list[Contribution]:
    """Give points to forms for these answers: the heart of the advice.

    Called once per advice. ``answers`` maps question ids to validated answers (skipped questions
    are absent); ``questions`` maps every loaded question id to its definition. Returns a list of
    :class:`~advisor.model.Contribution`, one per rule that fired (an empty list when none did).
    Example: ``return [Contribution(rule="long-horizon", contributions={"program": 2}, because={...})]``
    """


@hookspec
def assess_risks(
    answers: Answers,
    recommended: str,
    ranking: Sequence[RankedForm],
    questions: Mapping[str, Question],
) -> list[RiskFinding]:
    """Raise risks for these answers and the advice the engine is about to give.

    Called once per advice, after the forms are ranked. ``recommended`` is the form id the engine
    recommends; ``ranking`` lists every form, best first. Returns a list of
    :class:`~advisor.model.RiskFinding` for risks this plugin declared with ``register_risks``.
    Example: ``return [RiskFinding(id="youth.no_safety_plan", severity="warning", ...)]``
    """


@hookspec
def success_conditions(recommended: str, answers: Answers) -> list[SuccessCondition]:
    """Name what the recommended form needs to succeed (backing from the top, a review moment).

    Called once per advice. Returns a list of :class:`~advisor.model.SuccessCondition`.
    Example: ``return [SuccessCondition(id="end-date", text={"nl": "...", "en": "..."})]`` when
    ``recommended == "project"``.
    """


@hookspec
def validate_rules(
    questions: Mapping[str, Question],
    forms: Mapping[str, Form],
    risks: Mapping[str, RiskDefinition],
) -> list[str]:
    """Check this plugin's rules against everything loaded; a problem stops start-up.

    Called once at start-up, after every plugin registered its questions, forms and risks.
    Returns a list of messages, each naming the file or plugin, the rule and the field (an empty
    list when all is well).
    Example: ``return ["mypack: rule 'x': when.horizon: unknown option 'forever'"]``
    """
