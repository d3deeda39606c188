"""Marshmallow dumps compiled into plain Python functions, for the responses that are dumped
with a schema (questionnaire, forms, plugins, health: ``ResponseSchema``). The advice is not:
it goes in its wire form (``advisor/wire.py``), made once.

``Schema.dump`` walks fields, accessors and hooks generically for every value, which costs more
than the whole advice. ``compile_dump(schema)`` reads the schema once and generates a function
with one straight block per field (as toastedmarshmallow did) that gives the same result; the
tests compare both on real advice. Plain field types (String, Integer, Float, Boolean, Raw,
List, Dict, Nested) take the direct path; anything else (a missing attribute, another field
type, a schema with hooks, a mapping other than a dict) goes through marshmallow's own code.
The generated source contains no input data: field names enter it only as ``repr`` literals.
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
    """A function equal to ``schema.dump(obj)`` for one object (not ``many``), or None when the
    schema has hooks or is ``many`` (then marshmallow's dump is the only faithful one)."""
    if any(schema._hooks.values()) or schema.many:  # noqa: SLF001 - marshmallow's hook registry
        return None
    namespace: dict[str, Any] = {
        "MISSING": _MISSING, "missing": missing, "text": ensure_text_type,
        "generic": partial(Schema.dump, schema),
    }
    by_attribute, by_key = [], []
    for n, (name, field) in enumerate(schema.dump_fields.items()):
        attribute = field.attribute or name
        key = field.data_key if field.data_key is not None else name
        namespace[f"slow{n}"] = partial(field.serialize, name, accessor=schema.get_attribute)
        if not field._CHECK_ATTRIBUTE or "." in attribute:  # noqa: SLF001
            block = [f"value = slow{n}(obj)", f"if value is not missing: result[{key!r}] = value"]
            by_attribute += block
            by_key += block
            continue
        convert = _convert_lines(field, f"conv{n}", namespace)
        rest = [
            "if value is MISSING:", f"    value = slow{n}(obj)",
            "    if value is not missing:", f"        result[{key!r}] = value",
            "else:", *(f"    {line}" for line in convert), f"    result[{key!r}] = value",
        ]
        by_attribute += [f"value = getattr(obj, {attribute!r}, MISSING)", *rest]
        by_key += [f"value = obj.get({attribute!r}, MISSING)", *rest]
    source = "\n".join([
        "def dump_attributes(obj):", "    result = {}", *(f"    {line}" for line in by_attribute),
        "    return result",
        "def dump_keys(obj):", "    result = {}", *(f"    {line}" for line in by_key),
        "    return result",
        "def dump(obj):",
        "    if type(obj) is dict:", "        return dump_keys(obj)",
        "    if hasattr(obj, '__getitem__'):", "        return generic(obj)",
        "    return dump_attributes(obj)",
    ])
    exec(compile(source, f"<dump {type(schema).__name__}>", "exec"), namespace)  # noqa: S102
    return namespace["dump"]


def _convert_lines(field: fields.Field, name: str, namespace: dict[str, Any]) -> list[str]:
    """Statements turning a present ``value`` into its dumped form, as the field's `_serialize`."""
    kind = type(field)
    if kind is fields.Raw:
        return []
    if kind is fields.String:
        return ["if type(value) is not str and value is not None: value = text(value)"]
    exact = {fields.Integer: "int", fields.Float: "float", fields.Boolean: "bool"}.get(kind)
    if exact and not getattr(field, "as_string", False):
        namespace[name] = _serializer(field)
        return [f"if type(value) is not {exact}: value = {name}(value)"]
    namespace[name] = _value_dump(field)
    return [f"value = {name}(value)"]


def _value_dump(field: fields.Field) -> Dump:
    """How one field turns a present value into JSON data, as marshmallow's `_serialize` does."""
    kind = type(field)
    if kind is fields.String:
        return _string
    if kind is fields.Raw:
        return _raw
    if kind is fields.List:
        inner = _value_dump(field.inner)
        return lambda value: None if value is None else [inner(item) for item in value]
    if kind is fields.Dict and type(field.key_field) is fields.String and type(field.value_field) is fields.Float \
            and not field.value_field.as_string:
        to_float = _serializer(field.value_field)
        return lambda value: None if value is None else {
            (k if type(k) is str else ensure_text_type(k)): (v if type(v) is float else to_float(v))
            for k, v in value.items()
        }
    if kind is fields.Dict and field.key_field is not None and field.value_field is not None:
        keys, values = _value_dump(field.key_field), _value_dump(field.value_field)
        return lambda value: None if value is None else {keys(k): values(v) for k, v in value.items()}
    if kind is fields.Nested and not field.many and isinstance(field.schema, Schema):
        schema = field.schema
        nested = compile_dump(schema) or partial(Schema.dump, schema)
        return lambda value: None if value is None else nested(value)
    return _serializer(field)


def _serializer(field: fields.Field) -> Dump:
    serialize = field._serialize  # noqa: SLF001 - the field's own conversion of a present value
    return lambda value: serialize(value, None, None)


def _string(value: Any) -> Any:
    if type(value) is str or value is None:
        return value
    return ensure_text_type(value)


def _raw(value: Any) -> Any:
    return value
