"""POST /api/v1/advice/batch: advice for a platform's whole portfolio in one request.

One result per answer set, in the order sent, each under the platform's own ``ref``: the advice,
or a problem (422 for answers that do not fit) for that item alone. One bad item never fails
the batch; only a body that is not a batch at all (or a rule-set precondition) does.

Two forms of the same operation:

- ``application/json``: ``{"items": [{"ref": ..., "answers": {...}}, ...]}``, up to
  ``BATCH_MAX_ITEMS`` (1,000) items, answered as one JSON document;
- ``application/x-ndjson``: one item per line, as many as ``BATCH_NDJSON_MAX_ITEMS`` within
  ``BATCH_MAX_CONTENT_LENGTH`` bytes, answered as one result per line while the lines are read,
  so neither side holds the whole set in memory.

Rate limits: the request counts once when it arrives, like any write; once its items are known
it is charged ``ceil(items / BATCH_ITEMS_PER_REQUEST) - 1`` more on every limit it counted
against, so a batch of 1,000 weighs as 10 requests at the default of 100 and a portfolio in one
batch cannot get around the limits that hold for single requests.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask_smorest import abort
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from .. import limit_classes
from ..engine import AnswersError, PluginFailed
from ..extension import get_advisor
from ..reasons import N_
from ..wire import advice_to_wire
from . import strictjson
from .batch_schemas import BatchItemSchema, BatchRequestSchema, BatchResponseSchema, BatchResultSchema
from .blueprint import Blueprint
from .fastload import batch_item_loader
from .problem_docs import BAD_BODY
from .problem_types import GENERIC, for_status
from .problems import detail_in, flatten_errors, invalid_params_from_messages, said_in
from .views import ACCEPT_LANGUAGE, IF_MATCH, check_ruleset, json_response, pick_lang, ruleset_dict

NDJSON = "application/x-ndjson"
JSON = "application/json"

blp = Blueprint("api_v1_batch", __name__, url_prefix="/api/v1/advice",
                description="Advice for many answer sets at once, each under the platform's own ref.")

ITEM = BatchItemSchema()
ITEM_LOAD = batch_item_loader(ITEM)  # the schema's result, without its machinery for plain items
REQUEST = BatchRequestSchema()


@blp.before_request
def json_or_ndjson_body():
    """A batch is JSON or NDJSON; anything else is a 415."""
    mimetype = request.mimetype or ""
    if request.method == "POST" and mimetype != NDJSON and mimetype != JSON and not mimetype.endswith("+json"):
        abort(415, message=N_("Send the batch as {json} or as {ndjson} (one item per line).").format(json=JSON, ndjson=NDJSON))


def item_problem(status: int, detail: str, lang: str, errors: dict[str, list[str]] | None = None,
                 invalid_params: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """A problem for one item, with the same members as a problem-details response, in `lang`
    (the item's language, else the batch's: the language its advice would have been in)."""
    kind = for_status(status)
    body: dict[str, Any] = {"type": kind.uri if kind else "about:blank",
                            "title": kind.title[lang] if kind else GENERIC[lang], "status": status,
                            "detail": detail_in(detail, lang)}
    if errors:
        body["errors"], body["invalidParams"] = said_in(lang, errors, invalid_params)
    body.update(extra)
    return body


def item_lang(raw: Any, batch_lang: str) -> str:
    """An item's language: its own ``lang`` (any case) when that is a language, else the batch's."""
    asked = raw.get("lang") if isinstance(raw, dict) else None
    if isinstance(asked, str) and asked.lower() in current_app.config["LANGUAGES"]:
        return asked.lower()
    return batch_lang


def advise_item(raw: Any, lang: str, *, alternatives: bool = False) -> dict[str, Any]:
    """One item's result in its wire form (``BatchResultSchema`` documents it): ``{"ref",
    "status": 200, "advice"}`` or ``{"ref", "status", "problem"}``."""
    ref = raw.get("ref") if isinstance(raw, dict) and isinstance(raw.get("ref"), str) else None
    try:
        item = ITEM_LOAD(raw)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return {"ref": ref, "status": 422, "advice": None, "problem": item_problem(
            422, "This item does not fit the API: see errors.", item_lang(raw, lang), flatten_errors(messages),
            invalid_params_from_messages(messages))}
    engine = get_advisor().engine
    language = item.get("lang") or lang
    try:
        clean = engine.validate_answers(item["answers"])
        advice = engine.advise_valid(clean, language)
    except AnswersError as exc:
        return {"ref": ref, "status": 422, "advice": None, "problem": item_problem(
            422, "Some answers do not fit the questionnaire: see errors.", language, exc.errors)}
    except PluginFailed as exc:
        return {"ref": ref, "status": 503, "advice": None, "problem": item_problem(
            503, "A rule plugin failed and strict mode is on.", language, failed_plugins=[
                {"plugin": f.plugin, "hook": f.hook, "error": f.error} for f in exc.failures])}
    if alternatives:
        from dataclasses import replace

        from ..whatif import alternatives as what_would_change
        advice = replace(advice, alternatives=tuple(what_would_change(engine, clean, advice.recommended, language)))
    return {"ref": ref, "status": 200, "advice": advice_to_wire(advice), "problem": None}


@blp.route("/batch", methods=["POST"], parameters=[ACCEPT_LANGUAGE, IF_MATCH])
@blp.doc(requestBody={"required": True, "description": "The answer sets, as one JSON document or as NDJSON.",
                      "content": {JSON: {"schema": BatchRequestSchema,
                                         "example": BatchRequestSchema.EXAMPLE},
                                  NDJSON: {"schema": BatchItemSchema, "example": BatchItemSchema.EXAMPLE_LINE}}})
@blp.response(200, BatchResponseSchema, description="One result per item, in the order sent.",
              headers={"Advisor-Ruleset": {"description": "Fingerprint of the rule set that produced the advice.",
                                           "schema": {"type": "string"}}})
@blp.doc(responses={200: {"content": {NDJSON: {"schema": BatchResultSchema}}}})
@blp.problems(BAD_BODY, {412: "The rule set is not the one the request asked for (`ruleset` or `If-Match`).",
                         422: "The body is not a batch (no `items`, or more than allowed)."})
def advice_batch():
    """Advice for up to 1,000 answer sets in one request (NDJSON: more, streamed), each with its own ref.
    One result or one problem per item, in order; a bad item never fails the batch."""
    request.max_content_length = current_app.config["BATCH_MAX_CONTENT_LENGTH"]
    if request.mimetype == NDJSON:
        return ndjson_batch()
    raw = _json_body()
    try:
        body = REQUEST.load(raw)
    except ValidationError as exc:
        abort(422, messages={"json": exc.messages}, lang=raw.get("lang") if isinstance(raw, dict) else None)
    check_ruleset(body.get("ruleset"))
    lang = pick_lang(body.get("lang"))
    charge_rate_limits(len(body["items"]))
    results = [advise_item(item, lang, alternatives=body["alternatives"]) for item in body["items"]]
    failed = sum(1 for result in results if result["status"] != 200)
    return json_response({"lang": lang, "ruleset": ruleset_dict(), "results": results,
                          "succeeded": len(results) - failed, "failed": failed})


def _json_body() -> Any:
    try:
        return strictjson.loads(request.get_data(cache=True))
    except (RecursionError, ValueError) as exc:
        abort(400, messages={"json": [strictjson.invalid_body(exc)]})


def ndjson_batch() -> Response:
    """Stream one result line per item line; lines that are not JSON get a 400 result of their own."""
    check_ruleset(None)
    lang = pick_lang(None)
    limit = current_app.config["BATCH_NDJSON_MAX_ITEMS"]
    stream = request.stream
    limits = counted_limits()

    def results() -> Iterator[bytes]:
        try:
            yield from advise_lines()
        except RequestEntityTooLarge:
            yield _line({"ref": None, "status": 413, "advice": None, "problem": item_problem(
                413, N_("The NDJSON body is over {limit} bytes: the rest was not read.").format(
                    limit=request.max_content_length), lang)})

    def advise_lines() -> Iterator[bytes]:
        count = 0
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            count += 1
            if count > limit:
                result = {"ref": None, "line": number, "status": 413, "advice": None, "problem": item_problem(
                    413, N_("At most {limit} items per NDJSON batch: this line and the rest were not read.").format(
                        limit=limit), lang)}
                yield _line(result)
                charge_rate_limits(limit, limits)
                return
            try:
                raw = strictjson.loads(line)
            except (ValueError, RecursionError) as exc:
                result = {"ref": None, "status": 400, "advice": None, "problem": item_problem(
                    400, "This line is not JSON: see errors.", lang, {"body": [strictjson.invalid_body(exc)]})}
            else:
                result = advise_item(raw, lang)
            yield _line({**result, "line": number})
        charge_rate_limits(count, limits)

    response = Response(stream_with_context(results()), mimetype=NDJSON)
    response.headers["Advisor-Ruleset"] = get_advisor().engine.ruleset.fingerprint
    return response


def counted_limits() -> list[Any]:
    """The rate-limit windows this request counted against, taken now: a streamed response
    outlives the request's context."""
    return limit_classes.counted_limits()


def charge_rate_limits(items: int, limits: list[Any] | None = None) -> None:
    """Charge the batch's items on every rate limit the request counted against (once already)."""
    extra = math.ceil(items / current_app.config["BATCH_ITEMS_PER_REQUEST"]) - 1
    if extra > 0:
        limit_classes.charge(counted_limits() if limits is None else limits, extra)


def _line(result: dict[str, Any]) -> bytes:
    return current_app.json.encode(result) + b"\n"
