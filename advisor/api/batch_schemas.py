"""Schemas of ``POST /api/v1/advice/batch``: the answer sets a platform sends, the results it gets."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ..reasons import N_
from .answers_spec import AnswersField
from .request_schema import RequestSchema
from .schemas import (
    MAX_ANSWERS,
    TOO_MANY_ANSWERS,
    LangField,
    ProblemSchema,
    RulesetSchema,
    StrictBoolean,
    WireAdvice,
)

BATCH_MAX_ITEMS = 1000
"""Items in one JSON batch; more go as NDJSON (streamed)."""
REF = {"description": "The platform's own reference for this answer set (case number, portfolio id); "
       "sent back with its result.", "example": "dossier-2026-0142"}
EXAMPLE_ANSWERS = {"scope": "individual_cases", "horizon": "months", "change_type": "known_route",
                   "domains": ["care", "welfare"], "partners": 3, "budget": "none"}


class BatchItemSchema(RequestSchema):
    """One answer set of a batch (in NDJSON: one line)."""

    EXAMPLE_LINE = {"ref": "dossier-2026-0142", "answers": EXAMPLE_ANSWERS}

    ref = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=REF)
    answers = AnswersField(complete=True, required=True,
                           validate=validate.Length(max=MAX_ANSWERS, error=TOO_MANY_ANSWERS),
                           metadata={"description": "The complete answers of this set."})
    lang = LangField(metadata={"description": "The language of this item's texts; defaults to the batch's."})


class ItemsField(fields.List):
    """The items as a list of raw objects: each is checked on its own (``BatchItemSchema``), so
    one bad item gets its own problem instead of failing the batch. Documented as the items."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError(N_("must be a list of answer sets"))
        return list(value)


class BatchRequestSchema(RequestSchema):
    """A batch of answer sets to advise on."""

    EXAMPLE = {"lang": "en", "items": [
        {"ref": "dossier-2026-0142", "answers": EXAMPLE_ANSWERS},
        {"ref": "dossier-2026-0143", "answers": {**EXAMPLE_ANSWERS, "horizon": "years", "partners": 12}},
    ]}

    items = ItemsField(fields.Nested(BatchItemSchema), required=True,
                       validate=validate.Length(min=1, max=BATCH_MAX_ITEMS,
                                                error=N_("from {min} to {max} answer sets; send more as NDJSON")),
                       metadata={"description": f"1 to {BATCH_MAX_ITEMS} answer sets, each with its own ref."})
    lang = LangField(metadata={"description": "The language of the texts; defaults to ?lang=, "
                               "then Accept-Language, then Dutch."})
    alternatives = StrictBoolean(load_default=False, metadata={
        "description": "Also compute what would change each advice (a few ms more per item)."})
    ruleset = fields.String(metadata={
        "description": "The rule-set fingerprint the platform expects; a different current one "
        "answers 412 with `currentRuleset` instead of advice on other rules."})


class BatchResultSchema(Schema):
    """One item's result: the advice (status 200) or the problem that item had."""

    ref = fields.String(required=True, allow_none=True,
                        metadata={"description": "The item's ref; null when the item had none."})
    line = fields.Integer(metadata={"description": "NDJSON only: the item's line number (from 1)."})
    status = fields.Integer(required=True, metadata={
        "description": "200 with advice, or the problem's status (400 for a line that is not JSON, "
        "422 for answers that do not fit, 503 for a failed plugin in strict mode)."})
    advice = WireAdvice(allow_none=True,
                           metadata={"description": "The advice; null when the item had a problem."})
    problem = fields.Nested(ProblemSchema, allow_none=True,
                            metadata={"description": "Why this item got no advice; null when it did."})


class BatchResponseSchema(Schema):
    """The results of a JSON batch, one per item in the order sent."""

    lang = fields.String(required=True, validate=validate.OneOf(["nl", "en"]),
                         metadata={"description": "The language of the texts (unless an item chose another)."})
    ruleset = fields.Nested(RulesetSchema, required=True,
                            metadata={"description": "The rule set that produced every advice."})
    results = fields.List(fields.Nested(BatchResultSchema), required=True,
                          metadata={"description": "One result per item, in the order sent."})
    succeeded = fields.Integer(required=True, metadata={"description": "Items with advice."})
    failed = fields.Integer(required=True, metadata={"description": "Items with a problem."})
