"""Schemas of the collaborations API (``/api/v1/collaborations`` and ``/api/v1/invitations``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from ..reasons import N_
from ..storage.service import LABEL_MAX
from .answers_spec import AnswersField
from .request_schema import RequestSchema
from .assessment_schemas import VERSION_DESCRIPTION, storable_label
from .schemas import ANSWER_VALUE_DOC, CompletenessSchema, LangField, RiskShapedSchema, WireAdvice


PLAIN_TEXT = "[^\\u0000-\\u001f\\u007f]*"
NOT_BLANK = f"^{PLAIN_TEXT}[^\\u0000-\\u0020\\u007f]{PLAIN_TEXT}$"
"""Plain text with at least one character that is not a space (what storage keeps)."""


def not_blank(value: str) -> None:
    if not value.strip(" "):
        raise ValidationError(N_("must not be empty"))


def name_field(description: str, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=LABEL_MAX), not_blank, storable_label],
                         metadata={"description": description, "pattern": NOT_BLANK}, **kwargs)


NAME = "The collaboration's name, e.g. 'Wijkaanpak Noord'; plain text."
LABEL = "The partner's role or organisation, e.g. 'Gemeente' or 'Wijkteam'; unique within a round."


# --- Requests --------------------------------------------------------------------------------


class CollaborationCreateSchema(RequestSchema):
    name = name_field(NAME, required=True)
    lang = LangField()


class CollaborationPatchSchema(RequestSchema):
    name = name_field(NAME)
    lang = LangField()


class ResponseCreateSchema(RequestSchema):
    label = name_field(LABEL, required=True)
    answers = AnswersField(
        complete=False, required=True,
        metadata={"description": "Question id to answer. Unfinished answers are kept as a draft, "
                  "which does not count until it is complete."},
    )
    lang = LangField()


class ResponsePatchSchema(RequestSchema):
    label = name_field(LABEL)
    answers = AnswersField(
        complete=False,
        metadata={"description": "Answers to add or change; null removes an answer (JSON Merge Patch)."},
    )
    lang = LangField()


class RoundCloseSchema(RequestSchema):
    """Closing a round: a body is required (``{}`` closes it without a note)."""

    note = fields.String(allow_none=True, validate=[validate.Length(max=LABEL_MAX), storable_label], metadata={
        "pattern": f"^{PLAIN_TEXT}$",
        "description": "Optional: why the round closes, e.g. 'Jaarlijkse evaluatie 2027'; shown in the history."})


class OverviewQuerySchema(RequestSchema):
    lang = LangField()
    alternatives = fields.Boolean(
        load_default=False,
        metadata={"description": "Also compute what would change the combined advice (true/false)."},
    )


# --- Responses -------------------------------------------------------------------------------


class InvitationSchema(Schema):
    token = fields.String(required=True, metadata={
        "description": "192 random bits, separate from the id: it only lets partners add responses."})
    url = fields.Url(allow_none=True, required=True, metadata={
        "description": "The page to send partners: the questionnaire under their own label."})
    api_url = fields.Url(required=True, metadata={"description": "POST responses here with the token."})


class RespondentSchema(Schema):
    id = fields.String(required=True, metadata={"description": "The response's own key (192 random bits)."})
    url = fields.Url(required=True, metadata={"description": "Where its author reads, changes or erases it."})
    label = fields.String(required=True)
    round = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["draft", "complete"]))
    lang = fields.String(required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(metadata=ANSWER_VALUE_DOC), required=True)
    completeness = fields.Nested(CompletenessSchema, required=True)
    advice = WireAdvice(allow_none=True, required=True,
                           metadata={"description": "On the current rules; null for a draft."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": VERSION_DESCRIPTION})


class SideSchema(Schema):
    respondent = fields.String(required=True, metadata={"description": "The respondent's label."})
    answer = fields.Raw(required=True, metadata=ANSWER_VALUE_DOC)
    answer_text = fields.String(required=True)


class QuestionComparisonSchema(Schema):
    question = fields.String(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    answers = fields.List(fields.Nested(SideSchema), required=True,
                          metadata={"description": "Every counted respondent who answered it, side by side."})
    combined = fields.Raw(required=True, metadata=ANSWER_VALUE_DOC)
    combined_text = fields.String(required=True)
    divergent = fields.Boolean(required=True, metadata={"description": "The respondents do not give the same answer."})
    tie = fields.Boolean(required=True, metadata={
        "description": "A choice without a majority: settled toward the option with the lightest advice."})


class FindingSchema(RiskShapedSchema):
    question = fields.String(allow_none=True, required=True)
    answers = fields.List(fields.Nested(SideSchema), required=True)


class PartialRiskSchema(Schema):
    id = fields.String(required=True)
    severity = fields.String(required=True)
    title = fields.String(required=True)
    seen_by = fields.List(fields.String(), required=True, metadata={"description": "Labels whose advice raises it."})
    not_seen_by = fields.List(fields.String(), required=True)


class RespondentAdviceSchema(Schema):
    respondent = fields.String(required=True, metadata={"description": "The respondent's id."})
    label = fields.String(required=True)
    advice = WireAdvice(required=True)


class CombinedSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(metadata=ANSWER_VALUE_DOC), required=True)
    advice = WireAdvice(required=True)
    divergent = fields.List(fields.String(), required=True, metadata={"description": "Questions whose answers diverge."})
    ties = fields.List(fields.String(), required=True, metadata={"description": "Choice questions without a majority."})


class CollaborationSchema(Schema):
    id = fields.String(required=True, metadata={
        "description": "The coordinator's key (192 random bits): whoever has it can read, change and erase."})
    url = fields.Url(required=True, metadata={"description": "The coordinator's private URL."})
    page_url = fields.Url(allow_none=True, required=True,
                          metadata={"description": "The collaboration page for the coordinator."})
    name = fields.String(required=True)
    lang = fields.String(required=True)
    round = fields.Integer(required=True, metadata={"description": "The open round."})
    invitation = fields.Nested(InvitationSchema, required=True)
    respondents = fields.List(fields.Nested(RespondentSchema), required=True,
                              metadata={"description": "Every response of the open round, drafts included."})
    counted = fields.Integer(required=True, metadata={"description": "Complete responses: only these count."})
    questions = fields.List(fields.Nested(QuestionComparisonSchema), required=True)
    advice_per_respondent = fields.List(fields.Nested(RespondentAdviceSchema), required=True)
    combined = fields.Nested(CombinedSchema, allow_none=True, required=True,
                             metadata={"description": "Null until a response is complete."})
    findings = fields.List(fields.Nested(FindingSchema), required=True, metadata={
        "description": "Divergences that are findings in themselves (partner benefit, goal consensus, trust)."})
    risks_some_see = fields.List(fields.Nested(PartialRiskSchema), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": VERSION_DESCRIPTION})
    expires_at = fields.DateTime(allow_none=True, required=True)


class InvitationViewSchema(Schema):
    name = fields.String(required=True)
    round = fields.Integer(required=True)
    lang = fields.String(required=True)
    labels = fields.List(fields.String(), required=True, metadata={"description": "Labels already used in this round."})


class RoundRespondentSchema(Schema):
    label = fields.String(required=True)
    recommended = fields.String(required=True)


class HistoryEntrySchema(Schema):
    round = fields.Integer(required=True)
    note = fields.String(allow_none=True, required=True)
    started_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True, required=True, metadata={"description": "Null for the open round."})
    recommended = fields.String(allow_none=True, required=True,
                                metadata={"description": "What the combined answers advise(d)."})
    current_form = fields.String(allow_none=True, required=True)
    respondents = fields.List(fields.Nested(RoundRespondentSchema), required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(metadata=ANSWER_VALUE_DOC), required=True)


class HardeningSchema(Schema):
    what = fields.String(required=True, validate=validate.OneOf(["recommended", "current_form"]))
    before = fields.String(required=True, metadata={"description": "The form in the earlier round."})
    after = fields.String(required=True, metadata={"description": "The heavier form in the later round."})


class DriftWarningSchema(FindingSchema):
    from_round = fields.Integer(required=True)
    to_round = fields.Integer(required=True)
    hardened = fields.List(fields.String(validate=validate.OneOf(["recommended", "current_form"])), required=True)
    changes = fields.List(fields.Nested(HardeningSchema), required=True)


class HistorySchema(Schema):
    id = fields.String(required=True)
    rounds = fields.List(fields.Nested(HistoryEntrySchema), required=True, metadata={"description": "Oldest first."})
    drift = fields.List(fields.Nested(DriftWarningSchema), required=True, metadata={
        "description": "Creeping verkokering: the form hardened between rounds while scope, the partners' size "
        "band and goal consensus stayed the same."})


class RoundClosedSchema(Schema):
    closed = fields.Nested(HistoryEntrySchema, required=True)
    round = fields.Integer(required=True, metadata={"description": "The new open round."})
