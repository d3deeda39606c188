"""The Dutch texts speak to the reader as "je/jij/jullie", never "u/uw": every Dutch text of the
shipped rule packs and example plugins (questions, help, reasons, risks, conditions) and of the
pages' catalogue."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from tests.conftest import ROOT

FORMAL = re.compile(r"\b(u|uw|uwe|uzelf)\b", re.IGNORECASE)
PACKS = sorted(path for folder in ("rules", "plugins") for path in (ROOT / folder).rglob("*.toml")
               if "build" not in path.parts and path.name != "pyproject.toml")
NL_CATALOGUE = ROOT / "advisor" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def dutch_texts(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every ``nl`` text below `node`, with where it stands."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "nl":
                for text in value if isinstance(value, list) else [value]:
                    if isinstance(text, str):
                        yield where, text
            else:
                yield from dutch_texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from dutch_texts(item, f"{where}[{index}]")


def test_there_are_packs_to_read():
    assert any(path.parent.name == "rules" for path in PACKS)
    assert any("youth-care" in path.parts for path in PACKS)


@pytest.mark.parametrize("pack", PACKS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_packs_dutch_says_je_not_u(pack: Path):
    texts = list(dutch_texts(tomllib.loads(pack.read_text(encoding="utf-8"))))
    formal = [f"{where}: {text}" for where, text in texts if FORMAL.search(text)]
    assert not formal, "\n".join(formal)


def test_the_pages_dutch_says_je_not_u():
    with NL_CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="nl")
    texts = [text for message in catalogue if message.id
             for text in (message.string if isinstance(message.string, tuple) else (message.string,)) if text]
    assert texts
    formal = [text for text in texts if FORMAL.search(text)]
    assert not formal, "\n".join(formal)
