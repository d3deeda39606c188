"""Conditions over answers, written as data in rule packs and compiled once.

A ``when`` table is never evaluated as code. It is checked against the loaded questions when
the pack loads (so a typo is a start-up error naming the field) and compiled into small
closures and, given a :class:`Source`, into a Python expression over numbered locals, which
advisor.packcode turns into one generated function per pack. The closures stay the reference
reading (the authoring tools and the tests compare the generated code with them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Form, Question

Context = Mapping[str, Any]
"""What a condition sees: the answers, plus ``@recommended`` while risks are assessed."""

RECOMMENDED = "@recommended"
MAX_NESTING = 32
"""How deep ``all``/``any``/``not`` may nest in one ``when``: far more than a readable rule
needs, far less than Python's recursion limit (2,000 levels used to stop start-up with a
RecursionError naming no file)."""


class ConditionError(ValueError):
    """A condition that cannot be compiled; `field` is the dotted path inside the rule."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition: call ``test(context)``; ``reads`` names the questions it looks at.

    ``guard`` is ``(question id, options)`` when the condition can only hold if that choice
    question has one of those options: the pack indexes rules by it to skip most of them.
    ``residual`` is what is left to test once the guard is known to hold (None: nothing), so an
    indexed rule does not test its guard a second time.
    """

    test: Callable[[Context], bool]
    reads: tuple[str, ...]
    guard: tuple[str, frozenset[str]] | None = None
    residual: Callable[[Context], bool] | None = None
    expr: str | None = None
    """The same test as Python source (see :class:`Source`), when the compiler was given one."""


class Source:
    """What generated source needs besides an expression: a local per question it reads and
    module-level constants. Input text enters the source only as ``repr`` literals: question
    ids in the prelude, option and form ids in constants; names are numbered, never derived
    from ids, so a hostile id cannot inject code."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        """Question id (or ``@recommended``) to the local variable holding its answer."""
        self.constants: dict[str, str] = {}
        """A constant's source (``frozenset((...))``) to its module-level name."""

    def local(self, qid: str) -> str:
        name = self.names.get(qid)
        if name is None:
            name = self.names[qid] = f"v{len(self.names)}"
        return name

    def constant(self, source: str) -> str:
        name = self.constants.get(source)
        if name is None:
            name = self.constants[source] = f"K{len(self.constants)}"
        return name

    def options(self, ids: frozenset[str]) -> str:
        """A frozenset constant of option or form ids, in a stable order."""
        return self.constant(f"frozenset({tuple(sorted(ids))!r})")

    def prelude(self, reads: Any, indent: str = "    ", context: str = "a") -> list[str]:
        """Lines binding each local of `reads` to its answer (``_M``: not answered)."""
        return [f"{indent}{self.local(qid)} = {context}.get({qid!r}, _M)" for qid in reads]


def always(_: Context) -> bool:
    return True


TRUE = Condition(test=always, reads=(), expr="True")


def compile_condition(
    when: Mapping[str, Any] | None,
    questions: Mapping[str, Question],
    forms: Mapping[str, Form],
    *,
    allow_advice: bool,
    path: str = "when",
    source: Source | None = None,
) -> Condition:
    """Check `when` against the questions and forms and compile it; with `source`, the
    condition also carries its test as a Python expression (``expr``) over that source's locals.

    Raises :class:`ConditionError` naming the field, e.g.
    ``when.horizon: unknown option 'forever' (known: months, years, permanent)``.
    """
    if when is None:
        return TRUE
    compiler = _Compiler(questions, forms, allow_advice, source)
    return compiler.table(when, path)


def compile_entry(
    key: str, value: Any, questions: Mapping[str, Question], forms: Mapping[str, Form], *, path: str,
    source: Source | None = None,
) -> Condition:
    """One entry of a risk's or condition's ``when`` table on its own: a test of one question, or
    of the recommended form (``all``/``any``/``not`` are for the caller to combine)."""
    return _Compiler(questions, forms, allow_advice=True, source=source).entry(key, value, path)


