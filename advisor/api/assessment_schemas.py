"""Schemas of the stored assessments API (``/api/v1/assessments``): requests, responses, replay."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ..storage.service import LABEL_MAX, LabelError, check_label
from .answers_spec import AnswersField
from .request_schema import RequestSchema
from .schemas import (
    ANSWER_VALUE_DOC,
    MAX_ANSWERS,
    TOO_MANY_ANSWERS,
    CompletenessSchema,
    LangField,
    PackRefSchema,
    RulesetSchema,
    WireAdvice,
)

LABEL = {
    "description": "A name the user gives the assessment, e.g. the collaboration's name; plain text "
    "without control characters.",
    "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
}


def storable_label(value: str) -> None:
    """The storage's own check, as a field error (422 naming `label`)."""
    try:
        check_label(value)
    except LabelError as exc:
        raise ValidationError(exc.args[0]) from None  # the Reason, not its English


def label_field() -> fields.String:
    return fields.String(allow_none=True, validate=[validate.Length(max=LABEL_MAX), storable_label], metadata=LABEL)


VERSION_DESCRIPTION = ("The stored version, counting every change: the ETag is this number in quotes; send it "
                       "in If-Match to change exactly this version.")

class AssessmentCreateSchema(RequestSchema):
    answers = AnswersField(
        complete=False, required=True, validate=validate.Length(max=MAX_ANSWERS, error=TOO_MANY_ANSWERS),
        metadata={"description": "Question id to answer. Unfinished answers are stored as a draft."},
    )
    label = label_field()
    lang = LangField()


class AssessmentPatchSchema(RequestSchema):
    answers = AnswersField(
        complete=False, validate=validate.Length(max=MAX_ANSWERS, error=TOO_MANY_ANSWERS),
        metadata={"description": "Answers to add or change; null removes an answer (JSON Merge Patch)."},
    )
    label = label_field()
    lang = LangField(metadata={"description": "Changing it gives the advice again in that language."})


class AssessmentSchema(Schema):
    id = fields.String(required=True, metadata={"description": "192 random bits: whoever has it can read, change and erase."})
    url = fields.Url(required=True, metadata={"description": "The assessment's private URL; share it with care."})
    label = fields.String(allow_none=True, required=True)
    status = fields.String(required=True, validate=validate.OneOf(["draft", "complete"]))
    lang = fields.String(required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(metadata=ANSWER_VALUE_DOC), required=True)
    advice = WireAdvice(allow_none=True, required=True,
                           metadata={"description": "The advice as it was given; null for a draft."})
    completeness = fields.Nested(CompletenessSchema, required=True,
                                 metadata={"description": "Of the stored answers, on the current questionnaire."})
    ruleset = fields.Nested(RulesetSchema, required=True,
                            metadata={"description": "The rule set the answers were last evaluated on."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": VERSION_DESCRIPTION})
    expires_at = fields.DateTime(allow_none=True, required=True,
                                 metadata={"description": "When it may be erased unless changed; null: kept."})


class RiskBriefSchema(Schema):
    id = fields.String(required=True)
    severity = fields.String(required=True)
    title = fields.String(required=True)


class PackChangeSchema(Schema):
    id = fields.String(required=True)
    before = fields.String(required=True)
    after = fields.String(required=True)


class ChangesSchema(Schema):
    form_changed = fields.Boolean(required=True)
    recommended_before = fields.String(allow_none=True, required=True)
    recommended_after = fields.String(allow_none=True, required=True)
    risks_added = fields.List(fields.Nested(RiskBriefSchema), required=True)
    risks_removed = fields.List(fields.Nested(RiskBriefSchema), required=True)
    packs_added = fields.List(fields.Nested(PackRefSchema), required=True)
    packs_removed = fields.List(fields.Nested(PackRefSchema), required=True)
    packs_updated = fields.List(fields.Nested(PackChangeSchema), required=True)


class ReplaySchema(Schema):
    id = fields.String(required=True)
    lang = fields.String(required=True)
    ruleset_changed = fields.Boolean(required=True, metadata={"description": "The fingerprints differ."})
    stored_ruleset = fields.Nested(RulesetSchema, required=True)
    current_ruleset = fields.Nested(RulesetSchema, required=True)
    stored_advice = WireAdvice(allow_none=True, required=True,
                                  metadata={"description": "The advice as it was given; null for a draft."})
    advice = WireAdvice(allow_none=True, required=True, metadata={
        "description": "The stored answers on the current rules; null when they are unfinished or no longer fit."})
    answer_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                                metadata={"description": "Why the stored answers do not fit the current rules."})
    changes = fields.Nested(ChangesSchema, required=True)
