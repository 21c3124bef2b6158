"""Rewrite a CSV results file that DuckDB's reader cannot take as it is (UTF-16, mixed line ends).

The slow path: Python's csv module reads the records, checks their width and text, and writes the
good ones as plain UTF-8 CSV with each record's source line number in a first column, so the fast
reader can load the result and still name the source lines of the rows it rejects.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import IO

from surge.results.jtl_read import CsvLayout
from surge.results.read_counts import ReadCounts

LINE_COLUMN = "sourceLine"


def _open_text(path: Path, encoding: str, compressed: bool) -> IO[str]:
    # surrogateescape keeps undecodable bytes visible, so such records are counted as bad, not mangled.
    if compressed:
        return gzip.open(path, "rt", encoding=encoding, errors="surrogateescape", newline="")
    return open(path, encoding=encoding, errors="surrogateescape", newline="")


def rewrite_csv(
    source: Path, layout: CsvLayout, skip_records: int, dest: Path, compressed: bool = False
) -> ReadCounts:
    """Write the records of ``source`` after the first ``skip_records`` to ``dest``; count bad ones."""
    result = ReadCounts()
    width = len(layout.columns)
    csv.field_size_limit(1 << 30)
    with (
        _open_text(source, layout.encoding, compressed) as src,
        open(dest, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([LINE_COLUMN, *layout.columns])
        reader = csv.reader(src, delimiter=layout.delimiter, quotechar='"', doublequote=True, strict=True)
        seen = 0
        while True:
            first_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                result.add_bad(first_line)
                continue
            if not row:
                continue  # blank line
            seen += 1
            if seen <= skip_records:
                continue
            if first_line == 1:
                row[0] = row[0].lstrip("\ufeff")
            if len(row) != width or any(_undecodable(value) for value in row):
                result.add_bad(first_line)
                continue
            writer.writerow([first_line, *row])
            result.rows += 1
    return result


def _undecodable(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value) if not value.isascii() else False
