"""The app's Flask class: the embed-aware one, minus a per-hook cost that every request paid.

Flask asks ``inspect.iscoroutinefunction`` of every request hook and view on every request
(``ensure_sync``: ~20 times per advice request). Whether a function is a coroutine function
does not change, so the answer is kept per function; async views still run through
``async_to_sync`` as before.

Werkzeug also copies every response's headers before sending them (``get_wsgi_headers``),
checking each value again on the way (~8 µs for an advice's dozen headers): ``AdvisorResponse``
copies them as they are when Werkzeug would change nothing in the copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from werkzeug.datastructures import Headers

from .web.embed import Flask as EmbedAwareFlask

SYNC_CACHE_SIZE = 4096
"""Hooks and views are long-lived; a callable made per request is answered, not kept."""


FIXED_BY_WERKZEUG = frozenset({"location", "content-location"})
"""Headers Werkzeug rewrites in its copy (made absolute URLs)."""
NO_BODY_STATUSES = frozenset({204, 304})


class AdvisorResponse(Response):
    def get_wsgi_headers(self, environ: Any) -> Headers:
        """Werkzeug's copy of the headers, made without checking each value again (they were
        checked when set) when it would come out unchanged: a Content-Length already set, no
        Location or Content-Location, a status that has a body. Otherwise Werkzeug's own."""
        headers = self.headers
        names = {name.lower() for name, _ in headers}
        status = self.status_code
        if ("content-length" in names and not names & FIXED_BY_WERKZEUG
                and status >= 200 and status not in NO_BODY_STATUSES):
            copy = Headers()
            copy._list = list(headers._list)  # what Headers(headers) holds, without the checks
            return copy
        return super().get_wsgi_headers(environ)


class AdvisorFlask(EmbedAwareFlask):
    response_class = AdvisorResponse

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            known = self._sync_callables.get(func)
        except TypeError:  # an unhashable callable object
            return super().ensure_sync(func)
        if known is None:
            known = super().ensure_sync(func)
            if len(self._sync_callables) < SYNC_CACHE_SIZE:
                self._sync_callables[func] = known
        return known
