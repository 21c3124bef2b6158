"""The histogram the Statistics, APDEX and Top-5 tables share, and the per-label and overall rows.

One pass over ``samples`` builds a small temp table: counts, byte sums, first start, last end and
first row per (label, is TC, success, elapsed). Every count, sum, extreme, APDEX counter and exact
percentile of the tables is then an aggregate over that table (thousands of rows, not millions);
only JMeter's 20,000-sample windows read the samples again, and only for rows that exceed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from surge.errors import UsageError
from surge.report import percentiles
from surge.report.options import ReportOptions
from surge.report.semantics import ApdexTotal, EmptyControllers, LabelRows, Percentiles

# Rows the label filter keeps (docs/jmeter-semantics.md#filters); the date filter was applied by the
# loader.
FILTERED = "in_label_filter"
HISTOGRAM = "_surge_tables_histogram"


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a file labelled
# by URL makes 100,000 of these.
@dataclass(slots=True)
class Agg:
    """Aggregates of one row (a label, or the overall row) of the summary tables."""

    label: str | None  # None for the overall row
    first_row: int  # row_id of the first sample (JMeter inserts labels into its maps in this order)
    is_controller: bool  # the first sample is a transaction-controller sample
    count: int  # samples counted by Statistics (not empty TCs; overall: not TCs)
    errors: int
    sum_elapsed_ms: int
    min_elapsed_ms: int | None
    max_elapsed_ms: int | None
    first_start_ms: int | None
    last_end_ms: int | None
    bytes: int
    sent_bytes: int
    percentiles_ms: tuple[float | None, ...]  # median, pct1, pct2, pct3
    apdex_count: int
    apdex_satisfied: int
    apdex_tolerated: int
    apdex_satisfied_ms: int
    apdex_tolerated_ms: int
    non_controller_count: int  # per label: samples that are not TCs (Top-5 "#Samples")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def label_thresholds(con: Any, options: ReportOptions) -> dict[str, tuple[int, int]]:
    """(T, F) of each filtered label whose first matching rule differs from the global thresholds."""
    if not options.apdex_rules:
        return {}
    try:
        rules = [(re.compile(r.pattern), r.satisfied_ms, r.tolerated_ms) for r in options.apdex_rules]
    except re.error as exc:
        raise UsageError(f"invalid APDEX label pattern: {exc}") from exc
    labels = [row[0] for row in con.execute(f"SELECT DISTINCT label FROM {HISTOGRAM}").fetchall()]
    default = (options.apdex_satisfied_ms, options.apdex_tolerated_ms)
    result: dict[str, tuple[int, int]] = {}
    for label in labels:
        for pattern, satisfied_ms, tolerated_ms in rules:
            if pattern.fullmatch(label):  # first matching rule wins
                if (satisfied_ms, tolerated_ms) != default:
                    result[label] = (satisfied_ms, tolerated_ms)
                break
    return result


def _threshold_sql(thresholds: dict[str, tuple[int, int]], options: ReportOptions) -> tuple[str, str]:
    """SQL expressions for each sample's T and F (a CASE over label sets; no join needed)."""
    if not thresholds:
        return str(int(options.apdex_satisfied_ms)), str(int(options.apdex_tolerated_ms))
    by_pair: dict[tuple[int, int], list[str]] = {}
    for label, pair in thresholds.items():
        by_pair.setdefault(pair, []).append(label)
    t_cases, f_cases = [], []
    for (t, f), labels in by_pair.items():
        in_list = "label IN (" + ", ".join(_quote(lb) for lb in labels) + ")"
        t_cases.append(f"WHEN {in_list} THEN {int(t)}")
        f_cases.append(f"WHEN {in_list} THEN {int(f)}")
    return (
        f"CASE {' '.join(t_cases)} ELSE {int(options.apdex_satisfied_ms)} END",
        f"CASE {' '.join(f_cases)} ELSE {int(options.apdex_tolerated_ms)} END",
    )


@contextmanager
def histogram(con: Any) -> Iterator[None]:
    """Build the shared histogram of the filtered, non-empty samples; drop it afterwards."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {HISTOGRAM} AS
            SELECT label, is_controller, success, elapsed_ms, count(*) AS c,
                   sum(bytes) AS bytes, sum(sent_bytes) AS sent_bytes, min(start_ms) AS first_start,
                   max(end_ms) AS last_end, min(row_id) AS first_row
            FROM samples WHERE {FILTERED} AND NOT is_empty_controller
            GROUP BY label, is_controller, success, elapsed_ms"""
    )
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {HISTOGRAM}")


