"""Adding several response headers in one pass over the ones already there.

Werkzeug's ``Headers`` is a list: every ``in``, ``setdefault`` and ``headers[name] = value``
walks it, lower-casing each name. The after-request hooks add about a dozen headers to every
API response, most of them with such a check first (~40 µs per request); reading the names
once per hook and appending what is missing gives the same headers for a fraction.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Request, Response, request
from werkzeug.datastructures import Headers


def present(headers: Headers) -> set[str]:
    """The names of the headers already set, lower-cased."""
    return {name.lower() for name, _ in headers}


def set_default(headers: Headers, names: set[str], name: str, value: str) -> None:
    """``headers.setdefault(name, value)``, given `names` from :func:`present`."""
    lowered = name.lower()
    if lowered not in names:
        headers.add(name, value)
        names.add(lowered)


def set_header(headers: Headers, names: set[str], name: str, value: str) -> None:
    """``headers[name] = value`` (replacing any), given `names` from :func:`present`."""
    lowered = name.lower()
    if lowered in names:
        headers.set(name, value)
    else:
        headers.add(name, value)
        names.add(lowered)


HeaderAdder = Callable[[Request, Response, Headers, set[str]], None]
"""Adds its headers to a response, given the request, the response's headers and their names."""
ADDERS_KEY = "advisor_header_adders"


def add_in_one_pass(app: Flask, adder: HeaderAdder) -> None:
    """Have `adder` run in the app's one after-request pass over the response headers.

    The security, rate-limit and API headers used to be three hooks, each taking the request
    from its proxy and reading the header names again; one pass does both once for all of them
    (the adders run as hooks do: the last given first, so the headers come in the order they
    did). The pass sits where the first adder was given: the API's, before the CORS hook is
    registered, so CORS's ``Vary: Origin`` still comes first."""
    adders: list[HeaderAdder] | None = app.extensions.get(ADDERS_KEY)
    if adders is None:
        adders = app.extensions[ADDERS_KEY] = []
        app.after_request(_one_pass(adders))
    adders.insert(0, adder)


def _one_pass(adders: list[HeaderAdder]) -> Callable[[Response], Response]:
    def add_response_headers(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy look-up
        headers = response.headers
        names = present(headers)
        for add in adders:
            add(req, response, headers, names)
        return response

    return add_response_headers
