"""The texts of findings across several respondents, as data (``rules/collaboration/findings.toml``).

A divergence between partners or a form that hardens between rounds is not a property of one set
of answers, so the engine's rule packs (whose risks fire on answers) have no place for it. This
small file keeps those findings' domain texts out of Python: a ``[[divergence]]`` per question
whose divergence is itself a finding, one ``[drift]`` for creeping verkokering between rounds
(with the partner-size bands it compares), and a ``[[caution]]`` per question whose differing
answers are combined toward the most cautious one (its options listed most cautious first).
Shapes are checked with the rule packs' own schemas.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .model import Text
from .rulepack import QUESTION_ID, HeaderSchema, PackError, TextSchema, _first_error, _flatten

SEVERITIES = ("info", "warning", "critical")


class _FindingSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=QUESTION_ID)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    title = fields.Nested(TextSchema, required=True)
    why = fields.Nested(TextSchema, required=True)
    advice = fields.Nested(TextSchema, required=True)
    source = fields.String(required=True, validate=validate.Length(min=1))


class _DivergenceSchema(_FindingSchema):
    question = fields.String(required=True, validate=QUESTION_ID)


class _DriftSchema(_FindingSchema):
    partner_bands = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1))


class _CautionSchema(Schema):
    class Meta:
        unknown = RAISE

    question = fields.String(required=True, validate=QUESTION_ID)
    options = fields.List(fields.String(validate=validate.Length(min=1)), required=True,
                          validate=validate.Length(min=2))
    source = fields.String(required=True, validate=validate.Length(min=1))


class _FileSchema(Schema):
    class Meta:
        unknown = RAISE

    collection = fields.Nested(HeaderSchema, required=True)
    divergence = fields.List(fields.Nested(_DivergenceSchema), load_default=list)
    drift = fields.Nested(_DriftSchema, required=True)
    caution = fields.List(fields.Nested(_CautionSchema), load_default=list)


@dataclass(frozen=True, slots=True)
class FindingText:
    """One finding's texts: what a manager reads, and where the idea comes from."""

    id: str
    severity: str
    title: Text
    why: Text
    advice: Text
    source: str


@dataclass(frozen=True, slots=True)
class CollaborationRules:
    version: str
    divergence: Mapping[str, FindingText]
    """Question id to the finding raised when the partners' answers to it diverge."""
    drift: FindingText
    partner_bands: tuple[int, ...]
    """Lower bounds of the size bands for ``partners``; drift compares bands, not numbers."""
    caution: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Question id to its options, most cautious first: differing answers combine toward caution."""

    def partner_band(self, partners: int | None) -> int | None:
        if partners is None:
            return None
        return sum(1 for bound in self.partner_bands if partners >= bound)


def load_collaboration_rules(path: Path) -> CollaborationRules:
    """Read and check the file; raises PackError naming the file, the item and the field."""
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PackError(name, f"cannot be read ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PackError(name, f"is not valid TOML ({exc})") from None
    try:
        data = _FileSchema().load(raw)
    except ValidationError as exc:
        raise PackError(name, *_describe(exc.messages, raw)) from None
    divergence: dict[str, FindingText] = {}
    for entry in data["divergence"]:
        if entry["question"] in divergence:
            raise PackError(name, "a second finding for this question", f"divergence '{entry['id']}'", "question")
        divergence[entry["question"]] = _text(entry)
    bands = tuple(data["drift"]["partner_bands"])
    if list(bands) != sorted(set(bands)):
        raise PackError(name, "must be increasing", "drift", "partner_bands")
    caution: dict[str, tuple[str, ...]] = {}
    for entry in data["caution"]:
        if entry["question"] in caution:
            raise PackError(name, "a second caution order for this question", f"caution '{entry['question']}'",
                            "question")
        if len(set(entry["options"])) != len(entry["options"]):
            raise PackError(name, "lists an option twice", f"caution '{entry['question']}'", "options")
        caution[entry["question"]] = tuple(entry["options"])
    return CollaborationRules(data["collection"]["version"], divergence, _text(data["drift"]), bands, caution)


def _describe(messages: Mapping[str, Any], raw: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(message, item, field) for the first error, naming a divergence by its id."""
    section, rest = next(iter(sorted(messages.items(), key=lambda kv: str(kv[0]))))
    if section == "divergence" and isinstance(rest, Mapping):
        index, detail = next(iter(rest.items()))
        entries = raw.get("divergence")
        entry = entries[index] if isinstance(entries, list) and isinstance(index, int) and index < len(entries) else {}
        name = entry.get("id") if isinstance(entry, Mapping) else None
        field, message = _flatten(detail)
        return message, f"divergence '{name}'" if name else f"divergence #{index + 1}", field
    item, field, message = _first_error(messages, raw)
    return message, item, field


def _text(entry: Mapping[str, Any]) -> FindingText:
    return FindingText(entry["id"], entry["severity"], entry["title"], entry["why"], entry["advice"], entry["source"])


__all__ = ["CollaborationRules", "FindingText", "load_collaboration_rules"]
