"""Adding several response headers in one pass over the ones already there.

Werkzeug's ``Headers`` is a list: every ``in``, ``setdefault`` and ``headers[name] = value``
walks it, lower-casing each name. The after-request hooks add about a dozen headers to every
API response, most of them with such a check first (~40 µs per request); reading the names
once per hook and appending what is missing gives the same headers for a fraction.
"""

from __future__ import annotations

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
