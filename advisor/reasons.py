"""Reasons a value is refused, said in the language of whoever reads them.

A :class:`Reason` is the English text of a message (a ``str``, so logs, the CLI and every
comparison see the English) that also keeps its template and parameters. :func:`say` puts it
into another language through the Flask-Babel catalogs (``advisor/translations``): the
template is the msgid, the parameters (``{min}``, option lists, question ids) are filled in
after translation, so they come through intact. Pure Python: the engine uses it without Flask.

Templates are marked with :func:`N_`, which ``pybabel extract`` knows (``babel.cfg``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


class Reason(str):
    """An English message with its template and parameters, to be said in another language."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any] | None = None, text: str | None = None) -> Reason:
        self = super().__new__(cls, template if text is None else text)
        self.template = str(template)
        self.params = params or {}
        return self

    def format(self, *args: Any, **params: Any) -> Reason:
        """The filled-in message, still translatable (marshmallow fills its templates this way)."""
        return Reason(self.template, params, str.format(self.template, *args, **params))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Reason, (self.template, dict(self.params), str(self)))


def N_(template: str) -> Reason:
    """Mark a message template for the catalogs; fill it in with ``.format(...)``."""
    return Reason(template)


@lru_cache(maxsize=8)
def _catalog(lang: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [lang])


def say(message: Any, lang: str) -> Any:
    """One message in `lang`: a Reason translated (its parameters too), anything else as it is.
    A translation that does not fit its parameters falls back to the English."""
    if not isinstance(message, Reason):
        return message
    translated = _catalog(lang).gettext(message.template)
    if translated == message.template and not message.params:
        return str(message)
    params = {key: say(value, lang) for key, value in message.params.items()}
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return str(message)


def say_all(messages: Any, lang: str) -> Any:
    """Nested messages (marshmallow's dicts and lists, an ``errors`` object) in `lang`."""
    if isinstance(messages, Mapping):
        return {key: say_all(value, lang) for key, value in messages.items()}
    if isinstance(messages, list):
        return [say_all(value, lang) for value in messages]
    return say(messages, lang)
