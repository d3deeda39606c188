"""Marshmallow schemas of the JSON API: they validate requests, dump responses and, through
flask-smorest, are the OpenAPI spec. One schema per thing a platform sends or receives."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..model import SEVERITY_ORDER, Advice
from ..reasons import N_
from ..wire import advice_to_wire
from .answers_spec import AnswersField
from .fastdump import compile_dump
from .request_schema import RequestSchema

LANGS = ("nl", "en")
MAX_ANSWERS = 500
"""More answers than any questionnaire has questions: a body over it is refused before parsing them."""
TOO_MANY_ANSWERS = N_("at most {max} answers")
ANSWER_VALUE_DOC = {
    "description": "An option id (choice), a list of option ids (multi) or a whole number (integer).",
    "oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}},
        {"type": "integer"},
    ],
}


class StrictBoolean(fields.Boolean):
    """JSON true or false only: marshmallow's Boolean also takes 0, 1, "yes" and "on", which the
    spec (type boolean) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class LangField(fields.String):
    """A language id, in any case (``EN`` is ``en``, as in Accept-Language); loads lower case."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"enum": list(LANGS), **kwargs.pop("metadata", {})}
        metadata["description"] = metadata.get("description", "The language: nl or en.") + " Case-insensitive."
        super().__init__(validate=validate.OneOf(LANGS), metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.lower() if text.isascii() else text


class LangQuerySchema(RequestSchema):
    lang = LangField(
        metadata={"description": "Language of the texts; defaults to Accept-Language, then Dutch."},
    )


class ReplayQuerySchema(LangQuerySchema):
    as_of = fields.Date(data_key="asOf", metadata={
        "description": "Replay with the rules in force on this date (YYYY-MM-DD): rules and risks may have "
                       "valid_from / valid_until. Default: today."})


class ResponseSchema(Schema):
    """A response schema whose dump of one object runs compiled (same result, a fraction of the
    cost); compiled on first use per instance, since options like ``only`` shape the fields."""

    _compiled: Any = None

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if many or self.many:
            return super().dump(obj, many=many)
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = compile_dump(self) or super().dump
        return compiled(obj)


class AdviceRequestSchema(RequestSchema):
    answers = AnswersField(complete=True, required=True,
                           validate=validate.Length(max=MAX_ANSWERS, error=TOO_MANY_ANSWERS))
    lang = LangField(metadata={"description": "Language of the texts; defaults to ?lang=, then Accept-Language, then Dutch."})
    alternatives = StrictBoolean(
        load_default=False,
        metadata={"description": "Also compute what would change the advice (a few ms more)."},
    )
    ruleset = fields.String(metadata={
        "description": "The rule-set fingerprint the platform stored its advice under; when the "
        "current rule set differs, the answer is 412 with `currentRuleset` instead of advice on "
        "other rules. Same as sending it in If-Match."})


# --- Questionnaire -----------------------------------------------------------------------------


class OptionSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)


class QuestionSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["choice", "multi", "integer"]))
    text = fields.String(required=True)
    help = fields.String(required=True)
    required = fields.Boolean(required=True)
    step = fields.String(allow_none=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    min = fields.Integer(allow_none=True)
    max = fields.Integer(allow_none=True)


class StepSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    intro = fields.String(required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


class PackRefSchema(Schema):
    id = fields.String(required=True)
    version = fields.String(required=True)


class RulesetSchema(Schema):
    fingerprint = fields.String(required=True, metadata={"description": "SHA-256 over every plugin's id, version and content."})
    packs = fields.List(fields.Nested(PackRefSchema), required=True)


class QuestionnaireSchema(ResponseSchema):
    lang = fields.String(required=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)
    ruleset = fields.Nested(RulesetSchema, required=True)


# --- Forms -------------------------------------------------------------------------------------


class FormSchema(Schema):
    id = fields.String(required=True)
    order = fields.Integer(required=True, metadata={"description": "1 is the lightest form."})
    name = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    strengths = fields.List(fields.String(), required=True)
    weaknesses = fields.List(fields.String(), required=True)


class FormsSchema(ResponseSchema):
    lang = fields.String(required=True)
    forms = fields.List(fields.Nested(FormSchema), required=True)


# --- Advice ------------------------------------------------------------------------------------


class RankedFormSchema(Schema):
    form = fields.String(required=True)
    score = fields.Float(required=True)
    share = fields.Float(required=True, metadata={"description": "Share of the positive scores, 0..1."})


class TriggerSchema(Schema):
    question = fields.String(required=True)
    question_text = fields.String(required=True)
    answer = fields.Raw(required=True, metadata=ANSWER_VALUE_DOC)
    answer_text = fields.String(required=True)


class RiskShapedSchema(Schema):
    """What a risk and a collaboration's finding share: the card a manager reads."""

    id = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(list(SEVERITY_ORDER)))
    title = fields.String(required=True)
    why = fields.String(required=True)
    advice = fields.String(required=True, metadata={"description": "What to do about it."})
    source = fields.String(required=True)


