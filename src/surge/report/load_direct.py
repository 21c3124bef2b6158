"""Load one UTF-8 JTL CSV file with DuckDB's parallel reader, repairing its quoting if need be.

A clean file is read once. If the reader met a quoting fault (a stray quote may have made it
swallow good lines), its insert is rolled back, the lines the faults really spoil are blanked out in
a copy (surge.results.jtl_repair) and the copy is read instead; a few rounds at most, else the slow
path (surge.results.jtl_rewrite) reads the file. gzip data cut short is read as far as it goes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from surge.errors import UsageError
from surge.report.load_csv import Inserted, TimestampRead, insert_csv, record_rules
from surge.report.options import ReportOptions
from surge.results import gzip_read, jtl_repair
from surge.results.jtl_read import CsvLayout
from surge.results.read_counts import ReadCounts


def first_line(exc: Exception) -> str:
    """DuckDB's messages run over several lines; the CLI prints one."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def load_direct(
    con: Any,
    path: Path,
    layout: CsvLayout,
    skip: int,
    timestamp: TimestampRead,
    options: ReportOptions,
    scratch: Path,
    compressed: bool,
) -> ReadCounts | None:
    """Load a UTF-8 file with DuckDB's parallel reader (repairing its quoting if need be); None if
    the reader cannot take it at all and the slow path must."""

    def insert(source: Path, packed: bool) -> Inserted:
        return insert_csv(
            con,
            source,
            layout,
            skip,
            timestamp,
            options.timestamp_is_start,
            options.start_ms,
            options.end_ms,
            packed,
        )

    # One transaction per file, so that a read gone wrong can be taken back before the repaired one.
    con.execute("BEGIN TRANSACTION")
    got: Inserted | None
    try:
        got = insert(_literal_path(path, scratch), compressed)
        if got.faults:
            got = _repair_and_reload(con, path, layout, timestamp, skip, got, scratch, compressed, insert)
    except duckdb.IOException as exc:
        con.execute("ROLLBACK")
        if compressed:  # most often gzip data cut short: read what there is
            plain, note = unpack(path, scratch)
            got_plain = load_direct(con, plain, layout, skip, timestamp, options, scratch, False)
            if got_plain is not None and note:
                got_plain.warnings.append(note)
            return got_plain
        raise UsageError(f"cannot read {path}: {first_line(exc)}") from exc
    except duckdb.InvalidInputException:
        # DuckDB's reader gives up on a few oddities (mixed line ends): take the slow path.
        con.execute("ROLLBACK")
        return None
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if got is None:
        con.execute("ROLLBACK")
        return None
    con.execute("COMMIT")
    return got.counts


# Rounds of repair and re-read before a file is left to the slow path (one round is the rule).
_REPAIR_ROUNDS = 4


def _repair_and_reload(
    con: Any,
    path: Path,
    layout: CsvLayout,
    timestamp: TimestampRead,
    skip: int,
    first: Inserted,
    scratch: Path,
    compressed: bool,
    insert: Callable[[Path, bool], Inserted],
) -> Inserted | None:
    """Blank out the lines that quoting faults really spoil and read the file again; None if that
    does not settle (the slow path then reads the file)."""
    plain = path
    note = None
    if compressed:
        plain, note = unpack(path, scratch)
    repaired = scratch.with_suffix(".repaired")
    rules = record_rules(layout, timestamp)
    header_end = jtl_repair.offset_after_lines(plain, skip)
    faults = set(first.faults)
    forced: set[int] = set()
    for _ in range(_REPAIR_ROUNDS):
        regions = jtl_repair.examine(plain, rules, sorted(faults), frozenset(forced), header_end)
        jtl_repair.write_repaired(plain, repaired, [bad for region in regions for bad in region.bad])
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        got = insert(repaired, False)
        fresh = {f for f in got.faults if not any(r.start <= f < r.end for r in regions)}
        # A fault inside a record kept as well-formed: the reader disagrees, so that record is bad.
        refuted = {
            start for r in regions for start, stop in r.kept for f in got.faults if start <= f < stop
        } - forced
        if not fresh and not refuted:
            if note:
                got.counts.warnings.append(note)
            return got
        faults |= fresh
        forced |= refuted
    return None


def unpack(path: Path, scratch: Path) -> tuple[Path, str | None]:
    """Decompress ``path`` next to ``scratch``, as far as its data goes; a warning if it is cut short."""
    dest = scratch.with_suffix(".plain")
    try:
        complete = gzip_read.unpack(path, dest)
    except gzip_read.DamagedGzip as exc:
        raise UsageError(f"cannot read {path}: the gzip data is damaged ({exc})") from exc
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if complete:
        return dest, None
    size = dest.stat().st_size
    return dest, f"the gzip data ends early (cut short?): the first {size:,} bytes are read"


def _literal_path(path: Path, scratch: Path) -> Path:
    """``path``, or a link to it if DuckDB would take its name for a glob and read other files too."""
    if not any(ch in str(path) for ch in "*?[]{}"):
        return path
    link = scratch.with_suffix(".link")
    try:
        link.symlink_to(path.resolve())
    except OSError:  # no symlinks here (some Windows setups): a copy will do
        shutil.copyfile(path, link)
    return link
