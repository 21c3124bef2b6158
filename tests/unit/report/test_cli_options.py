"""surge report's command line becomes ReportOptions; bad values are UsageErrors (exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from surge.cli import build_parser
from surge.cli.report import options_from_args, parse_apdex_rule, parse_percentiles, parse_time_ms
from surge.errors import UsageError
from surge.report.options import ApdexRule, ReportOptions


def test_full_command_line() -> None:
    args = build_parser().parse_args(
        ["report", "a/x.jtl", "b/y.csv", "-o", "out", "--title", "T", "--apdex-satisfied", "300",
         "--apdex-tolerated", "900", "--apdex-label", "login:.*:100|200", "--apdex-label", "api.*:50|60",
         "--granularity", "1m30s", "--percentiles", "50, 99.9,100", "--include", "a.*", "--exclude", "b",
         "--start", "1700000000000", "--end", "2023-11-15T00:00:00+01:00", "--timestamp", "end",
         "--timestamp-format", "yyyy/MM/dd HH:mm:ss", "--tz", "Asia/Tokyo", "--jmeter-compat", "--force"]
    )  # fmt: skip
    options = options_from_args(args)
    assert args.output == Path("out") and args.force
    assert options.title == "T"
    assert (options.apdex_satisfied_ms, options.apdex_tolerated_ms) == (300, 900)
    assert options.apdex_rules == (ApdexRule("login:.*", 100, 200), ApdexRule("api.*", 50, 60))
    assert options.granularity_ms == 90_000
    assert options.percentiles == (50.0, 99.9, 100.0)
    assert (options.include_labels, options.exclude_labels) == ("a.*", "b")
    assert options.start_ms == 1_700_000_000_000
    assert options.end_ms == int(datetime(2023, 11, 14, 23, 0, tzinfo=UTC).timestamp() * 1000)
    assert options.timestamp_is_start is False
    assert options.timestamp_format == "yyyy/MM/dd HH:mm:ss"
    assert options.timezone == "Asia/Tokyo"
    assert options.jmeter_compat is True
    assert options.source_names == ("x.jtl", "y.csv")


def test_defaults_are_jmeters() -> None:
    options = options_from_args(build_parser().parse_args(["report", "r.jtl", "-o", "o"]))
    assert (options.apdex_satisfied_ms, options.apdex_tolerated_ms) == (500, 1500)
    assert options.percentiles == (90.0, 95.0, 99.0)
    assert options.timestamp_is_start is True
    assert options.granularity_ms is None
    assert options.jmeter_compat is False


def test_zone_less_times_are_read_in_the_display_zone() -> None:
    expected = int(datetime(2024, 7, 1, 10, 0, tzinfo=UTC).timestamp() * 1000)
    assert parse_time_ms("2024-07-01T12:00:00", "Europe/Paris", "--start") == expected
    assert parse_time_ms("2024-07-01 10:00:00Z", "Europe/Paris", "--start") == expected


@pytest.mark.parametrize("text", ["90,95", "90,95,99,99.9", "0,50,90", "a,b,c", "90,95,100.5"])
def test_bad_percentiles(text: str) -> None:
    with pytest.raises(UsageError):
        parse_percentiles(text)


@pytest.mark.parametrize("text", ["label", "label:100", ":100|200", "x:200|100", "x:a|b", "([:100|200"])
def test_bad_apdex_rules(text: str) -> None:
    with pytest.raises(UsageError):
        parse_apdex_rule(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["--tz", "Nowhere/Land"],
        ["--apdex-satisfied", "900", "--apdex-tolerated", "100"],
        ["--start", "2024-02-02", "--end", "2024-02-01"],
        ["--granularity", "0s"],
        ["--exclude", "*"],
    ],
)
def test_bad_options(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        options_from_args(build_parser().parse_args(["report", "r.jtl", "-o", "o", *argv]))


def test_chart_labels_option() -> None:
    def parse(*argv: str) -> ReportOptions:
        return options_from_args(build_parser().parse_args(["report", "r.jtl", "-o", "o", *argv]))

    assert parse().chart_labels is None and parse().chart_label_limit() == 20
    assert parse("--chart-labels", "5").chart_label_limit() == 5
    assert parse("--chart-labels", "all").chart_label_limit() is None
    assert parse("--jmeter-compat").chart_label_limit() == 100
    assert parse("--jmeter-compat", "--chart-labels", "30").chart_label_limit() == 30
    for bad in ("0", "-3", "x", "2.5"):
        with pytest.raises(UsageError, match="--chart-labels"):
            parse("--chart-labels", bad)