def _stats_columns() -> str:
    return """
        coalesce(sum(c), 0) AS count,
        coalesce(sum(c) FILTER (WHERE NOT success), 0) AS errors,
        coalesce(sum(CAST(c AS HUGEINT) * elapsed_ms), 0) AS sum_elapsed,
        min(elapsed_ms) AS min_elapsed,
        max(elapsed_ms) AS max_elapsed,
        min(first_start) AS first_start,
        max(last_end) AS last_end,
        coalesce(sum(bytes), 0) AS bytes,
        coalesce(sum(sent_bytes), 0) AS sent_bytes"""


def _apdex_columns(t_sql: str, f_sql: str) -> str:
    return f"""
        coalesce(sum(c), 0) AS apdex_count,
        coalesce(sum(c) FILTER (WHERE success AND elapsed_ms <= {t_sql}), 0) AS satisfied,
        coalesce(sum(c) FILTER (WHERE success AND elapsed_ms > {t_sql} AND elapsed_ms <= {f_sql}), 0)
            AS tolerated"""


def _with_percentiles(con: Any, rows: list[dict[str, Any]], options: ReportOptions, by_label: bool) -> None:
    """Fill p0..p3 of ``rows`` (median, pct1..3): exact, or JMeter's windowed LEGACY estimator.

    Rows are keyed as ``semantics.label_rows`` says: by label (JMeter) or by (label, is TC); the
    overall row is every non-TC sample. Only JMeter's windows read the samples again, and only when
    a row exceeds them.
    """
    pcts = (50.0, *options.percentiles)
    method = options.semantics.percentiles
    if by_label:
        keys = ["label"] if options.semantics.label_rows is LabelRows.ONE_ROW else ["label", "is_controller"]
        where = "TRUE"
    else:
        keys, where = [], "NOT is_controller"
    cols = ", ".join(["0 AS k", *keys])  # a constant key groups the overall row
    group = ["k", *keys]
    hist = f"SELECT {cols}, elapsed_ms AS v, sum(c) AS cnt FROM {HISTOGRAM} WHERE {where} GROUP BY ALL"
    windowed = method is Percentiles.WINDOWED
    if windowed and max((int(row["count"]) for row in rows), default=0) > options.statistic_window:
        samples = (
            f"SELECT {cols}, row_id, elapsed_ms AS v FROM samples"
            f" WHERE {FILTERED} AND NOT is_empty_controller AND {where}"
        )
        with percentiles.last_rows(con, samples, group, options.statistic_window) as windows:
            found = _fetch_percentiles(con, windows.histogram(samples, hist), group, pcts, method)
    else:
        found = _fetch_percentiles(con, hist, group, pcts, method)
    for row in rows:
        values = found.get(tuple(row[key] for key in keys))
        for i in range(len(pcts)):
            row[f"p{i}"] = values[i] if values is not None else None


def _fetch_percentiles(
    con: Any, hist: str, group: list[str], pcts: tuple[float, ...], method: Percentiles
) -> dict[tuple[Any, ...], list[float]]:
    """Percentiles per group key (without the constant first key) from ``hist``."""
    query = percentiles.histogram_percentiles_sql(hist, group, pcts, method)
    width = len(group) + 3  # keys, n, min, max
    return {tuple(r[1 : len(group)]): [float(v) for v in r[width:]] for r in con.execute(query).fetchall()}


def _to_agg(row: dict[str, Any], thresholds: tuple[int, int]) -> Agg:
    return Agg(
        label=row.get("label"),
        first_row=int(row["first_row"]),
        is_controller=bool(row["is_controller"]),
        count=int(row["count"]),
        errors=int(row["errors"]),
        sum_elapsed_ms=int(row["sum_elapsed"]),
        min_elapsed_ms=row["min_elapsed"],
        max_elapsed_ms=row["max_elapsed"],
        first_start_ms=row["first_start"],
        last_end_ms=row["last_end"],
        bytes=int(row["bytes"]),
        sent_bytes=int(row["sent_bytes"]),
        percentiles_ms=(row["p0"], row["p1"], row["p2"], row["p3"]),
        apdex_count=int(row["apdex_count"]),
        apdex_satisfied=int(row["satisfied"]),
        apdex_tolerated=int(row["tolerated"]),
        apdex_satisfied_ms=thresholds[0],
        apdex_tolerated_ms=thresholds[1],
        non_controller_count=int(row["non_controller_count"]),
    )


