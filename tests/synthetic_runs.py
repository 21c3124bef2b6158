"""Synthetic runs for the compare tests: seeded samples as JTL CSV files or straight into DuckDB.

Response times are log-normal (median ``median_ms``, shape 0.5) in whole milliseconds, as JMeter
records them, so values tie as in real files; start times are spread at random over the run.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surge.results.columns import DEFAULT_COLUMNS

START_MS = 1_735_722_000_000  # 2025-01-01 09:00 UTC


@dataclass(frozen=True)
class LabelSpec:
    samples: int
    median_ms: float = 100.0
    error_rate: float = 0.01
    factor: float = 1.0  # every response time multiplied by this (a shift of the whole distribution)


@dataclass(frozen=True)
class Sample:
    label: str
    start_ms: int
    elapsed_ms: int
    success: bool


def samples(
    labels: Mapping[str, LabelSpec], seed: int, duration_s: float = 600.0, start_ms: int = START_MS
) -> list[Sample]:
    """Every sample of a run, ordered by start time."""
    rng = random.Random(seed)
    out = []
    span_ms = int(duration_s * 1000)
    for label, spec in labels.items():
        mu = math.log(spec.median_ms)
        for _ in range(spec.samples):
            elapsed = int(math.exp(mu + 0.5 * rng.gauss(0.0, 1.0)) * spec.factor)
            out.append(
                Sample(label, start_ms + rng.randrange(span_ms), elapsed, rng.random() >= spec.error_rate)
            )
    out.sort(key=lambda s: s.start_ms)
    return out


def write_jtl(path: Path, run: list[Sample]) -> Path:
    """A JMeter CSV results file with the default columns."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(DEFAULT_COLUMNS)
        for s in run:
            code, message = ("200", "OK") if s.success else ("500", "Internal Server Error")
            writer.writerow(
                [s.start_ms, s.elapsed_ms, s.label, code, message, "Users 1-1", "text",
                 "true" if s.success else "false", "", 1024, 200, 1, 1, f"http://127.0.0.1/{s.label}",
                 max(0, s.elapsed_ms - 1), 0, 0]
            )  # fmt: skip
    return path


def load_table(con: Any, name: str, run: list[Sample]) -> None:
    """The run as a table with the columns the compare queries read (the loader's ``samples`` table)."""
    con.execute(
        f"""CREATE OR REPLACE TABLE {name} AS
            SELECT label, start_ms, start_ms + elapsed_ms AS end_ms, elapsed_ms, success,
                   FALSE AS is_controller, FALSE AS is_empty_controller, TRUE AS in_label_filter
            FROM (SELECT unnest(?::VARCHAR[]) AS label, unnest(?::BIGINT[]) AS start_ms,
                         unnest(?::BIGINT[]) AS elapsed_ms, unnest(?::BOOLEAN[]) AS success)""",
        [
            [s.label for s in run],
            [s.start_ms for s in run],
            [s.elapsed_ms for s in run],
            [s.success for s in run],
        ],
    )
