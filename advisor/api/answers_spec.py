"""The answers object in the OpenAPI spec, written from the loaded questionnaire.

Question and option ids are public API, and plugins may add questions, so the spec documents the
questions this app actually asks: every question a property (an option id, a list of option ids
or a whole number, each with its allowed values). A platform can validate its answers before
sending them, and the contract tests generate answers the engine accepts.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from marshmallow import ValidationError, fields, validate

from ..engine import Engine
from ..model import Question, localize
from ..reasons import N_

ANSWERS = "Answers"
COMPLETE_ANSWERS = "CompleteAnswers"


class AnswersField(fields.Dict):
    """Question id to answer, documented as the ``CompleteAnswers`` component (`complete`: the
    required questions must be there, no nulls) or as ``Answers`` (unfinished answers; null
    skips or, in a change, removes an answer)."""

    def __init__(self, *, complete: bool, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(validate=validate.Length(
            min=1, max=200, error=N_("a question id has 1 to {max} characters"))),
                         values=fields.Raw(allow_none=not complete), **kwargs)
        self.complete = complete

    def _deserialize(self, value, attr, data, **kwargs):
        """A short path for the common case, with the generic path's result: a JSON object of
        valid string keys (and no nulls where nulls are refused) loads to a copy of itself.
        Anything else takes marshmallow's path, which words the errors."""
        if (type(value) is dict and self._plain()
                and all(type(key) is str for key in value)
                and (self.value_field.allow_none or None not in value.values())
                and self._keys_valid(value)):
            return dict(value)
        return super()._deserialize(value, attr, data, **kwargs)

    def _plain(self) -> bool:
        keys, values = self.key_field, self.value_field
        return (
            type(keys) is fields.String and type(values) is fields.Raw
            and not (keys.pre_load or keys.post_load)
            and not (values.validators or values.pre_load or values.post_load)
        )

    def _keys_valid(self, value: dict) -> bool:
        """Whether every key passes the key validators (else the generic path words the error)."""
        validators = self.key_field.validators
        try:
            for key in value:
                for validator in validators:
                    if validator(key) is False:
                        return False
        except ValidationError:
            return False
        return True


def answer_property(question: Question, *, nullable: bool) -> dict[str, Any]:
    """One answer's schema: a string (choice), an array (multi) or an integer."""
    doc: dict[str, Any] = {"description": localize(question.text, "en")}
    if nullable:
        doc["nullable"] = True
    ids = list(question.option_ids())
    if question.kind == "choice":  # a nullable enum lists null too (OpenAPI 3.0.3)
        return {"type": "string", "enum": [*ids, None] if nullable else ids, **doc}
    if question.kind == "multi":
        return {"type": "array", "items": {"type": "string", "enum": ids}, "uniqueItems": True,
                "minItems": 1 if question.required else 0, **doc}
    bounds = {key: value for key, value in (("minimum", question.min), ("maximum", question.max))
              if value is not None}
    return {"type": "integer", **bounds, **doc}


def answers_component(engine: Engine, *, complete: bool) -> dict[str, Any]:
    questions = engine.ordered_questions
    schema: dict[str, Any] = {
        "type": "object",
        "description": (
            "Question id to answer, for the questions of the loaded rule packs and plugins: an "
            "option id (choice), a list of option ids (multi) or a whole number (integer). "
            "Leave a question out to skip it."
            + (" The required questions must be answered." if complete else
               " Unfinished answers are accepted; null skips (or, in a change, removes) an answer.")
        ),
        "properties": {question.id: answer_property(question, nullable=not complete)
                       for question in questions},
        "additionalProperties": False,
    }
    required = [question.id for question in questions if question.required]
    if complete and required:
        schema["required"] = required
    return schema


def document_answers(spec: APISpec, converter: Any, engine: Engine) -> None:
    """Register both answers components and make every AnswersField point at one of them."""
    spec.components.schema(ANSWERS, answers_component(engine, complete=False))
    spec.components.schema(COMPLETE_ANSWERS, answers_component(engine, complete=True))

    def answers_ref(self, field, ret, **kwargs):
        if not isinstance(field, AnswersField):
            return {}
        ret.clear()
        name = COMPLETE_ANSWERS if field.complete else ANSWERS
        return {"$ref": f"#/components/schemas/{name}"}

    converter.add_attribute_function(answers_ref)
