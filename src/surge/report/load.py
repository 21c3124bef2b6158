"""Load results files into the DuckDB table ``samples`` that every report query reads.

Contract of the ``samples`` table (one row per sample, whatever the input format):

| column               | type    | meaning                                                            |
|----------------------|---------|--------------------------------------------------------------------|
| row_id               | BIGINT  | file order across all inputs (0-based); JMeter's windows use it    |
| start_ms, end_ms     | BIGINT  | sample start and end, epoch ms (timestamp semantics applied)       |
| elapsed_ms           | BIGINT  | JTL ``elapsed``                                                    |
| label                | VARCHAR |                                                                    |
| response_code        | VARCHAR | '' when empty                                                      |
| response_message     | VARCHAR | '' when empty                                                      |
| thread_name          | VARCHAR |                                                                    |
| thread_group         | VARCHAR | thread_name without the part after its last space                  |
| success              | BOOLEAN |                                                                    |
| failure_message      | VARCHAR | '' when empty                                                      |
| bytes, sent_bytes    | BIGINT  | 0 when the column is absent                                        |
| grp_threads          | BIGINT  |                                                                    |
| all_threads          | BIGINT  |                                                                    |
| url                  | VARCHAR |                                                                    |
| latency_ms           | BIGINT  | 0 when absent                                                      |
| connect_ms           | BIGINT  | 0 when absent                                                      |
| queue_ms             | BIGINT  | open-model queueing delay; NULL when not recorded                  |
| is_controller        | BOOLEAN | responseMessage starts with "Number of samples in transaction"     |
| is_empty_controller  | BOOLEAN | responseMessage starts with "Number of samples in transaction : 0" |
| in_label_filter      | BOOLEAN | label passes --include/--exclude (JMeter's sample_filter)          |

The date-range filter (--start/--end, on sample start) is applied while loading, as JMeter applies
it before anything else; the label filter is only flagged, because the test's start and end and the
rows read are taken before it, as in JMeter (docs/jmeter-semantics.md#filters).

Inputs: JTL CSV in any of JMeter's variants (see surge.results.jtl_read) and JMeter XML (see
surge.results.xml_read), plain or gzip-compressed; several files are appended in the order given.
Bad rows are skipped and counted (LoadResult); only inputs with no readable sample at all are an error.
A file whose quoting faults may have made the fast reader swallow good lines is repaired (the lines a
stray quote spoils blanked out, see surge.results.jtl_repair) and read again; clean files are read once.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from surge.errors import SurgeError, UsageError
from surge.report.load_csv import TimestampRead, insert_csv, record_rules, sql_string
from surge.report.load_direct import first_line, load_direct, unpack
from surge.report.options import ReportOptions
from surge.report.semantics import HeaderlessFirstRow
from surge.results import gzip_read, jtl_rewrite, xml_read
from surge.results.date_format import COMMON_PATTERNS, java_to_strptime, pattern_has_zone
from surge.results.jtl_read import HEAD_BYTES, CsvLayout, EncodingError, file_kind, is_gzip, sniff_csv
from surge.results.read_counts import MAX_BAD_LINES, MAX_BAD_SPANS, ReadCounts, span_lines

_SAMPLES_SCHEMA = """
    row_id BIGINT, start_ms BIGINT, end_ms BIGINT, elapsed_ms BIGINT, label VARCHAR,
    response_code VARCHAR, response_message VARCHAR, thread_name VARCHAR, thread_group VARCHAR,
    success BOOLEAN, failure_message VARCHAR, bytes BIGINT, sent_bytes BIGINT, grp_threads BIGINT,
    all_threads BIGINT, url VARCHAR, latency_ms BIGINT, connect_ms BIGINT, queue_ms BIGINT,
    is_controller BOOLEAN, is_empty_controller BOOLEAN, in_label_filter BOOLEAN
"""


@dataclass(frozen=True)
class FileClock:
    """How one file's timeStamp column was read (surge compare refuses runs whose clocks differ)."""

    source: str
    kind: str  # "epoch milliseconds", "dates to the millisecond" or "dates to the second"
    # "" for epoch milliseconds (instants); the offsets the dates carry ("+0200"); or, for dates
    # without a zone, the zone they were read in followed by " (no zone in the file)"
    zone: str


