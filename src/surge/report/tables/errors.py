"""The Errors table and the Top 5 Errors by sampler table.

JMeter's definitions: docs/jmeter-semantics.md#errors and #top-5-errors-by-sampler.

Both read failed samples that are not transaction controllers, after the label filter (in JMeter the
errors consumer sits behind the name filter: ReportGenerator adds the exclude-controller filter as a
consumer of the name filter). Empty controllers are controllers, so they never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from surge.report.options import ReportOptions
from surge.report.semantics import ErrorKeys, LabelRows, RowOrder, Top5Rows
from surge.report.tables.aggregate import FILTERED, Agg
from surge.report.tables.errorkeys import error_key, grouped_sql
from surge.report.tables.java import hashmap_order, sort_stable_by_count

ERRORS_TITLES = ["Type of error", "Number of errors", "% in errors", "% in all samples"]
TOP_N = 5
TOP5_TITLES = ["Sample", "#Samples", "#Errors", *(["Error", "#Errors"] * TOP_N)]


@dataclass(frozen=True)
class ErrorGroup:
    """Non-controller samples of one label sharing one error classification."""

    label: str
    key: str  # displayed key, also JMeter's HashMap key
    failures: int
    first_failure_row: int | None
    first_row: int  # successes included: JMeter's errors map gets an entry for every sample's key


def error_groups(con: Any, options: ReportOptions) -> list[ErrorGroup]:
    """Group non-TC samples by (label, error key).

    JMeter's HashMap order needs every sample's key (successes too: each is inserted in its map);
    sorted rows need the failures only.
    """
    semantics = options.semantics
    hashmap = semantics.row_order is RowOrder.HASHMAP
    where = f"{FILTERED} AND NOT is_controller" + ("" if hashmap else " AND NOT success")
    sql = f"SELECT label, kind, code, text, failures, first_failure_row, first_row FROM {grouped_sql(where)}"
    escape = semantics.error_keys is ErrorKeys.HTML_ESCAPED
    groups = []
    for label, kind, code, text, failures, first_failure_row, first_row in con.execute(sql).fetchall():
        key = error_key(kind, code, text, html_escape=escape)
        groups.append(ErrorGroup(label, key, int(failures), first_failure_row, int(first_row)))
    return groups


def _top_keys(groups: Sequence[ErrorGroup], order: RowOrder) -> list[tuple[str, int]]:
    """Keys with their failure counts, most frequent first (JMeter: ties in HashMap order)."""
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for g in groups:
        if g.failures == 0 or g.first_failure_row is None:
            continue
        counts[g.key] = counts.get(g.key, 0) + g.failures
        first[g.key] = min(first.get(g.key, g.first_failure_row), g.first_failure_row)
    if order is RowOrder.HASHMAP:
        return sort_stable_by_count(counts.items(), hashmap_order(sorted(first, key=first.__getitem__)))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def errors_table(groups: Sequence[ErrorGroup], all_samples: int, options: ReportOptions) -> dict[str, Any]:
    """``all_samples``: non-TC samples after the label filter (the "% in all samples" denominator)."""
    counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for g in groups:
        first_seen[g.key] = min(first_seen.get(g.key, g.first_row), g.first_row)
        if g.failures:
            counts[g.key] = counts.get(g.key, 0) + g.failures
    error_count = sum(counts.values())
    if options.semantics.row_order is RowOrder.HASHMAP:
        # Every sample's key (successes too) is inserted in JMeter's map; only failed ones are output.
        order = [k for k in hashmap_order(sorted(first_seen, key=first_seen.__getitem__)) if k in counts]
    else:
        order = sorted(counts, key=lambda k: (-counts[k], k))
    items = [
        {
            "isController": False,
            "data": [
                k,
                counts[k],
                float(counts[k]) * 100 / error_count,
                float(counts[k]) * 100 / float(all_samples),
            ],
        }
        for k in order
    ]
    return {"supportsControllersDiscrimination": False, "titles": list(ERRORS_TITLES), "items": items}


def _top5_data(name: str, samples: int, errors: int, ranked: list[tuple[str, int]]) -> list[Any]:
    data: list[Any] = [name, samples, errors]
    for key, n in ranked[:TOP_N]:
        data += [key, n]
    data += ["", ""] * (TOP_N - min(len(ranked), TOP_N))
    return data


def top5_table(
    groups: Sequence[ErrorGroup], rows: Sequence[Agg], total: Agg | None, options: ReportOptions
) -> dict[str, Any]:
    """``rows``: per-label aggregates in output order. ``Top5Rows.EVERY_LABEL`` (JMeter) lists every
    label, with empty data for labels without errors (and for TC labels, which it leaves out);
    ``Top5Rows.WITH_ERRORS`` lists only labels with errors."""
    semantics = options.semantics
    by_label: dict[str, list[ErrorGroup]] = {}
    for g in groups:
        if g.failures:
            by_label.setdefault(g.label, []).append(g)
    table: dict[str, Any] = {"supportsControllersDiscrimination": False, "titles": list(TOP5_TITLES)}
    if total is not None:
        ranked = _top_keys(groups, semantics.row_order)
        table["overall"] = {
            "isController": False,
            "data": _top5_data("Total", total.count, sum(n for _, n in ranked), ranked),
        }
    items = []
    for agg in rows:
        if agg.is_controller and semantics.label_rows is LabelRows.SPLIT:
            continue  # a TC row of its own (see aggregate.per_label); TCs are left out of Top 5
        label = agg.label or ""
        label_groups = by_label.get(label, [])
        errors = sum(g.failures for g in label_groups)
        if errors:
            data = _top5_data(
                label, agg.non_controller_count, errors, _top_keys(label_groups, semantics.row_order)
            )
            items.append({"isController": False, "data": data})
        elif semantics.top5_rows is Top5Rows.EVERY_LABEL:
            items.append({"isController": False, "data": []})
    table["items"] = items
    return table
