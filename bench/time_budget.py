#!/usr/bin/env python3
"""What the time budget (ADVICE_TIME_BUDGET_MS) costs and what it bounds, in-process.

  .venv/bin/python bench/time_budget.py [--seconds 2]

1. Microseconds per advice with one quick Python plugin, budget on (a SIGALRM timer armed and
   disarmed around each Python plugin call) and off: the price of the timer.
2. The wall time of an advice with "what would change the advice" (what the browser's advice
   page computes) with a plugin taking 0.3 s per call: unbounded (budget 0) it is one call per
   what-if evaluation; with the default budget it ends at about twice the budget.

Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402

from advisor import create_app, hookimpl  # noqa: E402
from advisor.model import Contribution  # noqa: E402
from advisor.whatif import what_would_change  # noqa: E402

FULL = {
    "scope": "ongoing_task", "horizon": "years", "change_type": "known_goal",
    "domains": ["care", "welfare", "youth"], "partners": 12, "budget": "one_off", "trust": "moderate",
}


class Quick:
    @hookimpl
    def score_forms(self, answers):
        return [Contribution(rule="quick", contributions={"program": 0.5}, because={"nl": "x", "en": "x"})]


class Slow:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @hookimpl
    def score_forms(self):
        time.sleep(self.seconds)
        return []


def engine(budget_ms: float, plugin: object):
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_DIR": tempfile.mkdtemp(),
                      "PLUGINS_ENTRY_POINTS": False, "RATELIMIT_ENABLED": False,
                      "ADVICE_TIME_BUDGET_MS": budget_ms, "PLUGINS_EXTRA": [("bench", plugin)]})
    return app.extensions["advisor"].engine


def per_advice(budget_ms: float, seconds: float) -> float:
    eng = engine(budget_ms, Quick())
    answers = eng.validate_answers(FULL)
    for _ in range(200):
        eng.advise_valid(answers)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(100):
            eng.advise_valid(answers)
        count += 100
    return (time.perf_counter() - started) / count * 1e6


def with_alternatives(budget_ms: float, seconds_per_call: float) -> tuple[float, bool, int]:
    eng = engine(budget_ms, Slow(seconds_per_call))
    answers = eng.validate_answers(FULL)
    started = time.perf_counter()
    advice = eng.advise_valid(answers)
    found = what_would_change(eng, answers, advice.recommended)
    return time.perf_counter() - started, found.partial, len(found.alternatives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per figure")
    parser.add_argument("--unbounded", action="store_true", help="also run the 0.3 s plugin without a budget (minutes)")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    for budget in (2000, 0):
        print(f"advice, core packs + 1 quick Python plugin, budget {budget or 'off'}: "
              f"{per_advice(budget, args.seconds):.1f} us per advice")
    for budget in (2000, 500):
        elapsed, partial, count = with_alternatives(budget, 0.3)
        print(f"advice + what-if, plugin 0.3 s per call, budget {budget} ms: {elapsed:.2f} s, "
              f"{count} alternatives, partial={partial}")
    if args.unbounded:
        elapsed, partial, count = with_alternatives(0, 0.3)
        print(f"advice + what-if, plugin 0.3 s per call, no budget: {elapsed:.1f} s, {count} alternatives")


if __name__ == "__main__":
    main()
