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
it before anything else; the label filter is only flagged, because JMeter applies it to some
consumers and not to others (spec §0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surge.report.options import ReportOptions


@dataclass(frozen=True)
class LoadResult:
    rows_loaded: int
    bad_rows: int
    bad_row_lines: tuple[int, ...]  # first few physical line numbers of skipped rows
    sources: tuple[str, ...]


def load_samples(con: Any, paths: Sequence[Path], options: ReportOptions) -> LoadResult:
    """Create and fill table ``samples`` from ``paths`` (minimal first version: headed CSV only)."""
    files = [str(p) for p in paths]
    file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW raw AS SELECT * FROM read_csv({file_list}, header=true,"
        " all_varchar=true, quote='\"', escape='\"')"
    )
    ts = 'CAST("timeStamp" AS BIGINT)'
    el = "CAST(elapsed AS BIGINT)"
    start = ts if options.timestamp_is_start else f"({ts} - {el})"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE samples AS
        SELECT
            row_number() OVER () - 1 AS row_id,
            {start} AS start_ms,
            {start} + {el} AS end_ms,
            {el} AS elapsed_ms,
            coalesce(label, '') AS label,
            coalesce("responseCode", '') AS response_code,
            coalesce("responseMessage", '') AS response_message,
            coalesce("threadName", '') AS thread_name,
            CASE WHEN strpos(coalesce("threadName", ''), ' ') > 0
                 THEN regexp_replace("threadName", ' [^ ]*$', '') ELSE coalesce("threadName", '') END
                 AS thread_group,
            lower(success) = 'true' AS success,
            coalesce("failureMessage", '') AS failure_message,
            coalesce(CAST(bytes AS BIGINT), 0) AS bytes,
            coalesce(CAST("sentBytes" AS BIGINT), 0) AS sent_bytes,
            CAST("grpThreads" AS BIGINT) AS grp_threads,
            CAST("allThreads" AS BIGINT) AS all_threads,
            coalesce("URL", '') AS url,
            coalesce(CAST("Latency" AS BIGINT), 0) AS latency_ms,
            coalesce(CAST("Connect" AS BIGINT), 0) AS connect_ms,
            CAST(NULL AS BIGINT) AS queue_ms,
            starts_with(coalesce("responseMessage", ''), 'Number of samples in transaction')
                AS is_controller,
            starts_with(coalesce("responseMessage", ''), 'Number of samples in transaction : 0')
                AS is_empty_controller,
            TRUE AS in_label_filter
        FROM raw
        """
    )
    count = con.execute("SELECT count(*) FROM samples").fetchone()[0]
    return LoadResult(rows_loaded=int(count), bad_rows=0, bad_row_lines=(), sources=tuple(files))
