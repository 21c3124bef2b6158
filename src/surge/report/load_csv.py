"""Append one JTL CSV file to the ``samples`` table with DuckDB's parallel reader, counting bad rows.

Bad rows (wrong column count, unparsable numbers or dates, stray quotes, bytes that are not UTF-8)
are skipped by the reader and kept in a rejects table, from which the count and the first physical
line numbers are taken. File order is kept because the table is filled with insertion order preserved.

Where the reader met a quoting fault (a stray quote may have made it swallow good lines) the insert
reports the places (``Inserted.faults``); the caller then repairs the file and loads it again.
Lines longer than the reader's limit are found and counted here, as the reader may drop them silently.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from surge.results.columns import (
    CONTROLLER_MESSAGE_PREFIX,
    EMPTY_CONTROLLER_MESSAGE_PREFIX,
    QUEUE_COLUMN,
)
from surge.results.csv_records import RecordRules
from surge.results.jtl_read import CsvLayout
from surge.results.jtl_repair import long_lines
from surge.results.read_counts import ReadCounts

# Reject entries kept per file (storing them is slow and large); past it, bad rows are still skipped
# and their number is found by counting the file's records in a second, slower pass.
REJECTS_LIMIT = 1000
# Spare columns when counting records, so that over-long rows are still counted as records.
_SPARE_COLUMNS = 64
# A record longer than this is a bad row (JMeter's failure messages can be long, responses are not saved).
MAX_LINE_BYTES = 2 * 1024 * 1024
_REJECTS = "surge_load_rejects"
_REJECT_SCANS = "surge_load_reject_scans"
_COUNT_CHUNK_BYTES = 1 << 22
# Bad rows whose line numbers are looked up, to show where they are as runs of lines.
_LOCATED_BAD_ROWS = 200
# Reject kinds that may hide a quoting fault: the reader then may have swallowed good lines.
_FAULT_KINDS = ("UNQUOTED VALUE", "LINE SIZE OVER MAXIMUM")
# DuckDB cuts the text of a rejected row at this length: the cut text may hide a line break.
_REJECT_TEXT_CHARS = 10000

# Columns read as numbers: a value that does not parse makes the row bad, as in JMeter.
_INT_COLUMNS = frozenset({"elapsed", "bytes", "sentBytes", "grpThreads", "allThreads", "Latency", "Connect"})
# Types that also bound a value, so that the reader itself rejects (and locates) an absurd one:
# epoch-ms timestamps below 10^13 in size (years 1653 to 2286: every sum and date stays in range),
# elapsed within INTEGER (24.8 days either way).
_EPOCH_MS_TYPE = "DECIMAL(13,0)"
_ELAPSED_TYPE = "INTEGER"
# Sample times outside these (epoch ms: 2000-01-01, 2100-01-01) are kept but warned about.
_PLAUSIBLE_FROM_MS = 946_684_800_000
_PLAUSIBLE_TO_MS = 4_102_444_800_000
# Columns whose empty value makes the row bad (an empty number is otherwise read as absent).
_REQUIRED = ("timeStamp", "elapsed")


@dataclass
class Inserted:
    """What one insert found: counts, and where the reader met a quoting fault (0-based byte offsets)."""

    counts: ReadCounts
    faults: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class TimestampRead:
    """How the timeStamp column is read: epoch ms, or a strptime pattern (zone-less: in ``timezone``)."""

    strptime: str | None = None
    has_zone: bool = False
    timezone: str = "UTC"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def samples_select(
    layout: CsvLayout,
    source_sql: str,
    timestamp: TimestampRead,
    timestamp_is_start: bool,
    start_ms: int | None,
    end_ms: int | None,
) -> str:
    """SELECT producing the ``samples`` columns (row_id NULL) from ``source_sql`` read with ``layout``."""
    positions: dict[str, str] = {}
    for i, name in enumerate(layout.columns):
        positions.setdefault(name, f"c{i}")

    def col(name: str) -> str | None:
        return positions.get(name)

    def text(name: str) -> str:
        c = col(name)
        return f"coalesce({c}, '')" if c else "''"

    def number(name: str, default: str = "0") -> str:
        c = col(name)
        return f"coalesce({c}, {default})" if c else f"CAST({default} AS BIGINT)"

    ts = col("timeStamp")
    if ts is None:
        raise ValueError("no timeStamp column")
    if col("elapsed") is None:
        raise ValueError("no elapsed column")
    if timestamp.strptime is None:
        # No CAST here: DuckDB would push it into the reader, which would then read BIGINT and let
        # out-of-range values through (the samples table's BIGINT columns take the DECIMAL as it is).
        ts_ms = ts
    elif timestamp.has_zone:
        ts_ms = f"epoch_ms({ts})"
    else:
        ts_ms = f"epoch_ms(timezone({sql_string(timestamp.timezone)}, {ts}))"
    start = "ts_ms" if timestamp_is_start else "ts_ms - elapsed_ms"
    success = col("success")
    queue = col(QUEUE_COLUMN)
    where = []
    if start_ms is not None:
        where.append(f"start_ms >= {int(start_ms)}")
    if end_ms is not None:
        where.append(f"start_ms <= {int(end_ms)}")
    return f"""
        SELECT
            CAST(NULL AS BIGINT) AS row_id,
            start_ms, start_ms + elapsed_ms AS end_ms, elapsed_ms, label, response_code, response_message,
            thread_name, regexp_replace(thread_name, ' [^ ]*$', '') AS thread_group,
            success, failure_message, bytes, sent_bytes, grp_threads, all_threads, url, latency_ms,
            connect_ms, queue_ms,
            starts_with(response_message, {sql_string(CONTROLLER_MESSAGE_PREFIX)}) AS is_controller,
            starts_with(response_message, {sql_string(EMPTY_CONTROLLER_MESSAGE_PREFIX)})
                AS is_empty_controller,
            TRUE AS in_label_filter
        FROM (
            SELECT
                {start} AS start_ms,
                elapsed_ms,
                {text("label")} AS label,
                {text("responseCode")} AS response_code,
                {text("responseMessage")} AS response_message,
                {text("threadName")} AS thread_name,
                {f"coalesce(lower({success}) = 'true', false)" if success else "TRUE"} AS success,
                {text("failureMessage")} AS failure_message,
                {number("bytes")} AS bytes,
                {number("sentBytes")} AS sent_bytes,
                {number("grpThreads")} AS grp_threads,
                {number("allThreads")} AS all_threads,
                {text("URL")} AS url,
                {number("Latency")} AS latency_ms,
                {number("Connect")} AS connect_ms,
                {f"CAST(round(TRY_CAST({queue} AS DOUBLE)) AS BIGINT)" if queue else "CAST(NULL AS BIGINT)"}
                    AS queue_ms
            FROM (SELECT *, {ts_ms} AS ts_ms, {col("elapsed")} AS elapsed_ms FROM {source_sql})
        )
        {("WHERE " + " AND ".join(where)) if where else ""}
    """


def read_csv_sql(
    path: str,
    layout: CsvLayout,
    skip: int,
    timestamp: TimestampRead,
    compressed: bool,
    line_column: str | None = None,
) -> str:
    """The read_csv(...) call for ``path``; columns are named c0, c1, ... in file order."""
    types: dict[str, str] = {}
    seen: set[str] = set()
    required: list[str] = []
    for i, name in enumerate(layout.columns):
        key = f"c{i}"
        kind = "VARCHAR"
        if name not in seen:
            if name == "timeStamp":
                if timestamp.strptime is None:
                    kind = _EPOCH_MS_TYPE
                else:
                    kind = "TIMESTAMPTZ" if timestamp.has_zone else "TIMESTAMP"
            elif name == "elapsed":
                kind = _ELAPSED_TYPE
            elif name in _INT_COLUMNS or name == line_column:
                kind = "BIGINT"
            if name in _REQUIRED:
                required.append(key)
        seen.add(name)
        types[key] = kind
    columns = "{" + ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in types.items()) + "}"
    options = [
        f"columns = {columns}",
        "header = false",
        f"skip = {int(skip)}",
        f"delim = {sql_string(layout.delimiter)}",
        "quote = '\"'",
        "escape = '\"'",
        "auto_detect = false",
        "strict_mode = true",
        "store_rejects = true",
        f"rejects_table = {sql_string(_REJECTS)}",
        f"rejects_scan = {sql_string(_REJECT_SCANS)}",
        f"rejects_limit = {REJECTS_LIMIT}",
        f"max_line_size = {MAX_LINE_BYTES}",
        f"compression = {sql_string('gzip' if compressed else 'none')}",
    ]
    if required:
        options.append("force_not_null = [" + ", ".join(sql_string(k) for k in required) + "]")
    if timestamp.strptime is not None:
        options.append(f"timestampformat = {sql_string(timestamp.strptime)}")
    return f"read_csv({sql_string(path)}, {', '.join(options)})"


def record_rules(layout: CsvLayout, timestamp: TimestampRead) -> RecordRules:
    """What a record spanning several lines must look like to be kept (see csv_records)."""
    numeric: set[int] = set()
    required: set[int] = set()
    seen: set[str] = set()
    for i, name in enumerate(layout.columns):
        if name in seen:
            continue
        seen.add(name)
        if name in _INT_COLUMNS or (name == "timeStamp" and timestamp.strptime is None):
            numeric.add(i)
        if name in _REQUIRED:
            required.add(i)
    return RecordRules(layout.delimiter, len(layout.columns), frozenset(numeric), frozenset(required))


def insert_csv(
    con: Any,
    path: Path,
    layout: CsvLayout,
    skip: int,
    timestamp: TimestampRead,
    timestamp_is_start: bool,
    start_ms: int | None,
    end_ms: int | None,
    compressed: bool = False,
    line_column: str | None = None,
) -> Inserted:
    """Append ``path`` to ``samples``; bad rows are counted with their physical line numbers.

    With ``line_column`` (a rewritten file whose first column holds the source line numbers), bad
    lines are taken from that column instead of being counted in ``path``.
    Raises duckdb.Error if DuckDB cannot read the file at all.
    """
    _drop_rejects(con)
    source = read_csv_sql(str(path), layout, skip, timestamp, compressed, line_column)
    select = samples_select(layout, source, timestamp, timestamp_is_start, start_ms, end_ms)
    # Plain files only: a compressed one would have to be unpacked to be looked at.
    too_long = long_lines(path, MAX_LINE_BYTES) if not compressed and line_column is None else []
    # On an error the rejects tables stay (the transaction may be aborted); the caller's rollback
    # or the next insert takes them away.
    before = con.execute("SELECT count(*) FROM samples").fetchone()[0]
    con.execute(f"INSERT INTO samples {select}")
    after = con.execute("SELECT count(*) FROM samples").fetchone()[0]
    result = Inserted(ReadCounts(rows=int(after - before)))
    truncated = _collect_rejects(con, path, compressed, line_column is not None, result, too_long)
    _drop_rejects(con)
    result.counts.warnings.extend(_odd_values(con, int(before)))
    if truncated:
        counts = result.counts
        good = counts.rows
        if start_ms is not None or end_ms is not None:
            good = _count_good(con, samples_select(layout, source, timestamp, timestamp_is_start, None, None))
            _drop_rejects(con)
        records = _count_records(con, str(path), layout, skip, compressed)
        counts.bad_rows = max(counts.bad_rows, records - good)
    return result


def _odd_values(con: Any, first_row: int) -> list[str]:
    """Warnings about kept rows from ``first_row`` (a rowid) on: dates far from now, negative elapsed."""
    odd_dates, earliest, latest, negative, lowest = con.execute(
        f"SELECT count(*) FILTER (WHERE start_ms < {_PLAUSIBLE_FROM_MS} OR end_ms >= {_PLAUSIBLE_TO_MS}),"
        " min(start_ms), max(end_ms), count(*) FILTER (WHERE elapsed_ms < 0), min(elapsed_ms)"
        f" FROM samples WHERE rowid >= {int(first_row)}"
    ).fetchone()
    out = []
    if odd_dates:
        out.append(
            f"{odd_dates} {'row is' if odd_dates == 1 else 'rows are'} dated before 2000 or after 2099"
            f" (samples from {_utc(earliest)} to {_utc(latest)}); kept: check that timeStamp holds"
            " epoch milliseconds (or give --timestamp-format)"
        )
    if negative:
        out.append(
            f"{negative} {'row has' if negative == 1 else 'rows have'} a negative elapsed (down to"
            f" {lowest} ms); kept, as JMeter does (a clock set back during the sample?)"
        )
    return out


def _utc(epoch_ms: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _count_good(con: Any, select: str) -> int:
    # The hash makes DuckDB parse every typed column, so rows that do not parse are left out.
    return int(
        con.execute(
            f"SELECT count(*) FROM ({select}) WHERE hash(start_ms, bytes, sent_bytes, grp_threads,"
            " all_threads, latency_ms, connect_ms) IS NOT NULL"
        ).fetchone()[0]
    )


def _count_records(con: Any, path: str, layout: CsvLayout, skip: int, compressed: bool) -> int:
    """Records in the file, good or bad (short and long rows included)."""
    width = len(layout.columns) + _SPARE_COLUMNS
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    # null_padding needs the serial reader when quoted fields hold newlines.
    return int(
        con.execute(
            f"SELECT count(*) FROM read_csv({sql_string(path)}, columns = {columns}, header = false,"
            f" skip = {int(skip)}, delim = {sql_string(layout.delimiter)}, quote = '\"', escape = '\"',"
            " auto_detect = false, strict_mode = false, null_padding = true, ignore_errors = true,"
            f" parallel = false, max_line_size = {MAX_LINE_BYTES},"
            f" compression = {sql_string('gzip' if compressed else 'none')})"
        ).fetchone()[0]
    )


def _drop_rejects(con: Any) -> None:
    con.execute(f"DROP TABLE IF EXISTS {_ident(_REJECTS)}")
    con.execute(f"DROP TABLE IF EXISTS {_ident(_REJECT_SCANS)}")


def _collect_rejects(
    con: Any,
    path: Path,
    compressed: bool,
    numbered: bool,
    result: Inserted,
    too_long: list[tuple[int, int]],
) -> bool:
    """Fill in the bad rows from the rejects table and ``too_long`` (over-long lines, which the
    reader reports only while they fit its buffer); True if the table is full (the count is then
    too low)."""
    rejects = _ident(_REJECTS)
    counts = result.counts
    count, stored = con.execute(
        f"SELECT count(DISTINCT line_byte_position), count(*) FROM {rejects}"
    ).fetchone()
    unreported = [
        (offset, length)
        for offset, length in too_long
        # The reader names a row by its first byte (1-based); CSV faults may name a byte further on.
        if not con.execute(
            f"SELECT count(*) FROM {rejects} WHERE line_byte_position BETWEEN ? AND ?",
            [offset + 1, offset + length + 1],
        ).fetchone()[0]
    ]
    counts.bad_rows = int(count) + len(unreported)
    if unreported:
        counts.note_bad_lines(physical_lines(path, [offset + 1 for offset, _ in unreported], compressed))
    if not count:
        return False
    truncated = bool(stored >= REJECTS_LIMIT)
    if numbered:
        # The rewritten file's first field is the source line number.
        rows = con.execute(
            f"SELECT DISTINCT TRY_CAST(split_part(ltrim(csv_line, chr(13) || chr(10)), ',', 1) AS BIGINT)"
            f" AS line FROM {rejects} ORDER BY line LIMIT {_LOCATED_BAD_ROWS}"
        ).fetchall()
        counts.note_bad_lines(int(r[0]) for r in rows if r[0] is not None)
        return truncated
    rows = con.execute(
        f"SELECT DISTINCT line_byte_position FROM {rejects} ORDER BY 1 LIMIT {_LOCATED_BAD_ROWS}"
    ).fetchall()
    counts.note_bad_lines(physical_lines(path, [int(r[0]) for r in rows], compressed))
    kinds = ", ".join(sql_string(kind) for kind in _FAULT_KINDS)
    faults = con.execute(
        f"SELECT DISTINCT line_byte_position FROM {rejects} WHERE error_type IN ({kinds})"
        f" OR contains(csv_line, chr(10)) OR contains(csv_line, chr(13))"
        f" OR length(csv_line) >= {_REJECT_TEXT_CHARS} ORDER BY 1"
    ).fetchall()
    result.faults = [max(int(r[0]) - 1, 0) for r in faults]
    return truncated


def physical_lines(path: Path, byte_positions: list[int], compressed: bool = False) -> list[int]:
    """Physical line numbers (1-based; CR, LF and CRLF each end a line) of 1-based byte positions."""
    targets = sorted(byte_positions)
    out: list[int] = []
    breaks = 0
    offset = 0  # bytes of the file already counted
    pending_cr = False  # the counted bytes end with CR, whose LF may start the next chunk
    opener = gzip.open if compressed else open
    with opener(path, "rb") as f:
        for target in targets:
            end = max(target - 1, 0)  # count the line ends strictly before the row's first byte
            while offset < end:
                chunk = f.read(min(_COUNT_CHUNK_BYTES, end - offset))
                if not chunk:
                    break
                crlf = chunk.count(b"\r\n") + (1 if pending_cr and chunk.startswith(b"\n") else 0)
                breaks += chunk.count(b"\n") + chunk.count(b"\r") - crlf
                pending_cr = chunk.endswith(b"\r")
                offset += len(chunk)
            out.append(breaks + 1)
    return out
