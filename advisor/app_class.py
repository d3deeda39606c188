"""The app's Flask class: the embed-aware one, minus a per-hook cost that every request paid.

Flask asks ``inspect.iscoroutinefunction`` of every request hook and view on every request
(``ensure_sync``: ~20 times per advice request). Whether a function is a coroutine function
does not change, so the answer is kept per function; async views still run through
``async_to_sync`` as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .web.embed import Flask as EmbedAwareFlask

SYNC_CACHE_SIZE = 4096
"""Hooks and views are long-lived; a callable made per request is answered, not kept."""


class AdvisorFlask(EmbedAwareFlask):
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
