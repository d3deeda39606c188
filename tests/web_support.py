"""Helpers for the page tests: a two-step questionnaire with a plugin step, and a form filler."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REAL_RULES = ROOT / "rules"

PLUGIN_PACK = """
[pack]
id = "youth"
version = "0.2.0"
title = { nl = "Jeugd", en = "Youth" }

[[steps]]
id = "extra"
order = 50
title = { nl = "Jeugdhulp", en = "Youth care" }
intro = { nl = "Vragen van de jeugdplugin.", en = "Questions from the youth plugin." }

[[questions]]
id = "youth.safety_plan"
step = "extra"
kind = "choice"
required = true
text = { nl = "Is er een veiligheidsplan?", en = "Is there a safety plan?" }
help = { nl = "Een plan <b>voor</b> thuis.", en = "A plan <b>for</b> home." }
options = [
  { id = "yes", label = { nl = "Ja", en = "Yes" } },
  { id = "no", label = { nl = "Nee", en = "No" } },
]

[[rules]]
id = "safety-plan"
when = { "youth.safety_plan" = "yes" }
contributions = { program = 1 }
because = { nl = "Er is een plan <script>alert('nl')</script>", en = "There is a plan <script>alert('en')</script>" }
source = "test"

[[risks]]
id = "no_plan"
severity = "critical"
when = { "youth.safety_plan" = "no" }
title = { nl = "Geen plan <script>x()</script>", en = "No plan <script>x()</script>" }
why = { nl = "Er is geen veiligheidsplan.", en = "There is no safety plan." }
advice = { nl = "Maak er een.", en = "Make one." }
source = "test"
"""

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

UTRECHT_CLASS = re.compile(r"\s*\butrecht-[a-z0-9_-]+")
EMPTY_CLASS = re.compile(r'\s+class=""')


def markup(html: str) -> str:
    """A page without its NL Design System class names, for tests that read the page's own
    markup (tests/test_site.py checks the library's classes themselves)."""
    html = re.sub(r'class="([^"]*)"', lambda m: f'class="{UTRECHT_CLASS.sub("", m.group(1)).strip()}"', html)
    return EMPTY_CLASS.sub("", html)



def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of the visitor's session, read from a page as a browser would."""
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def first_answers(step: dict[str, Any]) -> dict[str, Any]:
    """Form data answering every question of a step: the first option, or a number in range."""
    data: dict[str, Any] = {}
    for question in step["questions"]:
        if question["kind"] == "integer":
            low = question["min"] if question["min"] is not None else 0
            data[question["id"]] = str(max(low, min(12, question["max"] or 12)))
        else:
            data[question["id"]] = question["options"][0]["id"]
    return data


def fill_all_steps(client, lang: str = "nl") -> dict[str, Any]:
    """Walk every step with answers from `first_answers`; returns the answers as the API wants them."""
    steps = client.get(f"/api/v1/questionnaire?lang={lang}").get_json()["steps"]
    answers: dict[str, Any] = {}
    token = csrf_token(client, "/steps/1")
    for number, step in enumerate(steps, start=1):
        data = first_answers(step)
        response = client.post(f"/steps/{number}", data={**data, "nav": "next", "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        for question in step["questions"]:
            value = data[question["id"]]
            answers[question["id"]] = (
                int(value) if question["kind"] == "integer"
                else [value] if question["kind"] == "multi" else value
            )
    assert response.headers["Location"].endswith("/advice")
    return answers


def has_real_rules() -> bool:
    return any(REAL_RULES.glob("*.toml"))
