"""Could a condition still hold once the skipped questions are answered? Three-valued tests.

An advice on the required answers alone must not read as "no risks": a risk that did not fire
only because the questions it looks at were skipped is *not checked*, not absent. This module
compiles a ``when`` table a second time, in Kleene's three-valued logic: every single-question
test is compiled by :mod:`advisor.conditions` itself (so both readings agree on answered
questions) and says "unknown" while its question is unanswered (``answered`` tests too: answering
changes them); ``all``, ``any`` and ``not``
combine True, False and unknown. An unknown result is the set of skipped questions it hangs on
(a branch that is False already drops out), so the advice can name the questions that would
decide the risk. Pure Python, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .conditions import RECOMMENDED, Source, compile_entry
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
    return _table(questions, forms, when, path)


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


When = Mapping[str, Any]
"""A `when` table as written in a pack."""


def _table(questions: Mapping[str, Question], forms: Mapping[str, Form], when: When, path: str) -> OpenTest:
    parts = [_entry(questions, forms, key, value, f"{path}.{key}") for key, value in when.items()]
    return parts[0] if len(parts) == 1 else all_of(parts)


def _entry(questions: Mapping[str, Question], forms: Mapping[str, Form], key: str, value: Any,
           path: str) -> OpenTest:
    if key in ("all", "any"):
        parts = [_table(questions, forms, item, f"{path}[{i}]") for i, item in enumerate(value)]
        return all_of(parts) if key == "all" else any_of(parts)
    if key == "not":
        inner = _table(questions, forms, value, path)

        def negated(ctx: Mapping[str, Any]) -> Maybe:
            found = inner(ctx)
            return found if isinstance(found, frozenset) else not found

        return negated
    condition = compile_entry(key, value, questions, forms, path=path)
    needs = tuple(q for q in condition.reads if q != RECOMMENDED)
    test = condition.test

    if not needs:
        return test
    if len(needs) == 1:  # the usual case: one question, tested without building a set
        only, unknown = needs[0], frozenset(needs)

        def one(ctx: Mapping[str, Any]) -> Maybe:
            return test(ctx) if only in ctx else unknown

        return one

    def leaf(ctx: Mapping[str, Any]) -> Maybe:
        missing = [qid for qid in needs if qid not in ctx]
        return frozenset(missing) if missing else test(ctx)

    return leaf


def open_expression(when: When | None, questions: Mapping[str, Question], forms: Mapping[str, Form],
                    source: Source) -> str:
    """The three-valued reading of `when` as a Python expression over `source`'s locals, for a
    compiled pack (advisor.packcode): the same leaves, combined by ``_and3``/``_or3``/``_not3``,
    which evaluate every part (the leaves are pure, so only the result counts)."""
    if when is None:
        return "True"
    return _table_source(questions, forms, when, source)


def _table_source(questions: Mapping[str, Question], forms: Mapping[str, Form], when: When, source: Source) -> str:
    parts = [_entry_source(questions, forms, key, value, source) for key, value in when.items()]
    return parts[0] if len(parts) == 1 else f"_and3({', '.join(parts)})"


def _entry_source(questions: Mapping[str, Question], forms: Mapping[str, Form], key: str, value: Any,
                  source: Source) -> str:
    if key in ("all", "any"):
        parts = [_table_source(questions, forms, item, source) for item in value]
        return f"{'_and3' if key == 'all' else '_or3'}({', '.join(parts)})"
    if key == "not":
        return f"_not3({_table_source(questions, forms, value, source)})"
    condition = compile_entry(key, value, questions, forms, path=key, source=source)
    needs = tuple(q for q in condition.reads if q != RECOMMENDED)
    if not needs:
        return str(condition.expr)
    if len(needs) > 1:  # one entry tests one question; kept honest should that ever change
        raise ValueError(f"an entry reading {len(needs)} questions has no compiled three-valued form")
    unknown = source.constant(f"frozenset({needs!r})")
    return f"({condition.expr} if {source.local(needs[0])} is not _M else {unknown})"


def and3(*values: Maybe) -> Maybe:
    """:func:`all_of` over values already computed."""
    unknown: frozenset[str] = frozenset()
    for value in values:
        if value is False:
            return False
        if value is not True:
            unknown |= value
    return unknown or True


def or3(*values: Maybe) -> Maybe:
    """:func:`any_of` over values already computed."""
    unknown: frozenset[str] = frozenset()
    for value in values:
        if value is True:
            return True
        if value is not False:
            unknown |= value
    return unknown or False


def not3(value: Maybe) -> Maybe:
    return value if isinstance(value, frozenset) else not value


__all__ = ["Maybe", "OpenTest", "all_of", "and3", "any_of", "compile_open", "not3", "open_expression", "or3"]
