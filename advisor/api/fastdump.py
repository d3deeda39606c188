"""Marshmallow dumps compiled into plain closures, for the responses served on every request.

``Schema.dump`` walks fields, accessors and hooks generically for every value, which costs
more than the whole advice. ``compile_dump(schema)`` reads the schema once and returns a function
that gives the same result (the tests compare both on real advice): plain field types
(String, Integer, Float, Boolean, Raw, List, Dict, Nested) take a direct path, and anything else
(a missing attribute, another field type, a schema with hooks, a mapping other than a dict)
goes through marshmallow's own code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from marshmallow import Schema, fields, missing
from marshmallow.utils import ensure_text_type

Dump = Callable[[Any], Any]
_MISSING = object()


def compile_dump(schema: Schema) -> Callable[[Any], dict[str, Any]] | None:
    """A function equal to ``schema.dump(obj)`` for one object (not ``many``), or None when
    the schema has hooks or is ``many`` (then marshmallow's dump is the only faithful one)."""
    if any(schema._hooks.values()) or schema.many:  # noqa: SLF001 - marshmallow's hook registry
        return None
    plan = []
    for name, field in schema.dump_fields.items():
        attribute = field.attribute or name
        direct = field._CHECK_ATTRIBUTE and "." not in attribute  # noqa: SLF001
        key = field.data_key if field.data_key is not None else name
        plan.append((name, attribute, key, _value_dump(field) if direct else None, field))
    get_attribute = schema.get_attribute

    def slow(field: fields.Field, name: str, obj: Any) -> Any:
        return field.serialize(name, obj, accessor=get_attribute)

    def dump(obj: Any) -> dict[str, Any]:
        if type(obj) is dict:
            read = obj.get
        elif hasattr(obj, "__getitem__"):  # other mappings and sequences: marshmallow's rules
            return Schema.dump(schema, obj)
        else:
            read = partial(getattr, obj)
        result: dict[str, Any] = {}
        for name, attribute, key, convert, field in plan:
            value = _MISSING if convert is None else read(attribute, _MISSING)
            value = slow(field, name, obj) if value is _MISSING else convert(value)
            if value is not missing:
                result[key] = value
        return result

    return dump


def _value_dump(field: fields.Field) -> Dump:
    """How one field turns a present value into JSON data, as marshmallow's `_serialize` does."""
    kind = type(field)
    if kind is fields.String:
        return _string
    if kind is fields.Raw:
        return _raw
    if kind in (fields.Integer, fields.Float) and not field.as_string:
        exact = int if kind is fields.Integer else float
        generic = _generic(field)
        return lambda value: value if type(value) is exact else generic(value)
    if kind is fields.Boolean:
        generic = _generic(field)
        return lambda value: value if type(value) is bool else generic(value)
    if kind is fields.List:
        inner = _value_dump(field.inner)
        return lambda value: None if value is None else [inner(item) for item in value]
    if kind is fields.Dict and field.key_field is not None and field.value_field is not None:
        keys, values = _value_dump(field.key_field), _value_dump(field.value_field)
        return lambda value: None if value is None else {keys(k): values(v) for k, v in value.items()}
    if kind is fields.Nested and not field.many and isinstance(field.schema, Schema):
        schema = field.schema
        nested = compile_dump(schema) or partial(Schema.dump, schema)
        return lambda value: None if value is None else nested(value)
    return _generic(field)


def _generic(field: fields.Field) -> Dump:
    serialize = field._serialize  # noqa: SLF001 - the field's own conversion of a present value
    return lambda value: serialize(value, None, None)


def _string(value: Any) -> Any:
    if type(value) is str or value is None:
        return value
    return ensure_text_type(value)


def _raw(value: Any) -> Any:
    return value
