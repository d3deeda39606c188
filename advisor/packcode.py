"""Compiled rule packs: a pack's conditions as generated Python source, cached on disk.

A pack's ``when`` tables are checked and turned into Python expressions by
:mod:`advisor.conditions`; this module writes them out as one module per pack (a ``score``
function testing every rule in order; ``assess``, ``conditions`` and ``unchecked`` testing every
risk, success condition and not-checked reading in one function each, so each answer is read
once per pack; one small function per risk, reason and condition besides), compiles it once
and keeps the code object in a cache folder (``COMPILED_PACKS_DIR``, by default
``compiled-packs`` in the instance folder). The validated pack data is cached beside it, so a
warm start skips reading TOML, marshmallow and the condition compiler.

Safety of the generated source: input text (ids, options, numbers) enters it only as ``repr``
literals; every name in it is numbered by the compiler. Safety of the cache: an entry's key is
a hash of the pack's bytes (decision tables included), the definitions it was checked against
and the code that made it (this module, the conditions compiler, the loader: a new release
changes them), so an edited pack or a new version never uses a stale entry. Each file carries
a checksum of its contents; a corrupt, truncated or unreadable file is ignored and the pack
compiled again. Files are written to a temporary name and renamed into place, so workers
starting together never read half a file. Only valid packs are cached.

The cache folder is trusted like the instance folder it lives in (whose ``config.py`` is
executed too): entries are code and pickled data.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .model import Form, Question

log = logging.getLogger("advisor.packs")

FORMAT = b"advisor-pack-cache 1\n"
"""The first bytes of every cache file; a file without them is not ours."""
COMPILER_VERSION = "3"
"""Raised when the generated source changes shape (the code hash below catches the rest)."""
_SOURCES = ("packcode.py", "conditions.py", "rulepack.py", "decisiontable.py", "packerrors.py",
            "unchecked.py", "model.py")
"""The modules whose code decides what an entry holds: any change to them is a new key."""
_LOCAL = re.compile(r"\bv\d+\b")


class Missing:
    """The value of an unanswered question inside generated code (``_M``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not answered>"


MISSING = Missing()


def _compare(order: Mapping[str, int], recommended: Any, answer: Any, heavier: bool) -> bool:
    """``recommended = { heavier_than / lighter_than = question }``, as conditions.py tests it."""
    mine = order.get(recommended)
    theirs = order.get(answer)
    if mine is None or theirs is None:
        return False
    return mine > theirs if heavier else mine < theirs


_code_version: str | None = None


def code_version() -> str:
    """A hash of the app's version, this compiler's version, Python's and the deciding modules."""
    global _code_version
    if _code_version is None:
        from . import __version__

        digest = hashlib.sha256(f"{__version__}\0{COMPILER_VERSION}\0{sys.implementation.cache_tag}\0".encode())
        here = Path(__file__).resolve().parent
        for name in _SOURCES:
            try:
                digest.update((here / name).read_bytes())
            except OSError:
                digest.update(name.encode())
        _code_version = digest.hexdigest()
    return _code_version


def definitions_digest(questions: Mapping[str, Question], forms: Mapping[str, Form]) -> str:
    """What compiling a pack reads of everything loaded: question kinds, options and bounds,
    form ids and order. A pack compiled against other definitions gets another key."""
    digest = hashlib.sha256()
    for question in questions.values():
        digest.update(repr((question.id, question.kind, question.option_ids(), question.min, question.max)).encode())
    digest.update(b"\0forms\0")
    for form in forms.values():
        digest.update(repr((form.id, form.order)).encode())
    return digest.hexdigest()


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join((code_version(), *parts)).encode()).hexdigest()


# --- Generating the source -------------------------------------------------------------------


class RuleCode:
    """One scoring rule as the generator needs it: its test, whether it is dated, its points."""

    __slots__ = ("expr", "dated", "points")

    def __init__(self, expr: str, dated: bool, points: Mapping[str, float]) -> None:
        self.expr = expr
        self.dated = dated
        self.points = points


