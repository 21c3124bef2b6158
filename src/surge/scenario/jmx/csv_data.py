"""CSV Data Set Config at run time: each user reads the next line at the start of each iteration.

Sharing (JMeter's "Sharing mode"): ``all`` users of a process read one cursor (shared by every
data set naming the same file, as in JMeter), ``group`` the users of one thread group, ``user``
each user its own; any other text is a key shared by the data sets that give it. Over several
worker processes, a file that recycles is read by every process from a different starting line,
and a file that does not recycle is split between them (line *i* to process *i* mod *P*), so
no line is used twice in the whole run, as in one JMeter.

At the end of a file that does not recycle, the user stops (``stopThread``) or its variables
read ``<EOF>``, as JMeter's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from surge.errors import UsageError
from surge.scenario.jmx.model import DataSet

EOF_VALUE = "<EOF>"


def read_rows(data_set: DataSet, path: Path) -> tuple[tuple[str, ...], list[list[str]]]:
    """(variable names, data lines) of a data set's file."""
    try:
        text = path.read_text(encoding=data_set.encoding, errors="replace")
    except (OSError, LookupError) as exc:
        raise UsageError(f"CSV Data Set Config {data_set.name!r}: cannot read {path}: {exc}") from exc
    lines = [line for line in text.splitlines() if line != ""]
    if data_set.quoted:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=data_set.delimiter[:1] or ","))
    else:
        rows = [line.split(data_set.delimiter) for line in lines]
    names = data_set.names
    if not names:
        if not rows:
            raise UsageError(
                f"CSV Data Set Config {data_set.name!r}: {path} is empty (its first line names the variables)"
            )
        names = tuple(name.strip() for name in rows[0])
        rows = rows[1:]
    elif data_set.ignore_first_line:
        rows = rows[1:]
    if not rows:
        raise UsageError(f"CSV Data Set Config {data_set.name!r}: {path} has no data lines")
    return names, rows


class Cursor:
    """One reading position over a data set's lines (shared or not, see the module's docstring)."""

    def __init__(self, rows: list[list[str]], recycle: bool, worker_index: int, processes: int) -> None:
        if recycle:
            self.rows = rows
            self.position = worker_index * len(rows) // max(1, processes)
        else:
            self.rows = rows[worker_index::processes]
            self.position = 0
        self.recycle = recycle

    def next(self) -> list[str] | None:
        rows = self.rows
        if not rows:
            return None
        if self.position >= len(rows):
            if not self.recycle:
                return None
            self.position = 0
        row = rows[self.position]
        self.position += 1
        return row
