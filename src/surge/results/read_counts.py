"""What reading one results file found: rows kept, bad rows (their number and first lines), warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

# First physical line numbers of bad rows kept per file.
MAX_BAD_LINES = 10


@dataclass
class ReadCounts:
    rows: int = 0
    bad_rows: int = 0
    bad_lines: list[int] = field(default_factory=list)  # ascending, at most MAX_BAD_LINES
    warnings: list[str] = field(default_factory=list)

    def add_bad(self, line: int) -> None:
        """Count a bad row starting at physical ``line`` (rows are met in file order)."""
        self.bad_rows += 1
        if len(self.bad_lines) < MAX_BAD_LINES:
            self.bad_lines.append(line)

    def then(self, loaded: ReadCounts) -> ReadCounts:
        """This earlier pass over a file (its head, a rewrite, an XML parse) followed by ``loaded``,
        the load of its rows: the rows of ``loaded``, the bad rows and warnings of both."""
        lines = sorted(self.bad_lines + loaded.bad_lines)[:MAX_BAD_LINES]
        return ReadCounts(
            loaded.rows, self.bad_rows + loaded.bad_rows, lines, self.warnings + loaded.warnings
        )
