"""RFC 9457 problem details for every error the JSON API gives, 4xx and 5xx alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_MIMETYPE = "application/problem+json"


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
    return {prefix or "body": [str(messages)]}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = dict(errors)
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors")
    if errors is None and "messages" in data:
        errors = flatten_errors(data["messages"])
    detail = data.get("message") or error.description
    if errors and not data.get("message"):
        detail = "The request does not fit the API: see errors."
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            headers.setdefault(name, value)
    extra = {key: data[key] for key in ("failed_plugins", "current_version") if key in data}
    return problem(error.code or 500, error.name, detail, errors=errors, headers=headers, **extra)
