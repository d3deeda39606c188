"""The advice engine: answers in, a ranked, explained advice out. Pure Python, no Flask.

The engine knows no rule. At start-up it asks the plugins for steps, questions, forms and risks
(checking ids for collisions), lets every plugin validate its rules, and fingerprints the rule
set. Per advice it calls each plugin's hook implementation itself through `advisor.containment`,
rather than through pluggy's one-shot hook call, so a plugin that raises, returns nonsense or
overruns the time budget is named and contained instead of failing the whole advice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import pluggy

from .containment import CONTAINED, HookCaller, Impl, TimeBudget
from .model import (
    SEVERITY_ORDER,
    Advice,
    Completeness,
    ConditionItem,
    Contribution,
    ExplanationItem,
    Form,
    PackRef,
    PluginFailure,
    Question,
    RankedForm,
    RiskDefinition,
    RiskFinding,
    RiskItem,
    Ruleset,
    SkippedQuestion,
    Step,
    SuccessCondition,
    Trigger,
    UncheckedRisk,
    localize,
)
from .plugins import LoadedPlugins, PluginInfo, PluginLoadError
from .reasons import N_
from .rulepack import RulePack
from .validity import judged_on

log = logging.getLogger("advisor.engine")

DEFAULT_TIE_MARGIN = 1.0
DEFAULT_TIME_BUDGET_MS = 2000.0
TRIGGER_CACHE_SIZE = 4096
"""Triggers (question, answer, language) kept across advices; enough for every option answer."""


class AnswersError(ValueError):
    """Answers that do not fit the questionnaire; `errors` maps ``answers.<id>`` to reasons."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)


class PluginFailed(RuntimeError):
    """Raised in strict mode when a plugin fails during an advice."""

    def __init__(self, failures: Sequence[PluginFailure]) -> None:
        super().__init__("; ".join(f"{f.plugin}.{f.hook}: {f.error}" for f in failures))
        self.failures = tuple(failures)


