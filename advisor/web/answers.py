"""From what a person typed in a step to clean answers, with errors in words next to each question.

The raw values (the *draft*) are kept exactly as entered, including invalid ones, so a page shown
again after an error still holds everything the person typed. Clean answers are derived from the
draft whenever they are needed, with the same checks as the engine's ``validate_answers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

Question = Mapping[str, Any]
"""A question as ``questionnaire_data`` gives it: id, kind, text, help, required, options, min, max."""

Draft = dict[str, Any]
"""Raw values by question id: a string for choice and integer questions, a list for multi."""

MAX_RAW_LENGTH = 20


def read_step(form: MultiDict, questions: Iterable[Question]) -> Draft:
    """The raw values a step's form sent, one per question (absent means 'not answered')."""
    draft: Draft = {}
    for question in questions:
        qid = question["id"]
        if question["kind"] == "multi":
            draft[qid] = [value[:MAX_RAW_LENGTH] for value in form.getlist(qid)]
        else:
            draft[qid] = form.get(qid, "").strip()[:MAX_RAW_LENGTH]
    return draft


def check(question: Question, raw: Any) -> tuple[Any, str | None]:
    """(clean value or None when skipped, error in words or None) for one raw value."""
    kind, required = question["kind"], question["required"]
    known = [option["id"] for option in question["options"]]
    if kind == "multi":
        values = [v for v in (raw or []) if isinstance(v, str)]
        if not values:
            return None, _("Choose at least one option.") if required else None
        if any(v not in known for v in values):
            return None, _("Choose from the options shown.")
        return sorted(set(values), key=known.index), None
    text = raw.strip() if isinstance(raw, str) else ""
    if kind == "choice":
        if not text:
            return None, _("Choose an answer.") if required else None
        if text not in known:
            return None, _("Choose one of the options shown.")
        return text, None
    if not text:
        return None, _("Fill in a number.") if required else None
    low, high = question.get("min"), question.get("max")
    if not text.isdigit():
        return None, _("Fill in a whole number, for example 12.")
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        return None, _("Fill in a number from %(low)s to %(high)s.", low=low, high=high)
    return number, None


def clean(questions: Iterable[Question], draft: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean answers and errors (by question id) for these questions from the draft."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        value, error = check(question, draft.get(question["id"]))
        if error:
            errors[question["id"]] = error
        elif value is not None:
            answers[question["id"]] = value
    return answers, errors


def clean_steps(
    steps: Iterable[Mapping[str, Any]], draft: Mapping[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """The draft's clean answers over all steps, and the number of the first step with an error
    (None: none), from one pass over the questions."""
    answers: dict[str, Any] = {}
    first_invalid = None
    for number, step in enumerate(steps, start=1):
        clean_step, errors = clean(step["questions"], draft)
        answers.update(clean_step)
        if errors and first_invalid is None:
            first_invalid = number
    return answers, first_invalid


def error_summary(questions: Iterable[Question], errors: Mapping[str, str]) -> list[dict[str, str]]:
    """The errors in question order, each linked to the control to fix (the summary at the top)."""
    return [{"text": q["text"], "error": errors[q["id"]], "target": first_input_id(q)}
            for q in questions if q["id"] in errors]


def first_input_id(question: Question) -> str:
    """The id of the control an error summary link should focus."""
    if question["kind"] == "integer":
        return f"q-{question['id']}"
    return f"q-{question['id']}-{question['options'][0]['id']}" if question["options"] else f"q-{question['id']}"


def answer_text(question: Question, value: Any) -> str:
    """A stored answer in the words the page shows for it ("No answer" when there is none)."""
    if value is None or value == []:
        return _("No answer")
    labels = {option["id"]: option["label"] for option in question["options"]}
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    return labels.get(value, str(value))


def describe_conflicts(questions: Iterable[Question], conflicts: Iterable[Any]) -> list[dict[str, str]]:
    """Each conflict (question, theirs, mine) as the page shows it: the question and both answers
    in words, and the control to focus."""
    by_id = {question["id"]: question for question in questions}
    return [
        {"question": by_id[c.question]["text"], "theirs": answer_text(by_id[c.question], c.theirs),
         "mine": answer_text(by_id[c.question], c.mine), "target": first_input_id(by_id[c.question]),
         "id": c.question}
        for c in conflicts if c.question in by_id
    ]
