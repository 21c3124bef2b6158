"""What reading one results file found: rows kept, bad rows (their number and first lines), warnings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# First physical line numbers of bad rows kept per file.
MAX_BAD_LINES = 10
# Runs of consecutive bad lines kept per file ("lines 5001-5002" is one run).
MAX_BAD_SPANS = 10


def spans_of(lines: Iterable[int], limit: int = MAX_BAD_SPANS) -> list[tuple[int, int]]:
    """The first ``limit`` runs of consecutive numbers in ``lines``, as (first, last)."""
    spans: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if spans and line == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], line)
        elif len(spans) < limit:
            spans.append((line, line))
        else:
            break
    return spans


def merge_spans(*groups: Iterable[tuple[int, int]], limit: int = MAX_BAD_SPANS) -> list[tuple[int, int]]:
    """Union of runs of lines, overlapping and touching runs joined, the first ``limit`` kept."""
    out: list[tuple[int, int]] = []
    for first, last in sorted(span for group in groups for span in group):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        elif len(out) < limit:
            out.append((first, last))
        else:
            break
    return out


def span_lines(spans: Iterable[tuple[int, int]], limit: int = MAX_BAD_LINES) -> list[int]:
    """The first ``limit`` line numbers covered by ``spans``."""
    out: list[int] = []
    for first, last in spans:
        out.extend(range(first, min(last, first + limit - len(out) - 1) + 1))
        if len(out) >= limit:
            break
    return out


@dataclass
class ReadCounts:
    rows: int = 0
    bad_rows: int = 0
    # Runs of bad physical lines, ascending, at most MAX_BAD_SPANS; they may cover fewer lines than
    # bad_rows counts when there are more runs than that.
    bad_spans: list[tuple[int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def bad_lines(self) -> list[int]:
        """The first MAX_BAD_LINES bad physical lines."""
        return span_lines(self.bad_spans)

    def add_bad(self, line: int) -> None:
        """Count a bad row starting at physical ``line`` (rows are met in file order)."""
        self.bad_rows += 1
        self.note_bad_lines([line])

    def note_bad_lines(self, lines: Iterable[int]) -> None:
        """Remember where bad rows are (already counted in bad_rows)."""
        self.bad_spans = merge_spans(self.bad_spans, spans_of(lines))

    def then(self, loaded: ReadCounts) -> ReadCounts:
        """This earlier pass over a file (its head, a rewrite, an XML parse) followed by ``loaded``,
        the load of its rows: the rows of ``loaded``, the bad rows and warnings of both."""
        return ReadCounts(
            loaded.rows,
            self.bad_rows + loaded.bad_rows,
            merge_spans(self.bad_spans, loaded.bad_spans),
            self.warnings + loaded.warnings,
        )