def generate(
    pack_id: str, constants: Mapping[str, str], names: Mapping[str, str], rules: Sequence[RuleCode],
    rule_reads: Sequence[tuple[str, ...]], risks: Sequence[tuple[str, Sequence[str]]],
    risk_reads: Sequence[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]],
    conditions: Sequence[str], condition_reads: Sequence[tuple[str, ...]], opens: Sequence[str] = (),
    dated_risks: Sequence[bool] = (),
) -> str:
    """The module for one pack. `constants` maps constant source to its name, `names` question
    ids to locals; `risks` are (condition, reason conditions), all as expressions, `opens` the
    risks' three-valued readings (advisor.unchecked), `dated_risks` which risks have a validity
    period."""
    question_of = {name: qid for qid, name in names.items()}
    lines = [f"# Generated by advisor.packcode {COMPILER_VERSION} from pack {pack_id!r}: do not edit.", ""]
    lines += [f"{name} = {source}" for source, name in constants.items()]
    lines += [
        f"RULE_READS = {tuple(rule_reads)!r}",
        f"RISK_READS = {tuple(risk_reads)!r}",
        f"CONDITION_READS = {tuple(condition_reads)!r}",
        "",
        "",
        "def score(a, day, T):",
        '    """The contributions of the rules that hold, in the pack\'s order; their points are',
        "    added to the totals T in that order too (as the engine would add them).\"\"\"",
    ]
    forms = list(dict.fromkeys(form_id for rule in rules for form_id in rule.points))
    total = {form_id: f"t{number}" for number, form_id in enumerate(forms)}
    lines += _prelude([rule.expr for rule in rules], question_of)
    lines += [f"    {total[form_id]} = T[{form_id!r}]" for form_id in forms]
    lines += ["    fired = []", "    add = fired.append"]
    for index, rule in enumerate(rules):
        test = rule.expr if not rule.dated else f"{rule.expr} and _in_force(day, *D[{index}])"
        lines += [f"    if {test}:", f"        add(R[{index}])"]
        lines += [f"        {total[form_id]} += {float(points)!r}" for form_id, points in rule.points.items()]
    lines += [f"    T[{form_id!r}] = {total[form_id]}" for form_id in forms]
    lines += ["    return fired", "", "", f"FORMS = {tuple(forms)!r}", ""]

    def function(name: str, expr: str) -> None:
        lines.extend(["", f"def {name}(a):"])
        lines.extend(_prelude([expr], question_of))
        lines.extend([f"    return {expr}", ""])

    risk_entries = []
    for number, (expr, reasons) in enumerate(risks):
        function(f"risk_{number}", expr)
        reason_names = []
        for position, reason in enumerate(reasons):
            function(f"risk_{number}_reason_{position}", reason)
            reason_names.append(f"risk_{number}_reason_{position}")
        risk_entries.append(f"(risk_{number}, ({''.join(name + ', ' for name in reason_names)}))")
    for number, expr in enumerate(conditions):
        function(f"condition_{number}", expr)
    for number, expr in enumerate(opens):
        function(f"open_{number}", expr)
    lines += _assess(risks, dated_risks, question_of)
    lines += _conditions(conditions, question_of)
    lines += _unchecked(opens, risk_reads, dated_risks, question_of)
    lines += [
        "",
        f"RISKS = ({''.join(entry + ', ' for entry in risk_entries)})",
        f"CONDITIONS = ({''.join(f'condition_{n}, ' for n in range(len(conditions)))})",
        f"OPEN = ({''.join(f'open_{n}, ' for n in range(len(opens)))})",
        "",
    ]
    return "\n".join(lines)


def _assess(risks: Sequence[tuple[str, Sequence[str]]], dated: Sequence[bool],
            question_of: Mapping[str, str]) -> list[str]:
    """``assess(a, day)``: every risk tested in one function (each answer read once), in the
    pack's order. A risk without reasons adds its finding ``F[i]``; one with reasons adds
    ``W(i, held)``, the finding naming the reasons that hold (None when none does)."""
    lines = ["", "def assess(a, day):"]
    lines += _prelude([expr for risk, reasons in risks for expr in (risk, *reasons)], question_of)
    lines += ["    found = []", "    add = found.append"]
    for index, (expr, reasons) in enumerate(risks):
        test = f"_in_force(day, *RD[{index}]) and {expr}" if index < len(dated) and dated[index] else expr
        lines.append(f"    if {test}:")
        if not reasons:
            lines.append(f"        add(F[{index}])")
            continue
        held = "".join(f"{reason}, " for reason in reasons)
        lines += [f"        finding = W({index}, ({held}))", "        if finding is not None:",
                  "            add(finding)"]
    lines += ["    return found", ""]
    return lines


def _conditions(conditions: Sequence[str], question_of: Mapping[str, str]) -> list[str]:
    """``conditions(a, recommended)``: the success conditions that hold for the recommended form,
    in order (``CF[i]``: the forms a condition is for, None for all; ``C[i]``: its item)."""
    lines = ["", "def conditions(a, recommended):"]
    lines += _prelude(conditions, question_of)
    lines += ["    found = []", "    add = found.append"]
    for index, expr in enumerate(conditions):
        lines += [f"    if (CF[{index}] is None or recommended in CF[{index}]) and {expr}:",
                  f"        add(C[{index}])"]
    lines += ["    return found", ""]
    return lines