class Engine:
    """Everything the loaded plugins contribute, ready to turn answers into advice."""

    def __init__(
        self,
        loaded: LoadedPlugins,
        *,
        tie_margin: float = DEFAULT_TIE_MARGIN,
        strict: bool = False,
        trace: bool = False,
        time_budget_ms: float | None = DEFAULT_TIME_BUDGET_MS,
    ) -> None:
        self.manager: pluggy.PluginManager = loaded.manager
        self.plugins: list[PluginInfo] = loaded.infos
        self.load_failures = tuple(PluginFailure(s.name, "load", s.error, kind="load") for s in loaded.skipped)
        """Broken plugins left out at start-up: every advice names them and is incomplete."""
        self.tie_margin = tie_margin
        self.strict = strict
        self.trace = trace
        self.time_budget_ms = time_budget_ms
        """Per advice, for Python plugins' calls (None or 0: unbounded); see advisor.containment."""
        self._kinds = {info.name: info.kind for info in loaded.infos}
        self.observers: list[Callable[[Advice], None]] = []
        """Called with every advice made, refused ones too (strict mode), e.g. to count them."""
        self.steps: dict[str, Step] = {}
        self.questions: dict[str, Question] = {}
        self.forms: dict[str, Form] = {}
        self.risk_definitions: dict[str, RiskDefinition] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self._collect_definitions()
        self._validate()
        self.questions_view = MappingProxyType(self.questions)
        self.ordered_questions = sorted(self.questions.values(), key=self._question_position)
        self.required = tuple(q.id for q in self.ordered_questions if q.required)
        self._position = {q.id: i for i, q in enumerate(self.ordered_questions)}
        self._options = {qid: _OptionIndex.of(q) for qid, q in self.questions.items()}
        self._trigger_cache: dict[tuple[str, str, str | int], Trigger] = {}
        self._unchecked_cache: dict[tuple[str, tuple[str, ...], str], UncheckedRisk] = {}
        """Risks not checked as the advice shows them, by (risk, skipped questions, language)."""
        self.ruleset = self._fingerprint()
        self._score_impls = self._impls("score_forms")
        self._score_plan = [
            (impl, impl.function.__self__.score_into if _is_pack_scoring(impl) and not trace else None)
            for impl in self._score_impls
        ]
        """Each scoring implementation, with a rule pack's fast path (points added by its code)."""
        self._risk_impls = self._impls("assess_risks")
        self._condition_impls = self._impls("success_conditions")
        self._risk_plan = _pack_plan(self._risk_impls, RulePack.assess_risks, trace)
        self._condition_plan = _pack_plan(self._condition_impls, RulePack.success_conditions, trace)
        """Risk and condition implementations, rule packs' own called directly (their results
        were checked when the pack was compiled), the rest through the hook caller."""
        self._hooks = HookCaller(self.forms, self.risk_definitions, self.owners, trace=trace)

    # --- Start-up ---------------------------------------------------------------------------

    def _impls(self, hook_name: str) -> list[Impl]:
        hook = getattr(self.manager.hook, hook_name)
        return [
            Impl(impl.plugin_name, impl.function, tuple(impl.argnames), isinstance(impl.plugin, RulePack),
                 impl.plugin.unchecked_risks if isinstance(impl.plugin, RulePack) else None)
            for impl in hook.get_hookimpls()
        ]

    def _call_at_startup(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        results = []
        for impl in self._impls(hook_name):
            try:
                value = impl.function(*[kwargs[name] for name in impl.argnames])
            except (Exception, SystemExit) as exc:  # a sys.exit() in a plugin still names it
                message = f"plugin '{impl.plugin}' failed in {hook_name}: {type(exc).__name__}: {exc}"
                raise PluginLoadError(message, {impl.plugin: message}) from exc
            if value is None:
                continue
            if not isinstance(value, (list, tuple)):
                message = f"plugin '{impl.plugin}': {hook_name} must return a list, not {type(value).__name__}"
                raise PluginLoadError(message, {impl.plugin: message})
            results.extend((impl.plugin, item) for item in value)
        return results

    def _collect_definitions(self) -> None:
        sections: list[tuple[str, type, dict[str, Any], str]] = [
            ("register_steps", Step, self.steps, "step"),
            ("register_questions", Question, self.questions, "question"),
            ("register_forms", Form, self.forms, "form"),
            ("register_risks", RiskDefinition, self.risk_definitions, "risk"),
        ]
        for hook_name, kind, target, noun in sections:
            for plugin, item in self._call_at_startup(hook_name):
                if not isinstance(item, kind):
                    message = f"plugin '{plugin}': {hook_name} returned {type(item).__name__}, expected {kind.__name__}"
                    raise PluginLoadError(message, {plugin: message})
                problem = registration_problem(
                    noun, item.id, plugin, self.owners.get((noun, item.id)), self._kinds.get(plugin) == "builtin")
                if problem is not None:
                    message = f"plugin '{plugin}': {problem[0]} {problem[1]}"
                    raise PluginLoadError(message, {plugin: message})
                self.owners[(noun, item.id)] = plugin
                target[item.id] = item

    def _validate(self) -> None:
        problems: list[str] = []
        by_plugin: dict[str, list[str]] = {}

        def problem_of(plugin: str, text: str) -> None:
            problems.append(text)
            by_plugin.setdefault(plugin, []).append(text)

        if not self.forms:
            problems.append("no collaboration forms are loaded (is the core rule pack missing or denied?)")
        for question in self.questions.values():
            unknown = unknown_step(question.id, question.step, self.steps)
            if unknown is not None:
                owner = self.owners[("question", question.id)]
                problem_of(owner, f"plugin '{owner}': {unknown[0]}: {unknown[1]}")
        for plugin, problem in self._call_at_startup(
            "validate_rules", questions=MappingProxyType(self.questions),
            forms=MappingProxyType(self.forms), risks=MappingProxyType(self.risk_definitions),
        ):
            problem_of(plugin, str(problem))
        if problems:
            faults = {} if len(problems) != sum(map(len, by_plugin.values())) else by_plugin
            raise PluginLoadError("\n".join(problems), {name: "\n".join(lines) for name, lines in faults.items()})

    def _question_position(self, question: Question) -> tuple[int, int, int]:
        step = self.steps.get(question.step or "")
        plugin_position = [info.name for info in self.plugins].index(self.owners[("question", question.id)])
        return (step.order if step else 10_000, plugin_position, question.order)

    def _fingerprint(self) -> Ruleset:
        digest = hashlib.sha256()
        for info in sorted(self.plugins, key=lambda i: i.name):
            digest.update(f"{info.name}\0{info.version}\0{info.digest}\n".encode())
        packs = tuple(PackRef(info.name, info.version) for info in self.plugins)
        return Ruleset(digest.hexdigest(), packs)

    # --- Answers ----------------------------------------------------------------------------

    def validate_answers(self, answers: Any, *, require_complete: bool = True) -> dict[str, Any]:
        """Check answers against the questionnaire; returns them cleaned (skips dropped).

        Raises :class:`AnswersError` listing every problem by field.
        """
        if not isinstance(answers, Mapping):
            raise AnswersError({"answers": [N_("must be an object mapping question ids to answers")]})
        errors: dict[str, list[str]] = {}
        clean: dict[str, Any] = {}
        for key, value in answers.items():
            field = f"answers.{key}"
            question = self.questions.get(key)
            if question is None:
                errors[field] = [N_("unknown question")]
                continue
            if value is None:
                continue
            problem, cleaned = _check_answer(question, value, self._options[key])
            if problem:
                errors[field] = [problem]
            elif cleaned is not None:
                clean[key] = cleaned
        if require_complete:
            for qid in self.required:
                if qid not in clean and f"answers.{qid}" not in errors:
                    errors[f"answers.{qid}"] = [N_("this question is required")]
        if errors:
            raise AnswersError(errors)
        return clean

    def completeness(self, answers: Mapping[str, Any]) -> Completeness:
        answered = sum(1 for qid in self.questions if qid in answers)
        missing = tuple(qid for qid in self.required if qid not in answers)
        return Completeness(answered, len(self.questions), missing)

    # --- Advice -----------------------------------------------------------------------------

    def advise(self, answers: Any, lang: str = "nl", *, as_of: date | None = None) -> Advice:
        """Validate complete answers and produce the advice, in `lang`, with the rules in force
        on `as_of` (None: today)."""
        clean = self.validate_answers(answers)
        return self.advise_valid(clean, lang, as_of=as_of)

    def new_budget(self) -> TimeBudget:
        """A fresh time budget of the configured length (one per advice or what-if search)."""
        return TimeBudget(self.time_budget_ms)

    def advise_valid(self, answers: dict[str, Any], lang: str = "nl", *, as_of: date | None = None) -> Advice:
        """The advice for answers already passed through :meth:`validate_answers`."""
        if as_of is not None:
            with judged_on(as_of):
                return self.advise_valid(answers, lang)
        view = MappingProxyType(answers)
        failures: list[PluginFailure] = list(self.load_failures)
        budget = self.new_budget()
        triggers = self._trigger_lookup(answers, lang)
        known_triggers = triggers.known  # type: ignore[attr-defined]
        contributions, totals = self._score(view, failures, budget, answers)
        explanation = []
        add = explanation.append
        new_item = ExplanationItem  # positional below: this loop runs once per fired rule
        for plugin, items in contributions:
            for item in items:
                points = item.contributions
                if type(points) is not MappingProxyType:  # a plugin's own dict: keep a copy
                    points = dict(points)
                because = item.because
                reads = item.reads
                found = known_triggers.get(reads) if type(reads) is tuple else None  # inlined: once per fired rule
                add(new_item(item.rule, plugin, points, because[lang] if lang in because else localize(because, lang),
                             item.source, found if found is not None else triggers(reads)))
        ranking = self._rank(totals)
        recommended, tie_break = self._choose(ranking)
        margin = round(ranking[0].score - ranking[1].score, 6) if len(ranking) > 1 else ranking[0].score

        findings = self._call_plan(
            self._risk_plan, "assess_risks", RiskFinding, failures, budget, (view, recommended),
            answers=view, recommended=recommended, ranking=ranking, questions=self.questions_view,
        )
        risks: dict[str, RiskItem] = {}
        for plugin, items in findings:
            for finding in items:
                if finding.id in risks:
                    continue
                risks[finding.id] = RiskItem(
                    id=finding.id, severity=finding.severity, title=localize(finding.title, lang),
                    why=localize(finding.why, lang), advice=localize(finding.advice, lang),
                    source=finding.source, pack=plugin, triggers=triggers(finding.reads),
                )
        ordered_risks = tuple(sorted(risks.values(), key=_severity_rank))

        condition_items = self._call_plan(
            self._condition_plan, "success_conditions", SuccessCondition, failures, budget, (recommended, view),
            recommended=recommended, answers=view,
        )
        conditions = tuple(
            ConditionItem(id=c.id, text=localize(c.text, lang), pack=plugin, source=c.source)
            for plugin, items in condition_items for c in items if not c.informal_layer
        )
        informal_layer = next((
            ConditionItem(id=c.id, text=localize(c.text, lang), pack=plugin, source=c.source)
            for plugin, items in condition_items for c in items if c.informal_layer
        ), None)
        not_checked = self._not_checked(view, recommended, risks, lang)
        advice = Advice(
            recommended=recommended, ranking=ranking, margin=margin, tie_break=tie_break,
            risks=ordered_risks, explanation=tuple(explanation), conditions=conditions,
            completeness=self.completeness(answers), ruleset=self.ruleset, lang=lang,
            incomplete=bool(failures), failed_plugins=tuple(failures),
            not_checked=not_checked, informal_layer=informal_layer,
        )
        for observe in self.observers:
            observe(advice)
        if self.strict and len(failures) > len(self.load_failures):
            raise PluginFailed(failures[len(self.load_failures):])
        return advice

    def _call_plan(
        self, plan: Sequence[tuple[Impl, Callable[..., list[Any]] | None]], hook_name: str, kind: type,
        failures: list[PluginFailure], budget: TimeBudget, pack_args: tuple[Any, ...], **kwargs: Any,
    ) -> list[tuple[str, Sequence[Any]]]:
        """``HookCaller.call`` over `plan`, with a rule pack's own hook called directly with
        `pack_args` (its generated code failing is contained all the same)."""
        results: list[tuple[str, Sequence[Any]]] = []
        for impl, pack_hook in plan:
            if pack_hook is None:
                results += self._hooks.call((impl,), hook_name, kind, failures, budget, **kwargs)
                continue
            try:
                items = pack_hook(*pack_args)
            except CONTAINED as exc:  # never expected of generated code
                self._hooks._failed(impl.plugin, hook_name, f"{type(exc).__name__}: {exc}", failures, exc_info=True)
                continue
            if items:
                results.append((impl.plugin, items))
        return results

    def _not_checked(
        self, answers: Mapping[str, Any], recommended: str, fired: Mapping[str, RiskItem], lang: str
    ) -> tuple[UncheckedRisk, ...]:
        """The rule packs' risks that did not fire but could, had the skipped questions been
        answered; each with those questions in questionnaire order."""
        found: dict[str, UncheckedRisk] = {}
        for impl in self._risk_impls:
            if impl.unchecked is None:
                continue
            for risk_id, skipped in impl.unchecked(answers, recommended, fired):
                if risk_id in fired or risk_id in found or not skipped:
                    continue
                key = (risk_id, skipped, lang)
                item = self._unchecked_cache.get(key)
                if item is None:
                    item = self._unchecked_item(risk_id, skipped, lang)
                    if len(self._unchecked_cache) < TRIGGER_CACHE_SIZE:
                        self._unchecked_cache[key] = item
                found[risk_id] = item
        return tuple(sorted(found.values(), key=_severity_rank))

    def _unchecked_item(self, risk_id: str, skipped: Sequence[str], lang: str) -> UncheckedRisk:
        definition = self.risk_definitions[risk_id]
        ordered = sorted(skipped, key=self._position.__getitem__)
        return UncheckedRisk(
            id=risk_id, severity=definition.severity, title=localize(definition.title, lang),
            questions=tuple(SkippedQuestion(q, localize(self.questions[q].text, lang)) for q in ordered),
        )

    def recommend(self, answers: dict[str, Any], budget: TimeBudget | None = None) -> tuple[str, dict[str, float]]:
        """Only the recommended form and the scores: the cheap part of an advice, for what-ifs.
        A search passes one `budget` for all its calls (``budget.exceeded`` tells it to stop)."""
        _, totals = self._score(MappingProxyType(answers), [], budget or self.new_budget(), answers)
        return self._winner(totals), totals

    def _winner(self, totals: Mapping[str, float]) -> str:
        """``_choose(_rank(totals))[0]`` without building the ranking: the lightest form within
        the tie margin of the best (rounded) score, the higher score first among equal orders."""
        rounded = {form_id: round(score, 6) for form_id, score in totals.items()}
        best = max(rounded.values())
        limit = self.tie_margin + 1e-9
        near = [form_id for form_id, score in rounded.items() if best - score <= limit]
        if len(near) == 1:
            return near[0]
        forms = self.forms
        return min(near, key=lambda form_id: (forms[form_id].order, -rounded[form_id]))

    def _score(
        self, answers: Mapping[str, Any], failures: list[PluginFailure], budget: TimeBudget,
        plain: Mapping[str, Any] | None = None,
    ) -> tuple[list[tuple[str, Sequence[Contribution]]], dict[str, float]]:
        """Every plugin's contributions and the totals. `plain`: the dict behind the read-only
        `answers`, for the rule packs' generated code (ours, it only reads; a dict is faster)."""
        plain = answers if plain is None else plain
        totals = dict.fromkeys(self.forms, 0.0)
        contributions: list[tuple[str, Sequence[Contribution]]] = []
        for impl, score_into in self._score_plan:
            if score_into is not None:  # a rule pack: its compiled code adds its points itself
                try:
                    items = score_into(plain, totals)
                except CONTAINED as exc:  # never expected of generated code, contained all the same
                    self._hooks._failed(impl.plugin, "score_forms", f"{type(exc).__name__}: {exc}", failures,
                                        exc_info=True)
                    continue
                if items:
                    contributions.append((impl.plugin, items))
                continue
            for plugin, items in self._hooks.call(
                (impl,), "score_forms", Contribution, failures, budget,
                answers=answers, questions=self.questions_view,
            ):
                contributions.append((plugin, items))
                for item in items:
                    for form_id, points in item.contributions.items():
                        totals[form_id] += points
        return contributions, totals

    def _rank(self, totals: Mapping[str, float]) -> tuple[RankedForm, ...]:
        positive = {form_id: max(score, 0.0) for form_id, score in totals.items()}
        total_positive = sum(positive.values())
        count = len(totals)
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], self.forms[kv[0]].order))
        return tuple(
            RankedForm(
                form=form_id, score=round(score, 6),
                share=round(positive[form_id] / total_positive, 6) if total_positive else round(1 / count, 6),
            )
            for form_id, score in ranked
        )

    def _choose(self, ranking: Sequence[RankedForm]) -> tuple[str, bool]:
        """The lightest form within the tie margin of the best score; True when that was a choice."""
        best = ranking[0].score
        near = [entry.form for entry in ranking if best - entry.score <= self.tie_margin + 1e-9]
        if len(near) == 1:
            return near[0], False
        return min(near, key=lambda form_id: self.forms[form_id].order), True

    def _trigger_lookup(
        self, answers: Mapping[str, Any], lang: str
    ) -> Callable[[Sequence[str]], tuple[Trigger, ...]]:
        """``reads -> triggers`` for one advice. A trigger depends only on the question, the
        answer and the language, so triggers of option and number answers are kept across
        advices (a bounded cache); list answers get theirs once per advice. Each question's
        trigger and each distinct `reads` are resolved once per advice."""
        shared = self._trigger_cache
        own: dict[str, Trigger] = {}
        """This advice's triggers by question."""
        by_reads: dict[tuple[str, ...], tuple[Trigger, ...]] = {}

        def trigger(qid: str) -> Trigger:
            value = answers[qid]
            kind = type(value)
            if kind is str or kind is int:
                key = (lang, qid, value)
                found = shared.get(key)
                if found is None:
                    found = self._new_trigger(qid, value, lang)
                    if len(shared) < TRIGGER_CACHE_SIZE:
                        shared[key] = found
            else:
                found = self._new_trigger(qid, value, lang)
            own[qid] = found
            return found

        def lookup(reads: Sequence[str]) -> tuple[Trigger, ...]:
            found = by_reads.get(reads) if type(reads) is tuple else None
            if found is None:
                found = tuple([own[qid] if qid in own else trigger(qid) for qid in reads if qid in answers])
                if type(reads) is tuple:
                    by_reads[reads] = found
            return found

        lookup.known = by_reads  # type: ignore[attr-defined]  # for the engine's inlined look-up
        return lookup

    def _new_trigger(self, qid: str, value: Any, lang: str) -> Trigger:
        question = self.questions[qid]
        return Trigger(
            question=qid, question_text=localize(question.text, lang),
            answer=value, answer_text=question.label_of(value, lang),
        )


