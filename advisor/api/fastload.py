"""A short path for loading the advice request body, with marshmallow's result.

``AdviceRequestSchema().load`` spends ~20 µs of an advice request in marshmallow's machinery
(unknown-field check, four fields, their validators) for what is, in a body a platform sends,
a copy of the answers and a lower-cased language. For a body of exactly the documented shape
this returns what the schema's load returns; anything else (every body with an error, or a
schema that gained a field or a hook) goes through the schema's own load, which words the errors.
``tests/test_lean_request_path.py`` holds the two equal over a set of bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from .answers_spec import AnswersField
from .schemas import LangField, StrictBoolean

FIELDS = frozenset({"answers", "lang", "alternatives", "ruleset"})


def advice_request_loader(schema: Schema) -> Callable[[Any], dict[str, Any]]:
    """``schema.load``, with a short path for plain bodies when the schema is the one it knows."""
    full = schema.load
    if set(schema.fields) != FIELDS or any(schema._hooks.values()) or schema.unknown != "raise":
        return full
    answers_field, lang_field = schema.fields["answers"], schema.fields["lang"]
    kinds = [type(schema.fields[name]) for name in ("answers", "lang", "alternatives", "ruleset")]
    if kinds != [AnswersField, LangField, StrictBoolean, fields.String] \
            or schema.fields["alternatives"].load_default is not False \
            or schema.fields["ruleset"].validators or len(lang_field.validators) != 1 \
            or not isinstance(lang_field.validators[0], validate.OneOf):
        return full
    limits = [v for v in answers_field.validators if isinstance(v, validate.Length)]
    key_limits = [v for v in answers_field.key_field.validators if isinstance(v, validate.Length)]
    if len(limits) != 1 or len(answers_field.validators) != 1 or len(key_limits) != 1 \
            or len(answers_field.key_field.validators) != 1 or answers_field.value_field.allow_none:
        return full
    most_answers = limits[0].max
    shortest_key, longest_key = key_limits[0].min or 0, key_limits[0].max
    if most_answers is None or longest_key is None:
        return full
    languages = frozenset(lang_field.validators[0].choices)

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not data.keys() <= FIELDS:
            return full(data)
        answers = data.get("answers")
        if (type(answers) is not dict or len(answers) > most_answers or None in answers.values()
                or not all(type(key) is str and shortest_key <= len(key) <= longest_key for key in answers)):
            return full(data)
        result: dict[str, Any] = {"answers": dict(answers), "alternatives": False}
        if "lang" in data:
            lang = data["lang"]
            if type(lang) is not str:
                return full(data)
            lang = lang.lower() if lang.isascii() else lang
            if lang not in languages:
                return full(data)
            result["lang"] = lang
        if "alternatives" in data:
            if type(data["alternatives"]) is not bool:
                return full(data)
            result["alternatives"] = data["alternatives"]
        if "ruleset" in data:
            if type(data["ruleset"]) is not str:
                return full(data)
            result["ruleset"] = data["ruleset"]
        return result

    return load
