"""The baseline for bench/load: the least a Flask app can do for the same request.

It parses the same JSON body as ``POST /api/v1/advice`` and answers a small fixed JSON, so the
ratio real/minimal shows what the advisor costs beyond Flask and gunicorn themselves.
Run: ``gunicorn --workers 2 --bind 127.0.0.1:8001 --chdir bench minimal_app:app``.
"""

from __future__ import annotations

from flask import Flask, abort, request

app = Flask(__name__)


@app.post("/api/v1/advice")
def advice():
    body = request.get_json()
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        abort(422)
    return {"recommended": "informal", "answered": len(body["answers"])}