class RiskSchema(RiskShapedSchema):
    pack = fields.String(required=True)
    triggers = fields.List(fields.Nested(TriggerSchema), required=True,
                           metadata={"description": "The answers that made the risk fire."})


class ExplanationSchema(Schema):
    rule = fields.String(required=True)
    pack = fields.String(required=True)
    contributions = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    because = fields.String(required=True)
    source = fields.String(required=True)
    triggers = fields.List(fields.Nested(TriggerSchema), required=True)


class ConditionSchema(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)
    pack = fields.String(required=True)
    source = fields.String(required=True)


class SkippedQuestionSchema(Schema):
    question = fields.String(required=True)
    question_text = fields.String(required=True)


class NotCheckedSchema(Schema):
    id = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(list(SEVERITY_ORDER)))
    title = fields.String(required=True)
    questions = fields.List(fields.Nested(SkippedQuestionSchema), required=True, metadata={
        "description": "The skipped questions whose answers would decide whether the risk applies."})


class CompletenessSchema(Schema):
    answered = fields.Integer(required=True)
    total = fields.Integer(required=True)
    required_missing = fields.List(fields.String(), required=True)


class PluginFailureSchema(Schema):
    plugin = fields.String(required=True)
    hook = fields.String(required=True)
    error = fields.String(required=True)


class ChangeSchema(Schema):
    question = fields.String(required=True)
    question_text = fields.String(required=True)
    before = fields.Raw(allow_none=True, metadata=ANSWER_VALUE_DOC)
    before_text = fields.String(required=True)
    after = fields.Raw(required=True, metadata=ANSWER_VALUE_DOC)
    after_text = fields.String(required=True)


