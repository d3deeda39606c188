"""Short paths for loading advice requests and batch items, with marshmallow's result.

``AdviceRequestSchema().load`` spends ~20 µs of an advice request (a batch item's load ~12 µs)
in marshmallow's machinery (unknown-field check, each field, its validators) for what is, in a
body a platform sends, a copy of the answers and a lower-cased language. For data of exactly
the documented shape these return what the schema's load returns; anything else (every body
with an error, or a schema that gained a field, a hook or a validator) goes through the
schema's own load, which words the errors. ``tests/test_lean_request_path.py`` holds the two
equal over a set of bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from .answers_spec import AnswersField
from .schemas import LangField, StrictBoolean

Loader = Callable[[Any], dict[str, Any]]
ADVICE_FIELDS = {"answers": AnswersField, "lang": LangField, "alternatives": StrictBoolean,
                 "ruleset": fields.String}
ITEM_FIELDS = {"ref": fields.String, "answers": AnswersField, "lang": LangField}


class _Unknown(Exception):
    """The data is not of the plain shape: the schema's own load decides."""


def _one_length(field: fields.Field) -> validate.Length | None:
    """The field's only validator when it is a Length with an upper bound, else None."""
    validators = field.validators
    if len(validators) == 1 and isinstance(validators[0], validate.Length) and validators[0].max is not None \
            and validators[0].equal is None:
        return validators[0]
    return None


def _known(schema: Schema, expected: dict[str, type]) -> bool:
    """Whether the schema is exactly the one a short path was written for."""
    return (set(schema.fields) == set(expected) and not any(schema._hooks.values())
            and schema.unknown == "raise"
            and all(type(schema.fields[name]) is kind for name, kind in expected.items()))


def _checks(schema: Schema) -> tuple[Callable[[Any], dict], Callable[[Any], str]] | None:
    """The answers and language checks of `schema`, or None when its fields are not plain."""
    answers, lang = schema.fields["answers"], schema.fields["lang"]
    count, key = _one_length(answers), _one_length(answers.key_field)
    if count is None or key is None or answers.value_field.allow_none or lang.allow_none \
            or len(lang.validators) != 1 or not isinstance(lang.validators[0], validate.OneOf):
        return None
    most, shortest, longest = count.max, key.min or 0, key.max
    languages = frozenset(lang.validators[0].choices)

    def check_answers(value: Any) -> dict:
        if (type(value) is not dict or len(value) > most or None in value.values()
                or not all(type(k) is str and shortest <= len(k) <= longest for k in value)):
            raise _Unknown
        return dict(value)

    def check_lang(value: Any) -> str:
        if type(value) is not str:
            raise _Unknown
        value = value.lower() if value.isascii() else value
        if value not in languages:
            raise _Unknown
        return value

    return check_answers, check_lang


def advice_request_loader(schema: Schema) -> Loader:
    """``schema.load`` for ``AdviceRequestSchema``, with a short path for plain bodies."""
    full = schema.load
    if not _known(schema, ADVICE_FIELDS) or schema.fields["alternatives"].load_default is not False \
            or schema.fields["ruleset"].validators or (checks := _checks(schema)) is None:
        return full
    check_answers, check_lang = checks
    names = frozenset(ADVICE_FIELDS)

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not data.keys() <= names or "answers" not in data:
            return full(data)
        try:
            result: dict[str, Any] = {"answers": check_answers(data["answers"]), "alternatives": False}
            if "lang" in data:
                result["lang"] = check_lang(data["lang"])
            if "alternatives" in data:
                if type(data["alternatives"]) is not bool:
                    raise _Unknown
                result["alternatives"] = data["alternatives"]
            if "ruleset" in data:
                if type(data["ruleset"]) is not str:
                    raise _Unknown
                result["ruleset"] = data["ruleset"]
        except _Unknown:
            return full(data)
        return result

    return load


def batch_item_loader(schema: Schema) -> Loader:
    """``schema.load`` for ``BatchItemSchema``, with a short path for plain items."""
    full = schema.load
    ref = schema.fields.get("ref")
    if not _known(schema, ITEM_FIELDS) or ref.allow_none or (length := _one_length(ref)) is None \
            or (checks := _checks(schema)) is None:
        return full
    check_answers, check_lang = checks
    names, shortest, longest = frozenset(ITEM_FIELDS), length.min or 0, length.max

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not data.keys() <= names or "answers" not in data or "ref" not in data:
            return full(data)
        value = data["ref"]
        if type(value) is not str or not shortest <= len(value) <= longest:
            return full(data)
        try:
            result: dict[str, Any] = {"ref": value, "answers": check_answers(data["answers"])}
            if "lang" in data:
                result["lang"] = check_lang(data["lang"])
        except _Unknown:
            return full(data)
        return result

    return load