def _unchecked(opens: Sequence[str], risk_reads: Sequence[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]],
               dated: Sequence[bool], question_of: Mapping[str, str]) -> list[str]:
    """``unchecked(a, day, fired)``: ``(i, reading)`` for each risk not among `fired` that reads a
    skipped question (``I[i]``: its id), with its three-valued reading (advisor.unchecked). While
    every question a risk reads is answered both readings agree, so it is left out."""
    lines = ["", "def unchecked(a, day, fired):"]
    lines += _prelude(opens, question_of)
    lines += ["    found = []", "    add = found.append"]
    for index, (expr, (reads, reasons_reads)) in enumerate(zip(opens, risk_reads, strict=True)):
        needs = dict.fromkeys([*reads, *(qid for reason in reasons_reads for qid in reason)])
        if not needs:
            continue
        skipped = " or ".join(f"{qid!r} not in a" for qid in needs)
        test = f"I[{index}] not in fired and ({skipped})"
        if index < len(dated) and dated[index]:
            test += f" and _in_force(day, *RD[{index}])"
        lines += [f"    if {test}:", f"        add(({index}, {expr}))"]
    lines += ["    return found", ""]
    return lines


def _prelude(exprs: Iterable[str], question_of: Mapping[str, str]) -> list[str]:
    used = sorted({name for expr in exprs for name in _LOCAL.findall(expr)}, key=lambda n: int(n[1:]))
    return [f"    {name} = a.get({question_of[name]!r}, _M)" for name in used]


def run(code: Any, **bound: Any) -> dict[str, Any]:
    """Execute a pack's compiled module; `bound` are the objects its code refers to (R, D)."""
    from .unchecked import and3, not3, or3
    from .validity import in_force

    namespace: dict[str, Any] = {"__builtins__": {"frozenset": frozenset, "dict": dict, "len": len},
                                 "_M": MISSING, "_compare": _compare, "_in_force": in_force,
                                 "_and3": and3, "_or3": or3, "_not3": not3, **bound}
    exec(code, namespace)  # noqa: S102 - our own generated source, see the module docstring
    return namespace


# --- The cache -------------------------------------------------------------------------------


class PackCache:
    """A folder of cache entries, one file per entry (``<key>.<kind>``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def read(self, kind: str, entry_key: str) -> bytes | None:
        """The entry's payload, or None when it is absent, unreadable or corrupt."""
        path = self.folder / f"{entry_key}.{kind}"
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        head = len(FORMAT)
        if len(blob) < head + 32 or not blob.startswith(FORMAT):
            log.warning("compiled pack cache: %s is not a cache file; compiling again", path)
            return None
        checksum, payload = blob[head:head + 32], blob[head + 32:]
        if hashlib.sha256(payload).digest() != checksum:
            log.warning("compiled pack cache: %s is corrupt or truncated; compiling again", path)
            return None
        return payload

    def write(self, kind: str, entry_key: str, payload: bytes, *, checked: bool = True) -> None:
        """Write the entry atomically (temporary file, then rename); a failure only logs."""
        path = self.folder / f"{entry_key}.{kind}"
        blob = FORMAT + hashlib.sha256(payload).digest() + payload if checked else payload
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(prefix=f".{entry_key[:16]}.", suffix=".tmp", dir=self.folder)
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(blob)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("compiled pack cache: cannot write %s (%s); packs are compiled at every start", path, exc)

    def load_code(self, entry_key: str) -> Any | None:
        payload = self.read("code", entry_key)
        if payload is None:
            return None
        try:
            return marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None

    def store_code(self, entry_key: str, code: Any) -> None:
        self.write("code", entry_key, marshal.dumps(code))

    def load_data(self, entry_key: str) -> Any | None:
        payload = self.read("pack", entry_key)
        if payload is None:
            return None
        try:
            return pickle.loads(payload)  # noqa: S301 - our own entry, checksummed; see the docstring
        except Exception:  # a pickle from other code: compile again
            return None

    def store_data(self, entry_key: str, value: Any) -> None:
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (RecursionError, pickle.PicklingError, TypeError, AttributeError) as exc:
            # Nested too deeply to pickle (such a pack fails its nesting check anyway): not kept.
            log.info("compiled pack cache: not keeping a pack (%s: %s)", type(exc).__name__, exc)
            return
        self.write("pack", entry_key, payload)

    def store_source(self, entry_key: str, source: str) -> None:
        """The generated source beside its code, for people reading what a pack became."""
        self.write("py", entry_key, source.encode("utf-8"), checked=False)


def cache_for(setting: Any, instance_path: str) -> PackCache | None:
    """The cache of ``COMPILED_PACKS_DIR``: None or "" -> the instance folder's
    ``compiled-packs``; False -> no cache (every start compiles)."""
    if setting is False:
        return None
    folder = Path(setting) if setting else Path(instance_path) / "compiled-packs"
    return PackCache(folder)