def registration_problem(
    noun: str, item_id: str, plugin: str, owner: str | None, builtin: bool
) -> tuple[str, str] | None:
    """(item, reason) start-up refuses when `plugin` registers this step, question, form or risk
    and `owner` already did; None when it may. ``rules check`` reports the same before install."""
    if owner is not None:
        return f"{noun} '{item_id}'", f"is defined by two plugins: '{owner}' and '{plugin}'"
    if noun == "question" and not builtin and "." not in item_id:
        return f"question '{item_id}'", f"must be namespaced, e.g. '{plugin}.{item_id}'"
    return None


def unknown_step(question_id: str, step: str | None, steps: Mapping[str, Any]) -> tuple[str, str] | None:
    """(item, reason) when a question names a step nobody registered; None when it is known."""
    if step is None or step in steps:
        return None
    return f"question '{question_id}'", f"step: unknown step '{step}' (known: {', '.join(steps)})"


def _pack_plan(impls: Sequence[Impl], method: Callable[..., Any], trace: bool
               ) -> list[tuple[Impl, Callable[..., list[Any]] | None]]:
    """Each implementation with the bound rule-pack `method` when it is a pack's own (not one a
    subclass replaced), to be called directly; None for the rest (and for all when tracing)."""
    return [(impl, impl.function if not trace and impl.checked
             and getattr(impl.function, "__func__", None) is method else None) for impl in impls]


