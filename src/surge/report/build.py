"""Build a report end to end: DuckDB over the results files, tables and charts, HTML, statistics.json.

Everything is computed before anything is written, and the files are written into a temporary
folder next to the output folder, then moved into place (surge.report.staging): a report that fails
leaves no half-written folder and never touches the files already in the output folder.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from surge.errors import SurgeError, UsageError
from surge.report.info import bad_rows_text, info_rows
from surge.report.load import LoadResult, load_samples
from surge.report.options import ReportOptions
from surge.report.pagedata import table_safe
from surge.report.render import InfoRow, ReportContent, render_report
from surge.report.semantics import ErrorKeys
from surge.report.server_metrics import ServerMetrics, metrics_beside, read_server_metrics
from surge.report.server_metrics import describe as describe_server
from surge.report.staging import publish, staged

# DuckDB spills to its temp directory beyond this, which keeps the peak memory of a 10M-row report
# well under 2 GB on a shared machine.
MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    index_html: Path
    statistics_json: Path
    load: LoadResult


def check_out_dir(out_dir: Path, force: bool) -> None:
    """Refuse an output folder that already holds files, unless ``force`` (JMeter's rule, bug 63060)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"output {out_dir} exists and is not a folder")
    if force or not out_dir.exists():
        return
    entries = sorted(p.name for p in out_dir.iterdir())
    if entries:
        shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        raise UsageError(
            f"output folder {out_dir} is not empty ({len(entries)} entries: {shown}); "
            "choose an empty or new folder, or pass --force to write into it"
        )


def _check_inputs(paths: Sequence[Path]) -> None:
    if not paths:
        raise UsageError("no results file given")
    for path in paths:
        if not path.exists():
            raise UsageError(f"results file not found: {path}")
        if not path.is_file():
            raise UsageError(f"results path is not a file: {path}")


def _connect(temp_dir: str) -> Any:
    return duckdb.connect(
        ":memory:",
        config={"memory_limit": MEMORY_LIMIT, "temp_directory": temp_dir},
    )


def _compute(
    paths: Sequence[Path], options: ReportOptions
) -> tuple[LoadResult, dict[str, Any], dict[str, Any], dict[str, Any]]:
    # Imported here: the three computing modules are only needed once a report is built.
    from surge.report.charts import compute_graphs
    from surge.report.tables import compute_overview, compute_tables

    with tempfile.TemporaryDirectory(prefix="surge-report-") as temp_dir:
        con = _connect(temp_dir)
        try:
            load = load_samples(con, paths, options)
            if load.rows_loaded == 0:
                names = ", ".join(str(p) for p in paths)
                detail = f" ({bad_rows_text(load)} bad rows skipped)" if load.bad_rows else ""
                raise UsageError(f"no readable sample in {names}{detail}")
            tables = compute_tables(con, options)
            graphs = compute_graphs(con, options)
            overview = compute_overview(con, options)
        except duckdb.Error as exc:
            raise SurgeError(f"report query failed: {exc}") from exc
        finally:
            con.close()
    return load, tables, graphs, overview


def statistics_text(statistics: Mapping[str, Mapping[str, Any]]) -> str:
    """statistics.json's text: ``json.dumps(statistics, indent=2, ensure_ascii=False)``, fast.

    With an indent, ``json`` falls back to its pure-Python encoder, which takes seconds for a
    100,000-label file. Each entry is flat, so the C encoder writes them all in one call with
    line-breaking separators; JSON strings hold no raw line break, so the separator between two
    entries can only be where it is split.
    """
    if not statistics:
        return "{}"
    between = "},\n    {"
    entries = json.dumps(list(statistics.values()), ensure_ascii=False, separators=(",\n    ", ": "))
    bodies = entries[2:-2].split(between)  # without the list's "[{" and "}]"
    if len(bodies) != len(statistics) or not all(statistics.values()):
        return json.dumps(statistics, indent=2, ensure_ascii=False)  # not flat entries: the slow way
    # the keys too in one call: ",\n" cannot occur inside a JSON string
    keys = json.dumps(list(statistics), ensure_ascii=False, separators=(",\n", ": "))[1:-1].split(",\n")
    return (
        "{\n"
        + ",\n".join(f"  {k}: {{\n    {body}\n  }}" for k, body in zip(keys, bodies, strict=True))
        + "\n}"
    )


def build_report(
    paths: Sequence[Path], out_dir: Path, options: ReportOptions, force: bool = False
) -> BuildResult:
    """Read ``paths``, compute the dashboard and write it into ``out_dir`` (all at once, see above)."""
    paths = [Path(p) for p in paths]
    out_dir = Path(out_dir)
    _check_inputs(paths)
    check_out_dir(out_dir, force)
    try:
        return _build(paths, out_dir, options)
    except MemoryError as exc:
        # DuckDB spills to disk; what runs out is Python's share: chart series of very many labels.
        raise SurgeError(
            "not enough memory to build the report"
            + (
                " (draw fewer labels in the charts with --chart-labels N)"
                if options.chart_labels == 0
                else ""
            )
        ) from exc


def _server_metrics(
    paths: Sequence[Path], graphs: dict[str, Any], options: ReportOptions
) -> ServerMetrics | None:
    """The monitored server's graphs (the Server page), when a metrics file goes with the results."""
    path = options.metrics_path
    if path is None:
        if len(paths) != 1 or not metrics_beside(paths[0]).is_file():
            return None
        path = metrics_beside(paths[0])
    over_time = graphs.get("responseTimesOverTime", {}).get("result", {})
    granularity_ms = int(over_time.get("granularity") or 1000)
    try:
        metrics = read_server_metrics(path, granularity_ms)
    except OSError as exc:
        raise UsageError(f"cannot read the metrics file {path}: {exc.strerror or exc}") from exc
    graphs.update(metrics.graphs)
    return metrics


def _build(paths: Sequence[Path], out_dir: Path, options: ReportOptions) -> BuildResult:
    load, tables, graphs, overview = _compute(paths, options)
    server = _server_metrics(paths, graphs, options)

    from surge.report.tables import statistics_json

    # JMeter's file is pretty-printed; Jackson writes NaN/Infinity as the strings "NaN"/"Infinity".
    statistics = statistics_text(table_safe(statistics_json(tables))) + "\n"
    notes = [str(note) for note in overview.get("notes", ())]
    notes[:0] = [str(w) for w in load.warnings]
    if load.bad_rows:
        notes.insert(0, f"Bad rows skipped: {bad_rows_text(load)}. The report is built from the other rows.")
    content = ReportContent(
        title=options.title,
        tables=tables,
        graphs=graphs,
        info=info_rows(load, overview, graphs, options)
        + ([InfoRow(name, value) for name, value in describe_server(server)] if server is not None else []),
        timezone=options.timezone,
        notes=notes,
        error_keys_html_escaped=options.semantics.error_keys is ErrorKeys.HTML_ESCAPED,
    )
    with staged(out_dir) as stage:
        try:
            (stage / "statistics.json").write_text(statistics, encoding="utf-8")
            index = render_report(stage, content)
        except OSError as exc:
            raise SurgeError(f"cannot write the report into {out_dir}: {exc.strerror or exc}") from exc
        publish(stage, out_dir)
    return BuildResult(
        out_dir=out_dir,
        index_html=out_dir / index.relative_to(stage),
        statistics_json=out_dir / "statistics.json",
        load=load,
    )