class _Compiler:
    def __init__(
        self, questions: Mapping[str, Question], forms: Mapping[str, Form], allow_advice: bool,
        source: Source | None = None,
    ) -> None:
        self.questions = questions
        self.forms = forms
        self.allow_advice = allow_advice
        self.source = source

    def expr(self, template: str, qid: str | None = None, options: frozenset[str] | None = None) -> str | None:
        """`template` with ``{v}`` the question's local and ``{k}`` the options' constant."""
        src = self.source
        if src is None:
            return None
        return template.format(v=src.local(qid) if qid else "", k=src.options(options) if options else "")

    def table(self, when: Any, path: str, depth: int = 0) -> Condition:
        if depth > MAX_NESTING:
            raise ConditionError(_shorten(path), f"nests deeper than {MAX_NESTING} levels of all/any/not; "
                                 "split the rule or flatten the condition")
        if not isinstance(when, Mapping):
            raise ConditionError(path, "must be a table of conditions")
        if not when:
            raise ConditionError(path, "is empty; leave it out to mean 'always'")
        parts = [self.entry(key, value, f"{path}.{key}", depth) for key, value in when.items()]
        return _all_of(parts, self.source is not None)

    def entry(self, key: str, value: Any, path: str, depth: int = 0) -> Condition:
        if key == "all" or key == "any":
            if not isinstance(value, list) or not value:
                raise ConditionError(path, "must be a non-empty list of tables")
            parts = [self.table(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
            with_expr = self.source is not None
            return _all_of(parts, with_expr) if key == "all" else _any_of(parts, with_expr)
        if key == "not":
            inner = self.table(value, path, depth + 1)
            inner_test = inner.test
            expr = f"(not {inner.expr})" if inner.expr is not None else None
            return Condition(test=lambda ctx: not inner_test(ctx), reads=inner.reads, expr=expr)
        if key == "recommended":
            return self.recommended(value, path)
        question = self.questions.get(key)
        if question is None:
            raise ConditionError(path, f"unknown question '{key}'")
        return self.question(question, value, path)

    def recommended(self, value: Any, path: str) -> Condition:
        if not self.allow_advice:
            raise ConditionError(path, "'recommended' can only be used in risks and conditions")
        if isinstance(value, Mapping):
            return self.compare_form(value, path)
        wanted = frozenset(self.form_ids(value, path))
        return Condition(test=lambda ctx: ctx.get(RECOMMENDED) in wanted, reads=(),
                         expr=self.expr("({v} in {k})", RECOMMENDED, wanted))

    def compare_form(self, value: Mapping[str, Any], path: str) -> Condition:
        if len(value) != 1 or next(iter(value)) not in ("heavier_than", "lighter_than"):
            raise ConditionError(path, "must be { heavier_than = \"<question>\" } or { lighter_than = ... }")
        direction, question_id = next(iter(value.items()))
        if question_id not in self.questions:
            raise ConditionError(f"{path}.{direction}", f"unknown question '{question_id}'")
        order = {form.id: form.order for form in self.forms.values()}
        heavier = direction == "heavier_than"

        def test(ctx: Context) -> bool:
            mine = order.get(ctx.get(RECOMMENDED))
            theirs = order.get(ctx.get(question_id))
            if mine is None or theirs is None:
                return False
            return mine > theirs if heavier else mine < theirs

        expr = None
        if self.source is not None:
            order_name = self.source.constant(f"dict({sorted(order.items())!r})")
            expr = (f"_compare({order_name}, {self.source.local(RECOMMENDED)}, "
                    f"{self.source.local(question_id)}, {heavier!r})")
        return Condition(test=test, reads=(question_id,), expr=expr)

    def form_ids(self, value: Any, path: str) -> list[str]:
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ConditionError(path, "must be a form id or a list of form ids")
        for form_id in ids:
            if form_id not in self.forms:
                known = ", ".join(self.forms)
                raise ConditionError(path, f"unknown form '{form_id}' (known: {known})")
        return ids

    def question(self, question: Question, value: Any, path: str) -> Condition:
        qid = question.id
        if isinstance(value, (str, list)):
            return self.one_of(question, value, path)
        if not isinstance(value, Mapping) or not value:
            raise ConditionError(path, "must be an option, a list of options or a table")
        parts: list[Condition] = []
        for op, arg in value.items():
            op_path = f"{path}.{op}"
            if op == "answered":
                if not isinstance(arg, bool):
                    raise ConditionError(op_path, "must be true or false")
                parts.append(
                    Condition(test=(lambda ctx: qid in ctx) if arg else (lambda ctx: qid not in ctx),
                              reads=(qid,), expr=self.expr("({v} is not _M)" if arg else "({v} is _M)", qid))
                )
            elif op in ("any", "all"):
                parts.append(self.contains(question, op, arg, op_path))
            elif op in ("at_least", "at_most"):
                parts.append(self.count(question, op, arg, op_path))
            elif op in ("min", "max"):
                parts.append(self.bound(question, op, arg, op_path))
            else:
                raise ConditionError(
                    op_path, "unknown test (known: answered, any, all, at_least, at_most, min, max)"
                )
        return _all_of(parts, self.source is not None)

    def options(self, question: Question, value: Any, path: str) -> frozenset[str]:
        if question.kind == "integer":
            raise ConditionError(path, f"'{question.id}' is a number; use {{ min = …, max = … }}")
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise ConditionError(path, "must be an option id or a non-empty list of option ids")
        known = question.option_ids()
        for option in ids:
            if option not in known:
                raise ConditionError(path, f"unknown option '{option}' (known: {', '.join(known)})")
        return frozenset(ids)

    def one_of(self, question: Question, value: Any, path: str) -> Condition:
        wanted = self.options(question, value, path)
        qid = question.id
        if question.kind == "multi":
            return Condition(
                test=lambda ctx: not wanted.isdisjoint(ctx.get(qid, ())), reads=(qid,),
                expr=self.expr("({v} is not _M and not {k}.isdisjoint({v}))", qid, wanted),
            )
        return Condition(test=lambda ctx: ctx.get(qid) in wanted, reads=(qid,), guard=(qid, wanted),
                         expr=self.expr("({v} in {k})", qid, wanted))

    def contains(self, question: Question, op: str, arg: Any, path: str) -> Condition:
        wanted = self.options(question, arg, path)
        qid = question.id
        if op == "any":
            return self.one_of(question, sorted(wanted), path)
        if question.kind != "multi":
            raise ConditionError(path, f"'all' needs a multi question; '{qid}' is {question.kind}")
        return Condition(test=lambda ctx: wanted.issubset(ctx.get(qid, ())), reads=(qid,),
                         expr=self.expr("({v} is not _M and {k}.issubset({v}))", qid, wanted))

    def count(self, question: Question, op: str, arg: Any, path: str) -> Condition:
        qid = question.id
        if question.kind != "multi":
            raise ConditionError(path, f"'{op}' needs a multi question; '{qid}' is {question.kind}")
        if not _is_int(arg) or arg < 0:
            raise ConditionError(path, "must be a whole number of 0 or more")
        if op == "at_least":
            return Condition(test=lambda ctx: qid in ctx and len(ctx[qid]) >= arg, reads=(qid,),
                             expr=self.expr(f"({{v}} is not _M and len({{v}}) >= {int(arg)!r})", qid))
        return Condition(test=lambda ctx: qid in ctx and len(ctx[qid]) <= arg, reads=(qid,),
                         expr=self.expr(f"({{v}} is not _M and len({{v}}) <= {int(arg)!r})", qid))

    def bound(self, question: Question, op: str, arg: Any, path: str) -> Condition:
        qid = question.id
        if question.kind != "integer":
            raise ConditionError(path, f"'{op}' needs a number question; '{qid}' is {question.kind}")
        if not _is_int(arg):
            raise ConditionError(path, "must be a whole number")
        low, high = question.min, question.max
        if (low is not None and arg < low) or (high is not None and arg > high):
            raise ConditionError(path, f"{arg} lies outside the question's range {low}–{high}")
        if op == "min":
            return Condition(test=lambda ctx: qid in ctx and ctx[qid] >= arg, reads=(qid,),
                             expr=self.expr(f"({{v}} is not _M and {{v}} >= {int(arg)!r})", qid))
        return Condition(test=lambda ctx: qid in ctx and ctx[qid] <= arg, reads=(qid,),
                         expr=self.expr(f"({{v}} is not _M and {{v}} <= {int(arg)!r})", qid))


def _shorten(path: str, keep: int = 60) -> str:
    """A field path short enough to read: its start, then how many levels were left out."""
    if len(path) <= keep:
        return path
    head = path[:keep].rsplit(".", 1)[0]
    return f"{head}.… ({path.count('.') - head.count('.')} more levels)"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reads(parts: list[Condition]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(qid for part in parts for qid in part.reads))


def _joined(parts: list[Condition], word: str, with_expr: bool) -> str | None:
    """The parts' expressions joined by ``and``/``or``, in order (so it short-circuits alike)."""
    return f"({f' {word} '.join(str(part.expr) for part in parts)})" if with_expr else None


def _all_of(parts: list[Condition], with_expr: bool = False) -> Condition:
    if len(parts) == 1:
        return parts[0]
    test = _conjunction([part.test for part in parts])
    expr = _joined(parts, "and", with_expr)
    guarded = next((part for part in parts if part.guard), None)
    if guarded is None:
        return Condition(test=test, reads=_reads(parts), expr=expr)
    rest = [part.test for part in parts if part is not guarded]
    if guarded.residual is not None:
        rest.insert(0, guarded.residual)
    return Condition(test=test, reads=_reads(parts), guard=guarded.guard,
                     residual=_conjunction(rest) if rest else None, expr=expr)


def _any_of(parts: list[Condition], with_expr: bool = False) -> Condition:
    if len(parts) == 1:
        return parts[0]
    return Condition(test=_disjunction([part.test for part in parts]), reads=_reads(parts),
                     expr=_joined(parts, "or", with_expr))


Test = Callable[[Context], bool]


def _conjunction(tests: list[Test]) -> Test:
    """One closure testing all of `tests` in order, short-circuiting (unrolled for 2 and 3)."""
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda ctx: a(ctx) and b(ctx)
    if len(tests) == 3:
        a, b, c = tests
        return lambda ctx: a(ctx) and b(ctx) and c(ctx)
    frozen = tuple(tests)
    return lambda ctx: all(t(ctx) for t in frozen)


def _disjunction(tests: list[Test]) -> Test:
    """One closure testing any of `tests` in order, short-circuiting (unrolled for 2 and 3)."""
    if len(tests) == 2:
        a, b = tests
        return lambda ctx: a(ctx) or b(ctx)
    if len(tests) == 3:
        a, b, c = tests
        return lambda ctx: a(ctx) or b(ctx) or c(ctx)
    frozen = tuple(tests)
    return lambda ctx: any(t(ctx) for t in frozen)