class AlternativeSchema(Schema):
    form = fields.String(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class AdviceSchema(Schema):
    """The documented contract of an advice. Responses do not dump with it: they send the advice's
    wire form (``advisor.wire``), which a test holds equal to this schema's dump."""

    recommended = fields.String(required=True)
    ranking = fields.List(fields.Nested(RankedFormSchema), required=True)
    margin = fields.Float(required=True, metadata={"description": "Score gap between the first two forms."})
    tie_break = fields.Boolean(required=True, metadata={"description": "True when a near-tie was settled toward the lighter form."})
    risks = fields.List(fields.Nested(RiskSchema), required=True)
    explanation = fields.List(fields.Nested(ExplanationSchema), required=True)
    conditions = fields.List(fields.Nested(ConditionSchema), required=True)
    completeness = fields.Nested(CompletenessSchema, required=True)
    ruleset = fields.Nested(RulesetSchema, required=True)
    lang = fields.String(required=True)
    incomplete = fields.Boolean(required=True, metadata={"description": "True when a plugin failed and its rules are missing."})
    failed_plugins = fields.List(fields.Nested(PluginFailureSchema), required=True)
    alternatives = fields.List(
        fields.Nested(AlternativeSchema), allow_none=True,
        metadata={"description": "The smallest answer changes after which another form would be "
                  "advised; null unless the request asked for them."},
    )
    not_checked = fields.List(fields.Nested(NotCheckedSchema), required=True, metadata={
        "description": "Risks that could not be checked because the questions that decide them "
                       "were skipped, most severe first; an empty `risks` list only reassures "
                       "when this is empty too."})
    informal_layer = fields.Nested(ConditionSchema, allow_none=True, required=True, metadata={
        "description": "When a heavier form is advised where professionals already know each other: "
                       "keep that informal layer under the heavier form (null otherwise)."})
    alternatives_partial = fields.Boolean(
        metadata={"description": "True when the search for alternatives stopped at its time budget "
                  "(ADVICE_TIME_BUDGET_MS) before it was done: other changes may exist."},
    )


class WireAdvice(fields.Nested):
    """An advice inside a response: documented as ``AdviceSchema``, sent in its wire form. An
    ``Advice`` is turned into it (``advisor.wire``); a stored advice is already in it (it was
    stored so) and goes as it is, with no second dump."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(AdviceSchema, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return advice_to_wire(value) if isinstance(value, Advice) else value


# --- Plugins and health ----------------------------------------------------------------------


class ChangelogEntrySchema(Schema):
    """One entry of a rule pack's changelog: what changed in that version."""

    version = fields.String(required=True, metadata={"description": "The pack version this entry describes."})
    date = fields.String(allow_none=True, metadata={"description": "ISO date of the version, if the pack gives it."})
    changes = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                          metadata={"description": "What changed, per language (nl, en)."})


class PluginSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["builtin", "entrypoint", "directory", "registered"]))
    source = fields.String(required=True)
    hooks = fields.List(fields.String(), required=True)
    changelog = fields.List(fields.Nested(ChangelogEntrySchema), metadata={
        "description": "A rule pack's changelog, newest first (empty for Python plugins)."})


class PluginsSchema(ResponseSchema):
    plugins = fields.List(fields.Nested(PluginSchema), required=True)
    ruleset = fields.Nested(RulesetSchema, required=True)


class HealthSchema(ResponseSchema):
    status = fields.String(required=True)
    plugins = fields.Integer(required=True)
    ruleset = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DegradedHealthSchema(Schema):
    """503 of /health: problem details with the checks, one of which is not "ok"."""

    type = fields.String(required=True, metadata={"description": "The problem type URI."})
    title = fields.String(required=True, metadata={"description": "Short summary."})
    status = fields.Integer(required=True, metadata={"description": "503."})
    detail = fields.String(required=True, metadata={"description": "Which checks are down."})
    instance = fields.String(metadata={"description": "The request's path."})
    plugins = fields.Integer(required=True, metadata={"description": "Loaded plugins."})
    ruleset = fields.String(required=True, metadata={"description": "The rule-set fingerprint."})
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "Check name to \"ok\" or what is wrong."})


# --- Errors ------------------------------------------------------------------------------------


class InvalidParamSchema(Schema):
    """One refused field (ADR problem details)."""

    name = fields.String(required=True, metadata={
        "description": "JSON Pointer into the body (`/answers/horizon`; \"\" is the whole body), "
        "or a query parameter's name.", "example": "/answers/horizon"})
    reason = fields.String(required=True, metadata={
        "description": "Why it was refused, in the request's language (nl or en, as `Content-Language` "
        "says); bounds, option ids and question ids in it are the same in both."})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Field (e.g. answers.horizon) to the reasons it was refused, in the "
                  "request's language."},
    )
    failed_plugins = fields.List(fields.Nested(PluginFailureSchema))
    invalidParams = fields.List(fields.Nested(InvalidParamSchema), metadata={
        "description": "One entry per refused field: the same reasons as `errors`, with the "
        "field named as a JSON Pointer into the body (a query parameter by its name)."})
    currentRuleset = fields.String(metadata={
        "description": "412 only: the fingerprint of the rule set loaded now."})
