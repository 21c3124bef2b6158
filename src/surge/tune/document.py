"""The tune's result as one JSON document (``--json FILE``), also the data of the HTML page.

Shape::

    {"recommendation": {"mode", "workers", "threads", "worker_connections", "max_rps", "p50_ms",
                        "p99_ms", "cpu_percent", "rss_mb", "command", ...} | null,
     "no_recommendation": null | "why",
     "candidates": [{"mode", "workers", "threads", "worker_connections", "max_rps", "p50_ms",
                     "p99_ms", "cpu_percent", "rss_mb", "status", "reason", "trials": [...], ...}],
     "slo": [...], "load": {...}, "machine": {...}, "search": {...}}

``max_rps`` is the highest arrival rate that met the SLO (with users, the rate they achieved);
p50/p99, CPU (% of one core, summed over the server's processes) and RSS (MiB, summed) are
from the trial at that rate.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from surge import __version__
from surge.errors import SurgeError
from surge.tune.measure import Measurement
from surge.tune.ranking import CandidateResult
from surge.tune.session import TuneResult
from surge.tune.text import recommendation_lines
from surge.tune.trial import Trial

_MIB = 1024 * 1024


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def trial_dict(trial: Trial) -> dict[str, Any]:
    return {
        "level": trial.level,
        "rps": _round(trial.rate_per_s),
        "duration_s": _round(trial.duration_s, 2),
        "samples": trial.samples,
        "error_pct": _round(trial.error_pct, 3),
        "p50_ms": _round(trial.p50_ms, 2),
        "p99_ms": _round(trial.p99_ms, 2),
        "outcome": trial.outcome.value,
        "reason": trial.reason,
        "cpu_percent": _round(trial.server_cpu_percent),
        "rss_mb": _round(trial.server_rss_bytes / _MIB),
        "generator_cpu_share": _round(trial.generator_cpu_share, 3),
        "others_cpu_share": _round(trial.foreign_cpu_share, 3),
    }


def measurement_dict(measurement: Measurement) -> dict[str, Any]:
    return {
        "settings": measurement.settings,
        "status": measurement.status.value,
        "max_level": measurement.max_level,
        "precision": _round(measurement.precision, 4),
        "reason": measurement.reason,
        "elapsed_s": _round(measurement.elapsed_s, 2),
        "trials": [trial_dict(t) for t in measurement.trials],
    }


def candidate_dict(result: CandidateResult, app: str) -> dict[str, Any]:
    candidate = result.candidate
    best = result.best
    return {
        "key": candidate.key,
        "mode": candidate.mode,
        "workers": None if candidate.reference else candidate.workers,
        "threads": candidate.threads,
        "worker_connections": candidate.worker_connections,
        "reference": candidate.reference,
        "max_rps": _round(result.max_rps),
        "p50_ms": _round(best.p50_ms, 2) if best and result.max_rps is not None else None,
        "p99_ms": _round(best.p99_ms, 2) if best and result.max_rps is not None else None,
        "cpu_percent": _round(best.server_cpu_percent) if best and result.max_rps is not None else None,
        "rss_mb": _round(best.server_rss_bytes / _MIB) if best and result.max_rps is not None else None,
        "status": result.status.value,
        "reason": result.reason,
        "range_rps": [_round(result.low), _round(result.high)] if result.low is not None else None,
        "ranked_on": result.ranked_on or None,
        "measurements": [measurement_dict(m) for m in result.measurements],
        "command": candidate.serve_command(app),
    }


def tune_document(result: TuneResult) -> dict[str, Any]:
    plan = result.plan
    options = plan.options
    ranking = result.ranking
    app = options.app
    recommendation: dict[str, Any] | None = None
    chosen = ranking.recommendation
    if chosen is not None:
        recommendation = candidate_dict(chosen, app)
        recommendation.pop("measurements")
        recommendation["tied_with"] = [
            r.candidate.key for r in ranking.tied if r.candidate != chosen.candidate
        ]
        recommendation["top_two_within_noise"] = ranking.top_two_within_noise
        recommendation["server_cores"] = plan.cores.server_cores
    lines = recommendation_lines(result)
    return {
        "surge_version": __version__,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "app": app,
        "recommendation": recommendation,
        "no_recommendation": None
        if recommendation is not None
        else lines[0].removeprefix("No recommendation: "),
        "summary": lines,
        "candidates": [candidate_dict(r, app) for r in ranking.results],
        "slo": [t.text for t in plan.slo],
        "load": {
            "source": options.source.describe(),
            "model": "closed" if plan.load.closed else "open",
            "level_unit": plan.load.level_unit,
        },
        "machine": {
            "cores": len(set(plan.cores.server) | set(plan.cores.generator)),
            "server_cores": list(plan.cores.server),
            "generator_cores": list(plan.cores.generator),
            "shared": plan.cores.shared,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "search": {
            "strategy": result.log.strategy,
            "budget_s": options.budget_s,
            "elapsed_s": _round(result.elapsed_s, 1),
            "measurements": len(result.log.measurements),
            "trials": result.trials,
            "interrupted": result.log.interrupted,
            "budget_exhausted": result.log.budget_exhausted,
            "modes": list(plan.space.modes),
            "workers": list(plan.space.workers),
            "threads": list(plan.space.threads),
            "worker_connections": list(plan.space.worker_connections),
        },
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the document whole or not at all (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SurgeError(f"cannot write {path}: {exc.strerror or exc}") from exc
