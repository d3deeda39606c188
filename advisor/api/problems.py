"""RFC 9457 problem details for every error the JSON API gives, 4xx and 5xx alike.

Every problem has a stable ``type`` URI per class of error (``advisor/api/problem_types.py``),
its texts (``title``, ``detail``, every reason) in the request's language, chosen as for every
other text of the API (``request_lang``), and for refused fields both the v1 ``errors`` object
(dotted field to reasons, as v1 clients read it) and ``invalidParams`` (one entry per reason,
``name`` a JSON Pointer into the body, which stays unambiguous for dotted question ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, has_request_context, json, request
from werkzeug.exceptions import HTTPException

from ..reasons import Reason, say
from . import problem_types, strictjson

PROBLEM_MIMETYPE = "application/problem+json"
DICT_ENTRY_PARTS = frozenset({"key", "value"})
"""marshmallow's Dict field reports an entry's errors under "key" and "value"."""
WHOLE_BODY = frozenset({"_schema", "body", "json"})
PARAMETER_LOCATIONS = frozenset({"query", "headers", "path", "view_args"})


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs/marshmallow messages ({"json": {"answers": {...}}}) as {"answers.x": [...]}."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = str(key)
            if not prefix and name == "json":
                name = ""
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "body": list(messages)}
    if isinstance(messages, list):
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}[{index}]"))
        return flat
    return {prefix or "body": [messages if isinstance(messages, str) else str(messages)]}


def pointer(*parts: Any) -> str:
    """A JSON Pointer (RFC 6901) from path parts: ``~`` and ``/`` escaped, "" the whole body."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def invalid_params_from_messages(messages: Any, path: tuple[Any, ...] = ()) -> list[dict[str, str]]:
    """webargs/marshmallow's nested messages as invalidParams: one {name, reason} per reason."""
    if isinstance(messages, Mapping):
        if path and set(messages) <= DICT_ENTRY_PARTS:   # a Dict entry: its key or its value
            return [entry for part in messages.values() for entry in invalid_params_from_messages(part, path)]
        params = []
        for key, value in messages.items():
            if not path and key in PARAMETER_LOCATIONS:   # ?lang=xx: named as the parameter
                params += [{"name": str(name), "reason": entry["reason"]} for name, reasons in value.items()
                           for entry in invalid_params_from_messages(reasons, ("_",))]
                continue
            whole = str(key) in WHOLE_BODY and (not path or key == "_schema")
            params += invalid_params_from_messages(value, path if whole else (*path, key))
        return params
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"name": pointer(*path), "reason": reason} for reason in messages]
    if isinstance(messages, list):
        return [entry for index, value in enumerate(messages)
                for entry in invalid_params_from_messages(value, (*path, index))]
    return [{"name": pointer(*path), "reason": messages if isinstance(messages, str) else str(messages)}]


def invalid_params_from_errors(errors: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """A flat ``errors`` object as invalidParams. Keys are ``answers.<question id>`` (the id may
    hold dots: it is taken whole), a top-level field, or ``body`` for the whole document."""
    params = []
    for key, reasons in errors.items():
        if key in WHOLE_BODY:
            name = ""
        elif key.startswith("answers."):
            name = pointer("answers", key.removeprefix("answers."))
        else:
            name = pointer(*key.split("."))
        params += [{"name": name, "reason": reason if isinstance(reason, str) else str(reason)} for reason in reasons]
    return params


PROBLEM_DEFAULT_LANG = "nl"
"""The language of a problem made outside a request (none is: every problem answers one)."""
BODY_LANG_MAX_BYTES = 1024 * 1024
"""A body read for its ``lang`` after an error: larger ones (a batch) name their language themselves."""


def request_lang(explicit: Any = None) -> str:
    """The language a problem is written in, chosen as for every other text of the API:
    `explicit` (a batch item's ``lang``), ``lang`` in the body, ``?lang=``, Accept-Language,
    then ``DEFAULT_LANG``. A ``lang`` that is not a language is passed over (it is the error)."""
    if not has_request_context():
        return PROBLEM_DEFAULT_LANG
    languages = current_app.config["LANGUAGES"]
    for asked in (explicit, body_lang(), request.args.get("lang")):
        if isinstance(asked, str) and asked.lower() in languages:
            return asked.lower()
    return request.accept_languages.best_match(languages) or current_app.config["DEFAULT_LANG"]


def body_lang() -> Any:
    """The top-level ``lang`` of a JSON body the route has read already (only on the error path:
    a body not read, e.g. one refused for its size, is not read for this)."""
    data = getattr(request, "_cached_data", None)
    if not data or len(data) > BODY_LANG_MAX_BYTES or request.method not in ("POST", "PUT", "PATCH"):
        return None
    try:
        body = strictjson.loads(data)
    except (ValueError, RecursionError):
        return None
    return body.get("lang") if isinstance(body, dict) else None


def detail_in(detail: str, lang: str) -> str:
    """A problem's ``detail`` in `lang`: a Reason from the catalogs, a fixed text from
    ``DUTCH_DETAILS`` (the API's own and werkzeug's)."""
    if isinstance(detail, Reason):
        return say(detail, lang)
    return problem_types.DUTCH_DETAILS.get(detail, detail) if lang == "nl" else detail


def said_in(lang: str, errors: Mapping[str, list[str]],
            invalid_params: list[dict[str, str]] | None) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """``errors`` and ``invalidParams`` with every reason in `lang` (their keys and names as they are)."""
    if invalid_params is None:
        invalid_params = invalid_params_from_errors(errors)
    return ({key: [say(reason, lang) for reason in reasons] for key, reasons in errors.items()},
            [{**param, "reason": say(param["reason"], lang)} for param in invalid_params])


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    errors: Mapping[str, list[str]] | None = None,
    invalid_params: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    lang: str | None = None,
    **extra: Any,
) -> Response:
    """A problem-details response; `title`, `detail` and the reasons in the request's language
    (`lang` when the route knows it)."""
    lang = request_lang(lang)
    kind = problem_types.for_status(status)
    body: dict[str, Any] = {
        "type": kind.uri if kind else "about:blank",
        "title": kind.title.get(lang, kind.title["en"]) if kind else (title or problem_types.GENERIC[lang]),
        "status": status,
    }
    if detail:
        body["detail"] = detail_in(detail, lang)
    body["instance"] = request.path
    if errors:
        body["errors"], body["invalidParams"] = said_in(lang, errors, invalid_params)
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Content-Language"] = lang
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    invalid_params = None
    if errors is None and "messages" in data:
        errors = flatten_errors(data["messages"])
        invalid_params = invalid_params_from_messages(data["messages"])
    detail = data.get("message") or error.description
    if errors and not data.get("message"):
        detail = "The request does not fit the API: see errors."
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            headers.setdefault(name, value)
    extra = {key: data[key] for key in ("failed_plugins", "currentRuleset", "current_version") if key in data}
    return problem(error.code or 500, error.name, detail, errors=errors, invalid_params=invalid_params,
                   headers=headers, lang=data.get("lang"), **extra)
