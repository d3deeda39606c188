"""The JSON Schema of the rule pack format, generated from the marshmallow schemas that load
packs, so editors with TOML support (taplo, "Even Better TOML") complete and check the keys
with exactly the rules the loader applies.

apispec's marshmallow converter does the field-by-field work (it turns the same schemas into
the OpenAPI document); OpenAPI 3.1 schema objects are JSON Schema 2020-12, so only the
references move from ``#/components/schemas`` to ``#/$defs``. The generated schema is shipped
as ``advisor/schemas/rule-pack.json`` (a test keeps the file and the schemas in step) and
served at ``/api/v1/schemas/rule-pack.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "rule-pack.json"

DESCRIPTIONS = {
    "RulePack": "A Samenwerkingswijzer rule pack (see plugins/README.md).",
    "Header": "The pack: its id, version, title and an optional description and changelog.",
    "Question": "A question of the questionnaire; plugin question ids are namespaced '<pack id>.<name>'.",
    "Rule": "A scoring rule: points per form when its 'when' holds.",
    "Risk": "A risk raised when its 'when' holds, with why and what to do.",
    "SuccessCondition": "A condition for success of the advised form.",
    "Text": "A text in Dutch and English: { nl = \"…\", en = \"…\" }.",
}


def pack_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a rule pack, from :class:`advisor.rulepack.PackSchema`."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    from ..rulepack import PackSchema

    spec = APISpec("rule-pack", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    spec.components.schema("RulePack", schema=PackSchema)
    definitions = _moved_refs(spec.to_dict()["components"]["schemas"])
    for name, text in DESCRIPTIONS.items():
        if name in definitions:
            definitions[name]["description"] = text
    root = definitions.pop("RulePack")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Samenwerkingswijzer rule pack",
        **root,
        "$defs": definitions,
    }


def _moved_refs(node: Any) -> Any:
    """References into ``#/$defs``; ``minLength`` on an object (a Dict field's Length) as
    ``minProperties``, which is what it means there."""
    if isinstance(node, dict):
        moved = {key: _moved_refs(value) for key, value in node.items()}
        if isinstance(moved.get("$ref"), str):
            moved["$ref"] = moved["$ref"].replace("#/components/schemas/", "#/$defs/")
        if moved.get("type") == "object" and "minLength" in moved:
            moved["minProperties"] = moved.pop("minLength")
        return moved
    if isinstance(node, list):
        return [_moved_refs(item) for item in node]
    return node


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(pack_json_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def shipped_schema() -> str:
    """The shipped file (what the API serves)."""
    return SCHEMA_FILE.read_text(encoding="utf-8")
