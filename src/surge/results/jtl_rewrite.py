"""Rewrite a CSV results file that DuckDB's reader cannot take as it is (UTF-16, mixed line ends).

The slow path: the records are split by surge.results.csv_records (a stray quote spoils only its
own line), checked for width and text, and the good ones written as plain UTF-8 CSV with each
record's source line number in a first column, so the fast reader can load the result and still
name the source lines of the rows it rejects.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import IO

from surge.results.csv_records import RecordRules, records
from surge.results.jtl_read import CsvLayout
from surge.results.read_counts import ReadCounts

LINE_COLUMN = "sourceLine"


def _open_text(path: Path, encoding: str, compressed: bool) -> IO[str]:
    # surrogateescape keeps undecodable bytes visible, so such records are counted as bad, not mangled.
    if compressed:
        return gzip.open(path, "rt", encoding=encoding, errors="surrogateescape", newline="")
    return open(path, encoding=encoding, errors="surrogateescape", newline="")


def rewrite_csv(
    source: Path,
    layout: CsvLayout,
    skip_records: int,
    dest: Path,
    compressed: bool = False,
    rules: RecordRules | None = None,
) -> ReadCounts:
    """Write the records of ``source`` after the first ``skip_records`` to ``dest``; count bad ones.

    ``rules`` say when a record spanning several lines is well-formed (by default: its width).
    """
    result = ReadCounts()
    width = len(layout.columns)
    rules = rules or RecordRules(layout.delimiter, width)
    with (
        _open_text(source, layout.encoding, compressed) as src,
        open(dest, "w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([LINE_COLUMN, *layout.columns])
        seen = 0
        for record in records(src, rules):
            row = record.fields
            if row is None:
                result.add_bad(record.line)
                continue
            seen += 1
            if seen <= skip_records:
                continue
            if record.line == 1:
                row[0] = row[0].lstrip("\ufeff")
            if len(row) != width or any(_undecodable(value) for value in row):
                result.add_bad(record.line)
                continue
            writer.writerow([record.line, *row])
            result.rows += 1
    return result


def _undecodable(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value) if not value.isascii() else False
