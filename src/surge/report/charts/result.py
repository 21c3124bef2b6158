"""Build graph results in the JSON shape of JMeter's graph.js (``{"result": {...}}``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from surge.report.semantics import GraphBounds

# JMeter starts every bound at Double.MAX_VALUE / Double.MIN_VALUE (the smallest *positive* double,
# not the most negative one), so a graph whose values are all 0 reports maxY = 5e-324.
JAVA_DOUBLE_MAX = 1.7976931348623157e308
JAVA_DOUBLE_MIN = 5e-324

Point = list[float | None]


@dataclass
class Series:
    label: str
    data: list[Point] = field(default_factory=list)
    is_controller: bool = False
    color: str | None = None
    # surge only: the series folds every label (code, thread group) not drawn one by one
    is_other: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "isController": self.is_controller,
            "isOverall": False,
            "data": self.data,
        }
        if self.color is not None:
            out["color"] = self.color
        if self.is_other:
            out["isOther"] = True
        return out


@dataclass(frozen=True)
class Bounds:
    min_x: float
    max_x: float
    min_y: float
    max_y: float


def point_bounds(series: Sequence[Series], rule: GraphBounds) -> Bounds:
    """minX/maxX/minY/maxY over every point that has a value (gaps with y=None are skipped)."""
    xs = [p[0] for s in series for p in s.data if p[0] is not None and p[1] is not None]
    ys = [p[1] for s in series for p in s.data if p[0] is not None and p[1] is not None]
    return bounds_of(xs, ys, rule)


def bounds_of(xs: Iterable[float | None], ys: Iterable[float | None], rule: GraphBounds) -> Bounds:
    """``GraphBounds.JAVA_START``: JMeter's, from its start values; ``DATA``: the values', else 0."""
    xl = [float(x) for x in xs if x is not None]
    yl = [float(y) for y in ys if y is not None]
    if rule is GraphBounds.JAVA_START:
        return Bounds(
            min([JAVA_DOUBLE_MAX, *xl]),
            max([JAVA_DOUBLE_MIN, *xl]),
            min([JAVA_DOUBLE_MAX, *yl]),
            max([JAVA_DOUBLE_MIN, *yl]),
        )
    return Bounds(min(xl, default=0.0), max(xl, default=0.0), min(yl, default=0.0), max(yl, default=0.0))


def graph(
    title: str,
    series: Sequence[Series],
    *,
    bounds_rule: GraphBounds,
    supports_controllers: bool,
    granularity_ms: int | None = None,
    bounds: Bounds | None = None,
    extra: dict[str, Any] | None = None,
    folded: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """One graph entry: ``{"result": {title, minX, maxX, minY, maxY, [granularity], ..., series}}``.

    ``folded``: (drawn, folded): how many labels (codes, thread groups) the chart draws one by one
    and how many as one "other" series; kept in the entry (``drawnCount``, ``foldedCount``, surge
    only) so the page can say so.
    """
    b = bounds if bounds is not None else point_bounds(series, bounds_rule)
    result: dict[str, Any] = {
        "title": title,
        "minX": b.min_x,
        "maxX": b.max_x,
        "minY": b.min_y,
        "maxY": b.max_y,
        "supportsControllersDiscrimination": supports_controllers,
    }
    if granularity_ms is not None:
        result["granularity"] = granularity_ms
    if extra:
        result.update(extra)
    if folded[1]:
        result["drawnCount"], result["foldedCount"] = folded
    result["series"] = [s.as_json() for s in series]
    return {"result": result}


def clean(value: float | None) -> float | None:
    """JSON has no NaN/Infinity: map them to None (a gap) so the renderer never sees them."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return float(value)
