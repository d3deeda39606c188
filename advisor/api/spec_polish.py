"""The last pass over the spec, so client generators get what they need (issue 21 item 2).

Run once after every route is registered:

- every schema and property has a description (``spec_docs``), every operation a description;
- form ids are an enum of the loaded forms, languages of ``LANGUAGES``, severities of the model's;
- a nullable reference is ``allOf: [$ref]`` with ``nullable: true`` (apispec writes an ``anyOf``
  with an empty object, which generators turn into ``Union[Model, Dict]``), and so is a
  described reference (OpenAPI 3.0 ignores a ``$ref``'s siblings);
- schemas that only responses use are open (no ``additionalProperties: false``): v1 promises
  additive changes, and a generated model that forbids extra fields would break on each one.
  Request schemas stay closed: the API refuses unknown fields, and the spec says so;
- request bodies carry an example, and so do the responses whose schema has one
  (``add_examples``, run when the spec is first served: see ``spec_examples.attach``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from apispec import APISpec

from ..model import SEVERITY_ORDER
from .spec_docs import SCHEMAS, describe_property

REF_PREFIX = "#/components/schemas/"
FORM_ID_PROPERTIES = {
    "Advice": ("recommended",), "RankedForm": ("form",), "Alternative": ("form",),
    "Changes": ("recommended_before", "recommended_after"), "RoundRespondent": ("recommended",),
    "HistoryEntry": ("recommended",), "Hardening": ("before", "after"), "ExportedAssessment": ("recommended",),
}
UNUSED_BY_US = ("PaginationMetadata",)
"""flask-smorest's own component for paginated routes; this API has none."""


def polish(spec: APISpec, *, form_ids: list[str], languages: list[str]) -> None:
    """Apply every rule of the module docstring but the examples to `spec`, in place."""
    schemas = spec.components.schemas
    for name in UNUSED_BY_US:
        schemas.pop(name, None)
    paths = spec._paths  # noqa: SLF001 - apispec keeps the paths here and offers no accessor
    request_refs = _reachable(schemas, _request_roots(paths))
    for name, schema in schemas.items():
        if name in SCHEMAS:
            schema.setdefault("description", SCHEMAS[name])
        if name not in request_refs and schema.get("additionalProperties") is False:
            del schema["additionalProperties"]
        for prop_name, prop in schema.get("properties", {}).items():
            _polish_property(name, prop_name, prop, form_ids, languages)
            if _is_nullable_ref(prop) and prop_name in schema.get("required", ()):
                schema["required"].remove(prop_name)   # null or absent: the same to a client
        if schema.get("required") == []:
            del schema["required"]
    for operation in _operations(paths):
        operation.setdefault("description", operation.get("summary", ""))


def add_examples(spec: APISpec, examples: Mapping[str, Any]) -> None:
    """Give each schema named in `examples` its example, and every request body and response
    whose schema is one of them (unless it has its own). A null nullable reference is left out
    of an example: OpenAPI 3.0 validators refuse null there (see ``_is_nullable_ref``)."""
    schemas = spec.components.schemas
    examples = {name: _without_null_refs(example, {"$ref": REF_PREFIX + name}, schemas)
                for name, example in examples.items()}
    for name, schema in schemas.items():
        if name in examples:
            schema.setdefault("example", examples[name])
    for operation in _operations(spec._paths):  # noqa: SLF001
        for media in operation.get("requestBody", {}).get("content", {}).values():
            _example_from_ref(media, examples)
        for response in operation["responses"].values():
            if isinstance(response, dict):
                for media in response.get("content", {}).values():
                    _example_from_ref(media, examples)


def _is_nullable_ref(prop: Mapping[str, Any]) -> bool:
    """``allOf: [$ref]`` with ``nullable: true``: generators read it as an optional model, but
    OpenAPI 3.0 validators apply the reference to null too, so such a property is not required."""
    return bool(prop.get("nullable")) and len(prop.get("allOf", ())) == 1


def _without_null_refs(example: Any, schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Any:
    while isinstance(schema, Mapping) and ("$ref" in schema or len(schema.get("allOf", ())) == 1):
        schema = schemas.get(schema["$ref"].removeprefix(REF_PREFIX), {}) if "$ref" in schema else schema["allOf"][0]
    if isinstance(example, list):
        return [_without_null_refs(item, schema.get("items", {}), schemas) for item in example]
    if not isinstance(example, dict):
        return example
    properties = schema.get("properties", {})
    return {key: _without_null_refs(value, properties.get(key, {}), schemas) for key, value in example.items()
            if not (value is None and _is_nullable_ref(properties.get(key, {})))}


def _operations(paths: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                yield operation


def _polish_property(schema: str, name: str, prop: dict[str, Any], form_ids: list[str],
                     languages: list[str]) -> None:
    description = describe_property(schema, name)
    if description:
        prop.setdefault("description", description)
    if prop.get("nullable") and "type" not in prop and prop.get("oneOf"):  # OpenAPI 3.0: null is
        del prop["nullable"]                                                 # one variant's value
        prop["oneOf"] = [{**prop["oneOf"][0], "nullable": True}, *prop["oneOf"][1:]]
    if "$ref" in prop and len(prop) > 1:  # a $ref's siblings are ignored: wrap it to keep them
        prop["allOf"] = [{"$ref": prop.pop("$ref")}]
    any_of = prop.get("anyOf")
    if any_of and len(any_of) == 2 and "$ref" in any_of[0] and any_of[1].get("nullable"):
        del prop["anyOf"]
        prop.update({"type": "object", "nullable": True, "allOf": [any_of[0]]})
    enum = (form_ids if name in FORM_ID_PROPERTIES.get(schema, ()) else languages if name == "lang"
            else list(SEVERITY_ORDER) if name == "severity" else None)
    if enum and prop.get("type") == "string" and "enum" not in prop:
        prop["enum"] = [*enum, None] if prop.get("nullable") else list(enum)


def _example_from_ref(media: dict[str, Any], examples: Mapping[str, Any]) -> None:
    ref = media.get("schema", {}).get("$ref", "")
    name = ref.removeprefix(REF_PREFIX)
    if name in examples and "example" not in media and "examples" not in media:
        media["example"] = examples[name]


def _request_roots(paths: Mapping[str, Any]) -> Iterator[Any]:
    for item in paths.values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            yield from (media.get("schema") for media in operation.get("requestBody", {}).get("content", {}).values())
            yield from (parameter.get("schema") for parameter in operation.get("parameters", [])
                        if isinstance(parameter, dict))


def _reachable(schemas: Mapping[str, Any], roots: Iterator[Any]) -> set[str]:
    """The component names reachable from `roots` through ``$ref``s."""
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                name = ref.removeprefix(REF_PREFIX)
                if name not in seen:
                    seen.add(name)
                    pending.append(schemas.get(name))
            pending.extend(value for key, value in node.items() if key != "$ref")
        elif isinstance(node, list):
            pending.extend(node)
    return seen
