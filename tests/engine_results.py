"""Every worked case's advice and what-if, as plain data, to hold the engine to what it gave.

``tests/recorded/engine_results.jsonl`` (one case and language a line) was written by the engine before rule packs were compiled
to Python (commit 49bb65f) with::

    PYTHONPATH=<checkout of 49bb65f> python tests/engine_results.py > tests/recorded/engine_results.jsonl

``test_compiled_packs.py`` compares today's engine with it: the same advice, risks, not-checked
risks, explanation and alternatives for every case, in both languages.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "cases").glob("*.toml"))


def _triggers(triggers: Any) -> list[list[Any]]:
    return [[t.question, t.question_text, t.answer, t.answer_text] for t in triggers]


RECORDED_ON = date(2026, 12, 1)
"""The day the results were recorded: a case without ``as_of`` is judged on it (rules have dates)."""


def summary(engine: Any, case: Any, lang: str) -> dict[str, Any]:
    from advisor.validity import judged_on
    from advisor.whatif import what_would_change

    day = case.as_of or RECORDED_ON
    advice = engine.advise(case.answers, lang, as_of=day)
    clean = engine.validate_answers(case.answers)
    with judged_on(day):
        found = what_would_change(engine, clean, advice.recommended, lang)
    return {
        "recommended": advice.recommended, "margin": advice.margin, "tie_break": advice.tie_break,
        "ranking": [[r.form, r.score, r.share] for r in advice.ranking],
        "explanation": [[e.rule, e.pack, dict(e.contributions), e.because, e.source, _triggers(e.triggers)]
                        for e in advice.explanation],
        "risks": [[r.id, r.severity, r.title, r.why, r.advice, r.source, r.pack, _triggers(r.triggers)]
                  for r in advice.risks],
        "conditions": [[c.id, c.text, c.pack, c.source] for c in advice.conditions],
        "informal_layer": advice.informal_layer.id if advice.informal_layer else None,
        "not_checked": [[u.id, u.severity, u.title, [[q.question, q.question_text] for q in u.questions]]
                        for u in advice.not_checked],
        "completeness": [advice.completeness.answered, advice.completeness.total,
                         list(advice.completeness.required_missing)],
        "alternatives": [[a.form, [[c.question, c.before, c.after] for c in a.changes]] for a in found.alternatives],
    }


def results(engine: Any) -> dict[str, Any]:
    from advisor.cases import load_cases

    out: dict[str, Any] = {}
    for path in CASES:
        for case in load_cases(path):
            for lang in ("nl", "en"):
                out[f"{path.name}:{case.id}:{lang}"] = summary(engine, case, lang)
    return out


def engine_for_recording(instance: str) -> Any:
    from advisor import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS_ENTRY_POINTS": False,
                      "RATELIMIT_ENABLED": False, "INSTANCE_DIR": instance, "ADVICE_TIME_BUDGET_MS": 0})
    return app.extensions["advisor"].engine


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for name, value in sorted(results(engine_for_recording(folder)).items()):
            sys.stdout.write(json.dumps({"case": name, **value}, ensure_ascii=False, sort_keys=True) + "\n")
