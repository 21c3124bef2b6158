"""Line numbers of the keys of a TOML document, so plan-file errors can say ``file:line``.

tomllib gives line numbers for syntax errors only. This scanner walks a document that tomllib has
already accepted and records, for every key path (``("groups", 0, "users")``,
``("requests", "login", "extract", 1)``), the line where it is written. Table headers, dotted
keys, inline tables and arrays (of inline tables) are followed; string contents are skipped.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.array_tables: dict[Path, int] = {}

    # -- low level ---------------------------------------------------------------------------------

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_space(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in " \t\r" or (newlines and c == "\n"):
                self.advance()
            elif c == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def skip_string(self) -> str:
        """Skip a string starting at pos; return its (unescaped enough for keys) content."""
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, self.pos):
                end = self.pos + 3
                while True:
                    end = text.find(quote, end)
                    if end < 0:
                        end = len(text)
                        break
                    if quote == '"""' and text[end - 1] == "\\" and text[end - 2] != "\\":
                        end += 1
                        continue
                    while text.startswith(quote[0], end + 3):  # up to two quotes may close the content
                        end += 1
                    break
                content = text[self.pos + 3 : end]
                self.advance(end + 3 - self.pos)
                return content
        quote = text[self.pos]
        end = self.pos + 1
        while end < len(text) and text[end] != quote:
            end += 2 if quote == '"' and text[end] == "\\" else 1
        content = text[self.pos + 1 : end]
        self.advance(end + 1 - self.pos)
        return content

    def read_key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self.skip_space(False)
            c = self.peek()
            if c in ("'", '"'):
                parts.append(self.skip_string())
            else:
                match = _BARE.match(self.text, self.pos)
                if match is None:
                    return tuple(parts)
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_space(False)
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    # -- structure ---------------------------------------------------------------------------------

    def document(self) -> dict[Path, int]:
        table: Path = ()
        while True:
            self.skip_space(True)
            if self.pos >= len(self.text):
                return self.lines
            if self.text.startswith("[[", self.pos):
                self.advance(2)
                key = self.read_key()
                index = self.array_tables.get(key, 0)
                self.array_tables[key] = index + 1
                table = (*key, index)
                self.lines.setdefault(key, self.line)
                self.lines[table] = self.line
                self.advance(self.text.index("]]", self.pos) + 2 - self.pos)
            elif self.peek() == "[":
                self.advance()
                key = self.read_key()
                table = tuple(self._resolve(key))
                self.lines[table] = self.line
                self.advance(self.text.index("]", self.pos) + 1 - self.pos)
            else:
                self.key_value(table)

    def _resolve(self, key: tuple[str, ...]) -> Path:
        """``[groups.extra]`` after ``[[groups]]`` refers to the last element of the array."""
        resolved: list[str | int] = []
        for part in key:
            resolved.append(part)
            count = self.array_tables.get(tuple(resolved))
            if count:
                resolved.append(count - 1)
        return tuple(resolved)

    def key_value(self, table: Path) -> None:
        line = self.line
        key = self.read_key()
        if not key:  # not a key: skip the line (cannot happen in a document tomllib accepted)
            end = self.text.find("\n", self.pos)
            self.advance((len(self.text) if end < 0 else end) - self.pos)
            return
        path = (*table, *key)
        self.lines[path] = line
        self.skip_space(False)
        if self.peek() == "=":
            self.advance()
        self.value(path)

    def value(self, path: Path) -> None:
        self.skip_space(True)
        c = self.peek()
        if c in ("'", '"'):
            self.skip_string()
        elif c == "{":
            self.advance()
            while True:
                self.skip_space(True)
                if self.peek() == "}":
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                if not self.peek():
                    return
                self.key_value(path)
        elif c == "[":
            self.advance()
            index = 0
            while True:
                self.skip_space(True)
                c = self.peek()
                if c == "]":
                    self.advance()
                    return
                if c == ",":
                    self.advance()
                    index += 1
                    continue
                if not c:
                    return
                self.lines[(*path, index)] = self.line
                self.value((*path, index))
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in ",]}\n#":
                self.advance()


def key_lines(text: str) -> dict[Path, int]:
    """Map every key path of a (valid) TOML document to its line number."""
    return _Scanner(text).document()


def line_of(lines: dict[Path, int], path: Path) -> int:
    """The line of ``path``, or of its closest written ancestor (1 if none is known)."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return 1
