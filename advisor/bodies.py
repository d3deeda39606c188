"""Request bodies without a Content-Length (``Transfer-Encoding: chunked``): the same limit and
the same errors as bodies with one.

Werkzeug caps such a stream at ``MAX_CONTENT_LENGTH`` by reading no further, so a larger body
arrived cut off at the limit and was accepted as if it were whole: data silently lost. A chunk
size that the server cannot parse raised inside the view, a 500. Here the body is read before
anything else looks at it (CSRF, rate limits, the views): over the limit is a 413, malformed
chunking (or a body that ends early) is a 400, and what passes is handed on whole, with its
length, so nothing downstream depends on how it was framed.
"""

from __future__ import annotations

import io

from flask import Flask, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

try:
    from gunicorn.http.errors import ParseException as _ServerParseError
except ImportError:  # another WSGI server: its errors are ValueErrors or OSErrors
    _ServerParseError = ValueError  # type: ignore[assignment,misc]

MALFORMED = (_ServerParseError, ValueError, OSError)
"""What a WSGI server's chunked reader raises for bad chunk sizes, missing terminators or a body
that ends early (gunicorn's ``NoMoreData`` is an OSError)."""
READ_SIZE = 64 * 1024


def read_unframed_body() -> None:
    """Buffer a chunked body up to the limit; 413 past it, 400 when its framing is broken."""
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or not _is_streamed(environ):
        return  # framed by its length (or no body): Werkzeug enforces the limit itself
    limit = request.max_content_length
    if limit is None:
        return
    stream = environ["wsgi.input"]
    body = bytearray()
    try:
        while len(body) <= limit:
            piece = stream.read(min(READ_SIZE, limit + 1 - len(body)))
            if not piece:
                break
            body += piece
    except MALFORMED:
        raise BadRequest("The chunked request body is malformed (bad chunk size or framing, "
                         "or the body ended early).") from None
    if len(body) > limit:
        raise RequestEntityTooLarge(f"The request body is larger than {limit} bytes.")
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


def _is_streamed(environ: dict) -> bool:
    """A body whose end the server finds by itself: chunked transfer coding."""
    coding = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in coding or (bool(environ.get("wsgi.input_terminated")) and bool(coding))


def init_app(app: Flask) -> None:
    """Register first, so the body is whole (or refused) before any other hook reads it."""
    app.before_request_funcs.setdefault(None, []).insert(0, read_unframed_body)