@dataclass(frozen=True)
class LoadResult:
    rows_loaded: int
    bad_rows: int
    sources: tuple[str, ...]
    # (file, physical line) of the first few skipped rows
    bad_row_locations: tuple[tuple[str, int], ...] = ()
    # One line each, for stderr and the report: assumptions made (no header line, guessed date
    # format), files that could not be read, the first row dropped (HeaderlessFirstRow.DROPPED).
    warnings: tuple[str, ...] = ()
    # (file, first line, last line) of the first few runs of consecutive skipped lines
    bad_row_spans: tuple[tuple[str, int, int], ...] = ()
    # how each file read had its timestamps (in the order of ``sources``; unreadable files left out)
    clocks: tuple[FileClock, ...] = ()

    @property
    def bad_row_lines(self) -> tuple[int, ...]:
        """Physical line numbers of the first few skipped rows (ambiguous across several files)."""
        return tuple(line for _, line in self.bad_row_locations)


@dataclass
class _Totals:
    rows: int = 0
    bad_rows: int = 0
    bad_locations: list[tuple[str, int]] = field(default_factory=list)
    bad_spans: list[tuple[str, int, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    clocks: list[FileClock] = field(default_factory=list)

    def add(self, name: str, load: ReadCounts) -> None:
        self.rows += load.rows
        self.bad_rows += load.bad_rows
        room = MAX_BAD_SPANS - len(self.bad_spans)
        self.bad_spans.extend((name, first, last) for first, last in load.bad_spans[: max(room, 0)])
        room = MAX_BAD_LINES - len(self.bad_locations)
        self.bad_locations.extend((name, line) for line in span_lines(load.bad_spans, max(room, 0)))
        self.warnings.extend(f"{name}: {w}" for w in load.warnings)


def load_samples(con: Any, paths: Sequence[Path], options: ReportOptions) -> LoadResult:
    """Create table ``samples`` from ``paths`` (in order); see the module docstring for its columns.

    Raises UsageError for a missing or unreadable file or a bad option, SurgeError if no file
    holds a readable sample.
    """
    include = _compile(options.include_labels, "--include")
    exclude = _compile(options.exclude_labels, "--exclude")
    fixed_timestamp = _option_timestamp(options)
    paths = [Path(p) for p in paths]
    heads = [_read_head(p) for p in paths]
    totals = _Totals()
    try:
        con.execute(f"CREATE OR REPLACE TABLE samples ({_SAMPLES_SCHEMA})")
        preserved = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        # row_id is the table's row order, which follows the file order only with this setting on.
        con.execute("SET preserve_insertion_order = true")
        try:
            with tempfile.TemporaryDirectory(prefix="surge-load-") as temp_dir:
                for index, (path, head) in enumerate(zip(paths, heads, strict=True)):
                    scratch = Path(temp_dir) / f"file{index}.csv"
                    _load_file(con, path, head, options, fixed_timestamp, scratch, totals)
        finally:
            if not preserved:
                con.execute("SET preserve_insertion_order = false")
        con.execute("UPDATE samples SET row_id = rowid")
        if include is not None or exclude is not None:
            _flag_labels(con, include, exclude)
    except duckdb.Error as exc:
        raise SurgeError(f"cannot load {', '.join(p.name for p in paths)}: {first_line(exc)}") from exc
    if totals.rows == 0:
        raise UsageError(_nothing_read(paths, totals))
    return LoadResult(
        rows_loaded=totals.rows,
        bad_rows=totals.bad_rows,
        sources=tuple(str(p) for p in paths),
        bad_row_locations=tuple(totals.bad_locations),
        warnings=tuple(totals.warnings),
        bad_row_spans=tuple(totals.bad_spans),
        clocks=tuple(totals.clocks),
    )


def _nothing_read(paths: Sequence[Path], totals: _Totals) -> str:
    names = ", ".join(str(p) for p in paths)
    if totals.unreadable:
        return f"no readable sample in {names}: " + "; ".join(totals.unreadable)
    if totals.bad_rows:
        lines = ", ".join(f"{Path(n).name}:{line}" for n, line in totals.bad_locations[:5])
        why = "".join(f"; {w}" for w in totals.warnings[:2])
        return f"no readable sample in {names}: all {totals.bad_rows} rows are bad (first at {lines}){why}"
    if totals.warnings:
        return f"no readable sample in {names}: " + "; ".join(totals.warnings[:3])
    return f"no readable sample in {names}: no sample rows (or none inside --start/--end)"


def _compile(pattern: str | None, option: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"{option}: bad regular expression {pattern!r}: {exc}") from exc


def _option_timestamp(options: ReportOptions) -> TimestampRead | None:
    if options.timestamp_format is None:
        return None
    return _pattern_timestamp(options.timestamp_format, options.timezone)


def _pattern_timestamp(pattern: str, timezone: str) -> TimestampRead:
    try:
        strptime = java_to_strptime(pattern)
    except ValueError as exc:
        raise UsageError(f"timestamp format: {exc}") from exc
    return TimestampRead(strptime=strptime, has_zone=pattern_has_zone(pattern), timezone=timezone)


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
        if is_gzip(head):
            head = gzip_read.head(path, HEAD_BYTES)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except gzip_read.DamagedGzip as exc:
        raise UsageError(f"cannot read {path}: the gzip data is damaged ({exc})") from exc
    return head


def _load_file(
    con: Any,
    path: Path,
    head: bytes,
    options: ReportOptions,
    fixed_timestamp: TimestampRead | None,
    scratch: Path,
    totals: _Totals,
) -> None:
    name = str(path)
    compressed = _is_gzip_file(path)
    try:
        kind = file_kind(head)
    except EncodingError as exc:
        totals.unreadable.append(f"{path.name}: {exc}")
        totals.warnings.append(f"{name}: not read: {exc}")
        return
    if kind == "empty":
        totals.warnings.append(f"{name}: empty file")
        totals.unreadable.append(f"{path.name} is empty" + (" (or its gzip data ends at once)" * compressed))
        return
    if kind == "xml":
        totals.clocks.append(FileClock(name, EPOCH_MS, ""))
        totals.add(name, _load_xml(con, path, options, scratch, compressed))
        return
    try:
        layout = sniff_csv(head, complete=len(head) < HEAD_BYTES)
        timestamp, note = _file_timestamp(con, layout, options, fixed_timestamp)
    except ValueError as exc:
        totals.unreadable.append(f"{path.name}: {exc}")
        totals.warnings.append(f"{name}: not read: {exc}")
        return
    totals.clocks.append(_clock(name, layout, timestamp))
    load = ReadCounts()
    if layout.encoding_note:
        load.warnings.append(layout.encoding_note)
    if note:
        load.warnings.append(note)
    drop_first = (
        not layout.has_header and options.semantics.headerless_first_row is HeaderlessFirstRow.DROPPED
    )
    if not layout.has_header:
        load.warnings.append(
            "no header line; read with JMeter's default columns"
            + (" (its first row is left out, as JMeter does)" if drop_first else "")
        )
    skip = 1 if (layout.has_header or drop_first) else 0
    got: ReadCounts | None = None
    if layout.encoding == "utf-8":
        got = load_direct(con, path, layout, skip, timestamp, options, scratch, compressed)
    if got is None:
        got = _load_rewritten(con, path, layout, skip, timestamp, options, scratch, compressed)
    totals.add(name, load.then(got))


def _is_gzip_file(path: Path) -> bool:
    with open(path, "rb") as f:
        return is_gzip(f.read(2))


def _load_rewritten(
    con: Any,
    path: Path,
    layout: CsvLayout,
    skip: int,
    timestamp: TimestampRead,
    options: ReportOptions,
    scratch: Path,
    compressed: bool,
) -> ReadCounts:
    rules = record_rules(layout, timestamp)
    rewritten = jtl_rewrite.rewrite_csv(path, layout, skip, scratch, compressed, rules)
    plain = CsvLayout("utf-8", ",", True, (jtl_rewrite.LINE_COLUMN, *layout.columns), ())
    got = insert_csv(
        con,
        scratch,
        plain,
        1,
        timestamp,
        options.timestamp_is_start,
        options.start_ms,
        options.end_ms,
        line_column=jtl_rewrite.LINE_COLUMN,
    )
    return rewritten.then(got.counts)


def _load_xml(con: Any, path: Path, options: ReportOptions, scratch: Path, compressed: bool) -> ReadCounts:
    note = None
    if compressed:
        path, note = unpack(path, scratch)
    with open(path, "rb") as src, open(scratch, "w", encoding="utf-8", newline="") as dest:
        parsed = xml_read.xml_to_csv(src, dest)
    if note:
        parsed.warnings.insert(0, note)
    plain = CsvLayout("utf-8", ",", True, xml_read.COLUMNS, ())
    got = insert_csv(
        con,
        scratch,
        plain,
        1,
        TimestampRead(),
        options.timestamp_is_start,
        options.start_ms,
        options.end_ms,
        line_column=xml_read.LINE_COLUMN,
    )
    return parsed.then(got.counts)


def _file_timestamp(
    con: Any, layout: CsvLayout, options: ReportOptions, fixed: TimestampRead | None
) -> tuple[TimestampRead, str | None]:
    """How to read this file's timeStamp column, and a note if the format was guessed."""
    if "timeStamp" not in layout.columns:
        raise ValueError("no timeStamp column (JMeter's timestamp_format=none cannot be reported)")
    if "elapsed" not in layout.columns:
        raise ValueError("no elapsed column")
    if fixed is not None:
        _check_timezone(con, fixed)
        return fixed, None
    index = layout.columns.index("timeStamp")
    values = [r[index].strip() for r in layout.sample_records if len(r) > index and r[index].strip()]
    # Some of the sampled rows may be bad (a repeated header line): the reading that fits most wins.
    ints = sum(1 for v in values if _is_int(v))
    if not values or ints * 2 >= len(values):
        return TimestampRead(), None
    best: tuple[int, str, TimestampRead] | None = None
    for pattern in COMMON_PATTERNS:
        candidate = _pattern_timestamp(pattern, options.timezone)
        fits = sum(1 for v in values if _parses(con, v, candidate))
        if fits > ints and (best is None or fits > best[0]):
            best = (fits, pattern, candidate)
    if best is not None:
        _, pattern, candidate = best
        _check_timezone(con, candidate)
        zone = "" if candidate.has_zone else f" in time zone {options.timezone}"
        return candidate, f"timestamps read as dates with pattern {pattern!r}{zone}"
    if ints:
        return TimestampRead(), None
    raise ValueError(
        f"timeStamp values such as {values[0]!r} are neither epoch milliseconds nor a known date"
        " format; give the format (Java SimpleDateFormat pattern, as in JMeter's timestamp_format)"
    )


EPOCH_MS = "epoch milliseconds"
# An offset or a zone abbreviation at the end of a formatted date.
_ZONE_AT_END = re.compile(r"(Z|[+-]\d\d(?::?\d\d)?|\b[A-Z]{2,5})$")


def _clock(name: str, layout: CsvLayout, timestamp: TimestampRead) -> FileClock:
    if timestamp.strptime is None:
        return FileClock(name, EPOCH_MS, "")
    precise = "%g" in timestamp.strptime or "%f" in timestamp.strptime
    kind = "dates to the millisecond" if precise else "dates to the second"
    if not timestamp.has_zone:
        return FileClock(name, kind, f"{timestamp.timezone} (no zone in the file)")
    index = layout.columns.index("timeStamp")
    zones = set()
    for record in layout.sample_records:
        match = _ZONE_AT_END.search(record[index].strip()) if len(record) > index else None
        if match:
            zones.add(match.group(1).replace(":", "") if match.group(1) != "Z" else "+0000")
    return FileClock(name, kind, ", ".join(sorted(zones)) or "a zone in each date")


def _is_int(value: str) -> bool:
    return value.lstrip("-").isdigit()


def _parses(con: Any, value: str, timestamp: TimestampRead) -> bool:
    assert timestamp.strptime is not None
    row = con.execute("SELECT try_strptime(?, ?)", [value, timestamp.strptime]).fetchone()
    return row is not None and row[0] is not None


def _check_timezone(con: Any, timestamp: TimestampRead) -> None:
    if timestamp.strptime is None or timestamp.has_zone:
        return
    try:
        con.execute(f"SELECT timezone({sql_string(timestamp.timezone)}, TIMESTAMP '2000-01-01')").fetchone()
    except duckdb.Error as exc:
        raise UsageError(f"unknown time zone {timestamp.timezone!r}") from exc


def _flag_labels(con: Any, include: re.Pattern[str] | None, exclude: re.Pattern[str] | None) -> None:
    """Set in_label_filter: Python's regex engine (closer to Java's than RE2) over the distinct labels."""
    labels = [r[0] for r in con.execute("SELECT DISTINCT label FROM samples").fetchall()]
    rejected = [
        label
        for label in labels
        if (include is not None and include.fullmatch(label) is None)
        or (exclude is not None and exclude.fullmatch(label) is not None)
    ]
    if not rejected:
        return
    # One list parameter, not one INSERT per label: a file may hold a million distinct labels.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE surge_load_filtered_out AS SELECT unnest(?::VARCHAR[]) AS label",
        [rejected],
    )
    try:
        con.execute(
            "UPDATE samples SET in_label_filter = false"
            " WHERE label IN (SELECT label FROM surge_load_filtered_out)"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS surge_load_filtered_out")