def _fetch_dicts(con: Any, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


_EMPTY_ROW: dict[str, Any] = {
    "count": 0,
    "errors": 0,
    "sum_elapsed": 0,
    "min_elapsed": None,
    "max_elapsed": None,
    "first_start": None,
    "last_end": None,
    "bytes": 0,
    "sent_bytes": 0,
    "apdex_count": 0,
    "satisfied": 0,
    "tolerated": 0,
    "non_controller_count": 0,
    "p0": None,
    "p1": None,
    "p2": None,
    "p3": None,
}


def _merge_empty_controllers(con: Any, rows: list[dict[str, Any]], split: bool) -> list[dict[str, Any]]:
    """JMeter creates a label's row on its first sample, even an empty TC (then flagged controller).

    With ``split`` rows (label, is TC), an empty TC belongs to its label's controller row.
    """
    by_key = {(row["label"], split and bool(row["is_controller"])): row for row in rows}
    empties = con.execute(
        f"SELECT label, min(row_id) FROM samples WHERE {FILTERED} AND is_empty_controller GROUP BY label"
    ).fetchall()
    for label, first_row in empties:
        row = by_key.get((label, split))
        if row is None:
            by_key[(label, split)] = {
                **_EMPTY_ROW,
                "label": label,
                "first_row": first_row,
                "is_controller": True,
            }
        elif first_row < row["first_row"]:
            row["first_row"], row["is_controller"] = first_row, True
    return sorted(by_key.values(), key=lambda r: int(r["first_row"]))


def per_label(con: Any, options: ReportOptions) -> list[Agg]:
    """One Agg per label among the filtered samples, in order of first appearance (needs ``histogram``).

    Rows count every sample of the label except empty transaction controllers (JMeter since 3.1).
    With ``EmptyControllers.JMETER`` a label whose samples are all empty controllers still appears,
    with count 0. ``LabelRows.ONE_ROW`` (JMeter) makes one row of a label used by both a TC and a
    sampler, flagged as the first sample is; ``LabelRows.SPLIT`` makes two rows (the TC's and the
    sampler's), so rows never mix transaction times with request times and the non-TC rows add up to
    the Total.
    """
    semantics = options.semantics
    thresholds = label_thresholds(con, options)
    t_sql, f_sql = _threshold_sql(thresholds, options)
    split = semantics.label_rows is LabelRows.SPLIT
    if split:
        group_by, controller = "label, is_controller", "is_controller"
    else:
        group_by, controller = "label", "arg_min(is_controller, first_row)"
    sql = f"""
        SELECT label, min(first_row) AS first_row, {controller} AS is_controller,
               coalesce(sum(c) FILTER (WHERE NOT is_controller), 0) AS non_controller_count,
               {_stats_columns()},
               {_apdex_columns(t_sql, f_sql)}
        FROM {HISTOGRAM} GROUP BY {group_by} ORDER BY first_row"""
    rows = _fetch_dicts(con, sql)
    if semantics.empty_controllers is EmptyControllers.JMETER:
        rows = _merge_empty_controllers(con, rows, split)
    _with_percentiles(con, rows, options, by_label=True)
    default = (options.apdex_satisfied_ms, options.apdex_tolerated_ms)
    return [_to_agg(row, thresholds.get(row["label"], default)) for row in rows]


def overall(con: Any, options: ReportOptions) -> Agg | None:
    """The overall ("Total") row, or None when no sample passes the filters (needs ``histogram``).

    Statistics: every sample that is not a transaction controller (both modes).
    APDEX: ``ApdexTotal.EVERY_SAMPLE`` (JMeter) counts every non-empty sample, TCs included, against
    the global thresholds; ``ApdexTotal.REQUESTS`` counts the same samples as Statistics, each
    against its own label's thresholds.
    """
    exists = con.execute(f"SELECT count(*) > 0 FROM (SELECT 1 FROM samples WHERE {FILTERED} LIMIT 1)")
    if not exists.fetchone()[0]:
        return None
    every_sample = options.semantics.apdex_total is ApdexTotal.EVERY_SAMPLE
    if every_sample:
        t_sql, f_sql = str(int(options.apdex_satisfied_ms)), str(int(options.apdex_tolerated_ms))
        apdex_sql = "NULL AS apdex_count, NULL AS satisfied, NULL AS tolerated"
    else:
        t_sql, f_sql = _threshold_sql(label_thresholds(con, options), options)
        apdex_sql = _apdex_columns(t_sql, f_sql)
    sql = f"""
        SELECT NULL AS label, coalesce(min(first_row), -1) AS first_row, FALSE AS is_controller,
               {_stats_columns()}, coalesce(sum(c), 0) AS non_controller_count, {apdex_sql}
        FROM {HISTOGRAM} WHERE NOT is_controller"""
    row = _fetch_dicts(con, sql)[0]
    if every_sample:
        # JMeter's APDEX Total: every non-empty sample, TCs included, global thresholds.
        row["apdex_count"], row["satisfied"], row["tolerated"] = con.execute(
            f"SELECT {_apdex_columns(t_sql, f_sql)} FROM {HISTOGRAM}"
        ).fetchone()
    _with_percentiles(con, [row], options, by_label=False)
    return _to_agg(row, (options.apdex_satisfied_ms, options.apdex_tolerated_ms))
