"""Schemathesis hooks for this API, loaded by the in-process contract test (import) and by the
CLI run against gunicorn (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).

Schemathesis cannot send ``application/x-ndjson`` on its own: a generated batch item goes as one
JSON line (the NDJSON form of ``POST /advice/batch``)."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return json.dumps(value).encode() + b"\n"
