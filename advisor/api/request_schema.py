"""The base of every request schema: marshmallow's own messages as translatable reasons.

marshmallow words a refusal from a field's ``error_messages`` (by key: ``required``, ``null``,
``invalid``, ...) and from its validators' message templates (``Length.message_max``,
``OneOf.error``, ...), filling them in with ``str.format``. :class:`RequestSchema` turns each of
those templates into a :class:`~advisor.reasons.Reason` when a field is bound, so the message
marshmallow makes keeps its template and parameters and the problem details can say it in the
request's language (``advisor/api/problems.py``). The English stays marshmallow's.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from ..reasons import N_, Reason

VALIDATOR_MESSAGES = ("error", "message_min", "message_max", "message_all", "message_equal")
"""The attributes marshmallow's validators word their errors with (Length, Range, OneOf, ...)."""

MARSHMALLOW_TEMPLATES = (
    # Schema
    N_("Unknown field."), N_("Invalid input type."),
    # Field, String, Integer, Number, Boolean, Date, DateTime, Mapping/Dict, List, Nested
    N_("Missing data for required field."), N_("Field may not be null."), N_("Invalid value."),
    N_("Not a valid string."), N_("Not a valid utf-8 string."), N_("Not a valid integer."),
    N_("Not a valid number."), N_("Number too large."), N_("Not a valid boolean."),
    N_("Not a valid date."), N_("Not a valid mapping type."),
    N_("Not a valid list."), N_("Invalid type."),
    N_("Not a valid {awareness} {obj_type}."), N_("\"{input}\" cannot be formatted as a date."),
    # validate.Length, validate.OneOf, validate.Range
    N_("Shorter than minimum length {min}."), N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."), N_("Length must be {equal}."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min}."), N_("Must be less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
)
"""marshmallow's messages the request schemas can give, for the catalogs (``pybabel extract``
finds them here); a test holds every message of every request schema to a Dutch translation."""


def translatable(message: Any) -> Any:
    """A message template as a Reason (a callable or a Reason already stays as it is)."""
    return Reason(message) if isinstance(message, str) and not isinstance(message, Reason) else message


def localize_field(field: fields.Field) -> None:
    """Make a field's messages, its validators' and those of its inner fields translatable."""
    field.error_messages = {key: translatable(message) for key, message in field.error_messages.items()}
    for validator in field.validators:
        for name in VALIDATOR_MESSAGES:
            message = getattr(validator, name, None)
            if isinstance(message, str) and not isinstance(message, Reason):
                setattr(validator, name, Reason(message))
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    for part in inner:
        if isinstance(part, fields.Field):
            localize_field(part)


class RequestSchema(Schema):
    """A schema that validates what a client sends; its refusals can be said in nl and en."""

    error_messages = {"unknown": N_("Unknown field."), "type": N_("Invalid input type.")}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        localize_field(field_obj)
