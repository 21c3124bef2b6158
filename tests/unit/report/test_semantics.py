"""--jmeter-compat is one named object: each field a documented difference, read instead of the option."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from enum import Enum
from pathlib import Path

from surge.report.options import ReportOptions
from surge.report.semantics import Percentiles, Semantics

ROOT = Path(__file__).resolve().parents[3]
DIFFERENCES = ROOT / "docs" / "report-differences.md"
REPORT_SRC = ROOT / "src" / "surge" / "report"


def _documented_rows() -> list[list[str]]:
    """Cells of the rows of report-differences.md's table of fields."""
    text = DIFFERENCES.read_text(encoding="utf-8")
    section = text.split("## The differences, one per field", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    # split on the column bars, not on escaped ones inside a cell
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def _shown(value: object) -> str:
    return f"(`{value.name if isinstance(value, Enum) else value}`)"


def test_the_option_is_read_once_into_the_semantics() -> None:
    assert ReportOptions().semantics == Semantics.exact()
    assert ReportOptions(jmeter_compat=True).semantics == Semantics.jmeter()
    changed = replace(ReportOptions(jmeter_compat=True), title="other")
    assert changed.semantics == Semantics.jmeter()
    assert ReportOptions(jmeter_compat=True).semantics.percentiles is Percentiles.WINDOWED


def test_every_field_is_a_difference_between_the_modes() -> None:
    jmeter, exact = Semantics.jmeter(), Semantics.exact()
    same = [f.name for f in fields(Semantics) if getattr(jmeter, f.name) == getattr(exact, f.name)]
    assert same == []


def test_report_differences_has_one_row_per_field_with_each_modes_value() -> None:
    rows = _documented_rows()
    names = [re.match(r"`(\w+)`", cells[0]).group(1) for cells in rows]  # type: ignore[union-attr]
    assert names == [f.name for f in fields(Semantics)]
    jmeter, exact = Semantics.jmeter(), Semantics.exact()
    for name, cells in zip(names, rows, strict=True):
        assert len(cells) == 4, name
        assert cells[1].startswith(_shown(getattr(jmeter, name))), name
        assert cells[2].startswith(_shown(getattr(exact, name))), name


def test_only_the_options_read_the_jmeter_compat_flag() -> None:
    readers = sorted(
        str(path.relative_to(REPORT_SRC))
        for path in REPORT_SRC.rglob("*.py")
        if re.search(r"\bjmeter_compat\b", path.read_text(encoding="utf-8"))
    )
    assert readers == ["options.py"]


def test_mode_line_names_the_preset_or_the_changed_fields() -> None:
    assert Semantics.jmeter().describe().startswith("JMeter-compatible")
    assert Semantics.exact().describe().startswith("exact (")
    mixed = replace(Semantics.exact(), percentiles=Percentiles.WINDOWED)
    assert mixed.describe() == "exact, except percentiles"
