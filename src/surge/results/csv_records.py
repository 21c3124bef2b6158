"""Split CSV lines into records as a strict reader does, but let a stray quote spoil only its own line.

A quoted field may hold line breaks, so one record can span several physical lines. A stray ``"``
(an unbalanced quote in a label, say) opens such a field by mistake and a plain reader swallows
every line up to the next quote into one bad record. Here a record spanning several lines is kept
only if it is well-formed (the right number of fields, numbers where numbers belong, no quoting
error); otherwise its first line alone is bad and reading starts again on the next line. A record on
one line is returned as read (or as bad if it breaks the quoting rules), for the caller to judge.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# A record longer than this is bad, on one line or several (DuckDB's reader has the same limit).
MAX_RECORD_CHARS = 2 * 1024 * 1024
# What DuckDB's BIGINT cast takes, roughly: an optional sign, digits, an optional fraction or exponent.
_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*")


@dataclass(frozen=True)
class RecordRules:
    """What makes a record spanning several lines well-formed."""

    delimiter: str
    width: int
    numeric: frozenset[int] = frozenset()  # indexes of fields that must be numbers when not empty
    required: frozenset[int] = frozenset()  # indexes of fields that must not be empty

    def well_formed(self, fields: list[str]) -> bool:
        if len(fields) != self.width:
            return False
        for i in self.required:
            if not fields[i].strip():
                return False
        return all(not fields[i].strip() or _NUMBER.fullmatch(fields[i]) for i in self.numeric)


@dataclass(frozen=True)
class Record:
    """One record: its first physical line (1-based), how many lines it spans, its fields or None if bad."""

    line: int
    lines: int
    fields: list[str] | None


class _TooLong(Exception):
    pass


class _Lines:
    """The line iterator handed to csv.reader: remembers the lines of the current record, takes some back."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._source = iter(lines)
        self._back: deque[str] = deque()
        self.taken: list[str] = []
        self._chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.popleft() if self._back else next(self._source)
        self.taken.append(line)
        self._chars += len(line)
        if self._chars > MAX_RECORD_CHARS:
            raise _TooLong
        return line

    def start_record(self) -> None:
        self.taken = []
        self._chars = 0

    def give_back(self, lines: list[str]) -> None:
        self._back.extendleft(reversed(lines))


def records(lines: Iterable[str], rules: RecordRules, first_line: int = 1) -> Iterator[Record]:
    """The records of ``lines`` (physical lines, each with its line end, as ``open(newline='')`` gives).

    Blank lines are skipped. ``first_line`` is the physical line number of the first of ``lines``.
    """
    source = _Lines(lines)
    reader = csv.reader(source, delimiter=rules.delimiter, quotechar='"', doublequote=True, strict=True)
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    line = first_line
    while True:
        source.start_record()
        fields: list[str] | None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except (csv.Error, _TooLong):
            fields = None
        taken = source.taken
        if not taken:
            return
        if len(taken) == 1:
            if fields != []:  # [] is a blank line
                yield Record(line, 1, fields)
            line += 1
            continue
        if fields is not None and rules.well_formed(fields):
            yield Record(line, len(taken), fields)
            line += len(taken)
            continue
        # A quote that does not close into a well-formed record spoils only the line it starts on.
        yield Record(line, 1, None)
        source.give_back(taken[1:])
        line += 1
