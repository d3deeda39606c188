"""Could a condition still hold once the skipped questions are answered? Three-valued tests.

An advice on the required answers alone must not read as "no risks": a risk that did not fire
only because the questions it looks at were skipped is *not checked*, not absent. This module
compiles a ``when`` table a second time, in Kleene's three-valued logic: every single-question
test is compiled by :mod:`advisor.conditions` itself (so both readings agree on answered
questions) and says "unknown" while its question is unanswered; ``all``, ``any`` and ``not``
combine True, False and unknown. An unknown result is the set of skipped questions it hangs on
(a branch that is False already drops out), so the advice can name the questions that would
decide the risk. Pure Python, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .conditions import RECOMMENDED, ConditionError, _Compiler
from .model import Form, Question

Maybe = bool | frozenset[str]
OpenTest = Callable[[Mapping[str, Any]], Maybe]
"""A test that answers True, False, or the (non-empty) set of skipped questions that decide it."""


def compile_open(
    when: Mapping[str, Any] | None, questions: Mapping[str, Question], forms: Mapping[str, Form],
    *, path: str = "when",
) -> OpenTest:
    """The three-valued reading of `when` (which :func:`compile_condition` already accepted)."""
    if when is None:
        return _true
    return _table(_Compiler(questions, forms, allow_advice=True), when, path)


def all_of(tests: list[OpenTest]) -> OpenTest:
    """False when one test is False, else the skipped questions of the unknown ones, else True."""

    def test(ctx: Mapping[str, Any]) -> Maybe:
        unknown: frozenset[str] = frozenset()
        for part in tests:
            value = part(ctx)
            if value is False:
                return False
            if value is not True:
                unknown |= value
        return unknown or True

    return test


def any_of(tests: list[OpenTest]) -> OpenTest:
    """True when one test is True, else the skipped questions of the unknown ones, else False."""

    def test(ctx: Mapping[str, Any]) -> Maybe:
        unknown: frozenset[str] = frozenset()
        for part in tests:
            value = part(ctx)
            if value is True:
                return True
            if value is not False:
                unknown |= value
        return unknown or False

    return test


def _true(_: Mapping[str, Any]) -> Maybe:
    return True


def _table(compiler: _Compiler, when: Mapping[str, Any], path: str) -> OpenTest:
    parts = [_entry(compiler, key, value, f"{path}.{key}") for key, value in when.items()]
    return parts[0] if len(parts) == 1 else all_of(parts)


def _entry(compiler: _Compiler, key: str, value: Any, path: str) -> OpenTest:
    if key in ("all", "any"):
        parts = [_table(compiler, item, f"{path}[{i}]") for i, item in enumerate(value)]
        return all_of(parts) if key == "all" else any_of(parts)
    if key == "not":
        inner = _table(compiler, value, path)

        def negated(ctx: Mapping[str, Any]) -> Maybe:
            found = inner(ctx)
            return found if isinstance(found, frozenset) else not found

        return negated
    condition = compiler.entry(key, value, path)
    known_when_skipped = isinstance(value, Mapping) and set(value) == {"answered"}
    needs = () if known_when_skipped else tuple(q for q in condition.reads if q != RECOMMENDED)
    test = condition.test

    def leaf(ctx: Mapping[str, Any]) -> Maybe:
        skipped = frozenset(qid for qid in needs if qid not in ctx)
        return skipped or test(ctx)

    return leaf


__all__ = ["ConditionError", "Maybe", "OpenTest", "all_of", "any_of", "compile_open"]
