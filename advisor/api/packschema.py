"""``GET /api/v1/schemas/rule-pack.json``: the JSON Schema of the rule pack format, for
editors and for platforms that generate packs (see :mod:`advisor.authoring.schema`)."""

from __future__ import annotations

from flask import Response

from ..authoring.schema import shipped_schema
from .blueprint import Blueprint

blp = Blueprint(
    "api_v1_schemas", __name__, url_prefix="/api/v1/schemas",
    description="Schemas of the formats rule authors write.",
)


@blp.route("/rule-pack.json")
@blp.response(200, {"type": "object"}, content_type="application/schema+json",
              description="A JSON Schema (2020-12) of a rule pack, as TOML reads into JSON.",
              example={"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Rule pack",
                       "type": "object", "required": ["pack"]})
def rule_pack_schema():
    """The JSON Schema of a rule pack (the TOML format of plugins/README.md)."""
    return Response(shipped_schema(), mimetype="application/schema+json",
                    headers={"Cache-Control": "public, max-age=3600"})


__all__ = ["blp"]
