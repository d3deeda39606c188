"""Line numbers for the keys of a TOML file, so an author's error names the line to fix.

Python's ``tomllib`` returns plain data without positions, and the style-keeping TOML libraries
(tomlkit) keep text, not line numbers. The file is valid TOML by the time a line is asked for
(``tomllib`` read it first), so a small scanner of its structure suffices: it follows table
headers, keys, inline tables and arrays (skipping strings and comments) and records the line
where each key path starts, e.g. ``("rules", 2, "when", "any", 1, "partners")``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")


class KeyLines:
    """Where each key path of a TOML text starts (1-based lines)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1
        self.lines: dict[Path, int] = {}
        self.comments = 0
        self._array_tables: dict[Path, int] = {}
        """Array-of-tables path (without index) to its last index."""
        try:
            self._document()
        except (IndexError, ValueError):
            pass  # a text tomllib refused: keep what was found so far

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the longest known prefix of `path` (None: not even its first part)."""
        path = tuple(path)
        for end in range(len(path), 0, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None

    # --- scanning ----------------------------------------------------------------------

    def _peek(self, count: int = 1) -> str:
        return self._text[self._pos:self._pos + count]

    def _advance(self, count: int = 1) -> None:
        chunk = self._text[self._pos:self._pos + count]
        self._line += chunk.count("\n")
        self._pos += count

    def _skip_space(self, newlines: bool) -> None:
        while self._pos < len(self._text):
            char = self._text[self._pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self._advance()
            elif char == "#":
                self.comments += 1
                end = self._text.find("\n", self._pos)
                self._advance((end if end != -1 else len(self._text)) - self._pos)
            else:
                return

    def _record(self, path: Path, line: int) -> None:
        self.lines.setdefault(path, line)

    def _document(self) -> None:
        table: Path = ()
        while True:
            self._skip_space(newlines=True)
            if self._pos >= len(self._text):
                return
            line = self._line
            if self._peek(2) == "[[":
                self._advance(2)
                name = self._key()
                self._skip_space(newlines=False)
                self._advance(2)
                base = self._resolve(name)
                index = self._array_tables.get(base, -1) + 1
                self._array_tables[base] = index
                table = base + (index,)
                self._record(base, line)
                self._record(table, line)
            elif self._peek() == "[":
                self._advance()
                table = self._resolve(self._key())
                self._skip_space(newlines=False)
                self._advance()
                self._record(table, line)
            else:
                self._key_value(table)

    def _resolve(self, name: Path) -> Path:
        """A header's dotted name with the current index of every array of tables it passes."""
        resolved: Path = ()
        for part in name:
            resolved += (part,)
            index = self._array_tables.get(resolved)
            if index is not None and len(resolved) < len(name):
                resolved += (index,)
        return resolved

    def _key(self) -> Path:
        parts: list[str] = []
        while True:
            self._skip_space(newlines=False)
            char = self._peek()
            if char in ('"', "'"):
                parts.append(self._string())
            else:
                match = _BARE_KEY.match(self._text, self._pos)
                if match is None:
                    raise ValueError("a key was expected")
                parts.append(match.group())
                self._advance(match.end() - self._pos)
            self._skip_space(newlines=False)
            if self._peek() != ".":
                return tuple(parts)
            self._advance()

    def _key_value(self, table: Path) -> None:
        line = self._line
        path = table + self._key()
        self._record(path, line)
        self._skip_space(newlines=False)
        if self._peek() != "=":
            raise ValueError("'=' was expected")
        self._advance()
        self._skip_space(newlines=False)
        self._value(path)

    def _value(self, path: Path) -> None:
        char = self._peek()
        if char == "{":
            self._advance()
            while True:
                self._skip_space(newlines=True)
                if self._peek() == "}":
                    self._advance()
                    return
                if self._peek() == ",":
                    self._advance()
                    continue
                self._key_value(path)
        elif char == "[":
            self._advance()
            index = 0
            while True:
                self._skip_space(newlines=True)
                if self._peek() == "]":
                    self._advance()
                    return
                if self._peek() == ",":
                    self._advance()
                    index += 1
                    continue
                self._record(path + (index,), self._line)
                self._value(path + (index,))
        elif char in ('"', "'"):
            self._string()
        else:
            match = re.compile(r"[^,\]\}\s#]+").match(self._text, self._pos)
            if match is None:
                raise ValueError("a value was expected")
            self._advance(match.end() - self._pos)

    def _string(self) -> str:
        quote = self._peek()
        if self._peek(3) == quote * 3:
            end = self._text.find(quote * 3, self._pos + 3)
            while end != -1 and self._text[end + 3:end + 4] == quote:
                end += 1  # up to two quotes may end a multi-line string's content
            if end == -1:
                raise ValueError("unterminated string")
            content = self._text[self._pos + 3:end]
            self._advance(end + 3 - self._pos)
            return content
        index = self._pos + 1
        while index < len(self._text):
            char = self._text[index]
            if quote == '"' and char == "\\":
                index += 2
                continue
            if char == quote:
                content = self._text[self._pos + 1:index]
                self._advance(index + 1 - self._pos)
                return content  # keys with escapes are not worth decoding for a line number
            index += 1
        raise ValueError("unterminated string")


def field_path(dotted: str) -> Path:
    """``"when.any[1].partners.max"`` as ``("when", "any", 1, "partners", "max")``."""
    parts: list[str | int] = []
    for piece in re.finditer(r"([^.\[\]]+)|\[(\d+)\]", dotted):
        parts.append(int(piece.group(2)) if piece.group(2) is not None else piece.group(1))
    return tuple(parts)
