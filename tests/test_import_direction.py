"""Which package may import which: read from the modules' own import statements.

Storage keeps what the engine gives in the advice's wire form (advisor/wire.py); it must not
know the API's schemas, nor the pages. The wire form and the model know neither the web
framework nor marshmallow: they sit beside the engine, below everything that sends an advice.
Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved to ``advisor.…`` names."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts if path.name == "__init__.py" else parts[:-1]
    return imports_in(path.read_text(encoding="utf-8"), ".".join(package))


def imports_in(source: str, package: str) -> set[str]:
    """The modules (and names from them) `source` imports, read as a module of `package`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def offending(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported_modules(path)
                  if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden))


STORAGE = sorted((PACKAGE / "storage").rglob("*.py"))


@pytest.mark.parametrize("path", STORAGE, ids=[str(p.relative_to(PACKAGE)) for p in STORAGE])
def test_storage_imports_nothing_from_the_api_or_the_pages(path):
    assert offending(path, ("advisor.api", "advisor.web")) == []


@pytest.mark.parametrize("name", ["wire.py", "model.py"])
def test_the_wire_form_and_the_model_stand_alone(name):
    assert offending(PACKAGE / name, ("advisor.api", "advisor.web", "advisor.storage", "flask", "marshmallow",
                                      "sqlalchemy")) == []


def test_the_reader_sees_relative_and_nested_imports():
    """The check itself: the function-level import storage had of the API's AdviceSchema is found."""
    old = "def _advice_schema():\n    from ..api.schemas import AdviceSchema\n    return AdviceSchema()\n"
    assert "advisor.api.schemas" in imports_in(old, "advisor.storage")
    assert "advisor.wire.advice_to_wire" in imported_modules(PACKAGE / "storage" / "service.py")