def _is_pack_scoring(impl: Impl) -> bool:
    """Whether `impl` is a rule pack's own ``score_forms`` (not one a subclass replaced)."""
    return impl.checked and getattr(impl.function, "__func__", None) is RulePack.score_forms


def _severity_rank(risk: RiskItem | UncheckedRisk) -> int:
    return SEVERITY_ORDER[risk.severity]


@dataclass(frozen=True, slots=True)
class _OptionIndex:
    """A question's option ids as a tuple (for messages), a set and positions (for sorting)."""

    ids: tuple[str, ...]
    known: frozenset[str]
    position: Mapping[str, int]

    @classmethod
    def of(cls, question: Question) -> _OptionIndex:
        ids = question.option_ids()
        return cls(ids, frozenset(ids), {option: i for i, option in enumerate(ids)})


def _check_answer(question: Question, value: Any, options: _OptionIndex) -> tuple[str | None, Any]:
    """(problem, cleaned value) for one answer; cleaned None means 'treat as skipped'."""
    if question.kind == "choice":
        if not isinstance(value, str):
            return N_("must be one option id (a string)"), None
        if value not in options.known:
            return N_("unknown option '{option}' (known: {known})").format(option=value, known=", ".join(options.ids)), None
        return None, value
    if question.kind == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return N_("must be a list of option ids"), None
        if len(value) > len(options.ids):
            return N_("lists {given} options; the question has {known}").format(given=len(value), known=len(options.ids)), None
        unknown = [v for v in value if v not in options.known]
        if unknown:
            return N_("unknown option '{option}' (known: {known})").format(option=unknown[0], known=", ".join(options.ids)), None
        if len(set(value)) != len(value):
            return N_("an option is given more than once"), None
        if not value:
            return (N_("choose at least one option"), None) if question.required else (None, None)
        return None, sorted(value, key=options.position.__getitem__)
    if isinstance(value, bool) or not isinstance(value, int):
        return N_("must be a whole number"), None
    if (question.min is not None and value < question.min) or (question.max is not None and value > question.max):
        return N_("must be between {min} and {max}").format(min=question.min, max=question.max), None
    return None, value
