"""The advice in its wire form: plain dicts, lists, strings and numbers, ready for orjson.

An advice is turned into this form once, here, and everything that sends or keeps one uses it:
the API's responses (``POST /advice``, batches, assessments, collaborations, replay), storage
(an assessment keeps its advice in this form) and the CLI's ``advice --json``. The API's
``AdviceSchema`` stays the documented contract of this form; a test holds ``advice_to_wire``
equal to marshmallow's own dump with that schema for every worked case.

The conversions are the schema's: text fields become ``str`` (a plugin's rule id ``7`` is
``"7"``), scores and points ``float``, counts ``int``; flags and answers are sent as given
(marshmallow's Boolean and Raw do not convert on dump). Written out by hand, field by field:
marshmallow's generic dump walks fields, accessors and hooks for every value and costs more than
the engine's whole advice. No Flask, no marshmallow, no storage here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import (
    Advice,
    Alternative,
    ConditionItem,
    ExplanationItem,
    RiskItem,
    Trigger,
    UncheckedRisk,
)

WireAdvice = dict[str, Any]
"""An advice as JSON data (the shape ``AdviceSchema`` documents)."""


def advice_to_wire(advice: Advice) -> WireAdvice:
    """The advice as plain JSON data, equal to ``AdviceSchema().dump(advice)``."""
    completeness = advice.completeness
    ruleset = advice.ruleset
    alternatives = advice.alternatives
    informal = advice.informal_layer
    return {
        "recommended": _text(advice.recommended),
        "ranking": [{"form": _text(entry.form), "score": _float(entry.score), "share": _float(entry.share)}
                    for entry in advice.ranking],
        "margin": _float(advice.margin),
        "tie_break": advice.tie_break,
        "risks": [_risk(risk) for risk in advice.risks],
        "explanation": [_explanation(item) for item in advice.explanation],
        "conditions": [_condition(condition) for condition in advice.conditions],
        "completeness": {
            "answered": _int(completeness.answered), "total": _int(completeness.total),
            "required_missing": _texts(completeness.required_missing),
        },
        "ruleset": {"fingerprint": _text(ruleset.fingerprint),
                    "packs": [{"id": _text(p.id), "version": _text(p.version)} for p in ruleset.packs]},
        "lang": _text(advice.lang),
        "incomplete": advice.incomplete,
        "failed_plugins": [{"plugin": _text(f.plugin), "hook": _text(f.hook), "error": _text(f.error)}
                           for f in advice.failed_plugins],
        "alternatives": None if alternatives is None else [_alternative(a) for a in alternatives],
        "not_checked": [_unchecked(risk) for risk in advice.not_checked],
        "informal_layer": None if informal is None else _condition(informal),
        "alternatives_partial": advice.alternatives_partial,
    }


# Each item first checks that its texts are all ``str`` already (rule packs' always are): then
# they go as they are, one check instead of a conversion per field; otherwise each is converted.

def _risk(risk: RiskItem) -> dict[str, Any]:
    texts = risk.id, risk.severity, risk.title, risk.why, risk.advice, risk.source, risk.pack
    id_, severity, title, why, advice, source, pack = texts
    if not type(id_) is type(severity) is type(title) is type(why) is type(advice) is type(source) is type(pack) is str:
        id_, severity, title, why, advice, source, pack = map(_text, texts)
    return {"id": id_, "severity": severity, "title": title, "why": why, "advice": advice, "source": source,
            "pack": pack, "triggers": [_trigger(t) for t in risk.triggers]}


def _explanation(item: ExplanationItem) -> dict[str, Any]:
    rule, pack, because, source = item.rule, item.pack, item.because, item.source
    if not type(rule) is type(pack) is type(because) is type(source) is str:
        rule, pack, because, source = _text(rule), _text(pack), _text(because), _text(source)
    return {"rule": rule, "pack": pack, "contributions": _points(item.contributions), "because": because,
            "source": source, "triggers": [_trigger(t) for t in item.triggers]}


def _points(contributions: Mapping[Any, Any] | None) -> dict[str, Any] | None:
    if contributions is None:
        return None
    points = {}
    for form, value in contributions.items():
        points[form if type(form) is str else _text(form)] = value if type(value) is float else _float(value)
    return points


def _trigger(trigger: Trigger) -> dict[str, Any]:
    question, question_text, answer_text = trigger.question, trigger.question_text, trigger.answer_text
    if not type(question) is type(question_text) is type(answer_text) is str:
        question, question_text, answer_text = _text(question), _text(question_text), _text(answer_text)
    return {"question": question, "question_text": question_text, "answer": trigger.answer,
            "answer_text": answer_text}


def _condition(condition: ConditionItem) -> dict[str, Any]:
    return {"id": _text(condition.id), "text": _text(condition.text), "pack": _text(condition.pack),
            "source": _text(condition.source)}


def _unchecked(risk: UncheckedRisk) -> dict[str, Any]:
    return {"id": _text(risk.id), "severity": _text(risk.severity), "title": _text(risk.title),
            "questions": [{"question": _text(q.question), "question_text": _text(q.question_text)}
                          for q in risk.questions]}


def _alternative(alternative: Alternative) -> dict[str, Any]:
    return {"form": _text(alternative.form), "changes": [
        {"question": _text(c.question), "question_text": _text(c.question_text), "before": c.before,
         "before_text": _text(c.before_text), "after": c.after, "after_text": _text(c.after_text)}
        for c in alternative.changes]}


# The schema's conversions (marshmallow's String, Float and Integer on dump).

def _text(value: Any) -> Any:
    if type(value) is str or value is None:
        return value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _float(value: Any) -> Any:
    return value if type(value) is float or value is None else float(value)


def _int(value: Any) -> Any:
    return value if type(value) is int or value is None else int(value)


def _texts(values: Iterable[Any] | None) -> list[Any] | None:
    return None if values is None else [_text(value) for value in values]


__all__ = ["WireAdvice", "advice_to_wire"]
