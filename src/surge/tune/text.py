"""The tune's result as text for the terminal: what was tuned, the ranking table, the recommendation."""

from __future__ import annotations

from surge.tune.candidates import Candidate
from surge.tune.measure import Measurement, Status
from surge.tune.ranking import CandidateResult, Ranking
from surge.tune.session import TunePlan, TuneResult
from surge.tune.trial import Trial
from surge.units import format_duration_s

_STATUS_TEXT = {
    Status.OK: "ok",
    Status.GENERATOR_LIMITED: "generator-limited",
    Status.SLO_NOT_MET: "SLO not met",
    Status.FAILED: "failed",
    Status.INTERRUPTED: "interrupted",
    Status.NOT_MEASURED: "not measured",
}
_MIB = 1024 * 1024


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def rate_text(rate: float) -> str:
    """``1,280`` / ``41.5`` / ``2.5``: whole numbers from 100 up, three significant digits below."""
    if rate >= 100:
        return f"{rate:,.0f}"
    return f"{rate:.3g}"


def slo_text(plan: TunePlan) -> str:
    return ", ".join(t.text for t in plan.slo)


def header_lines(plan: TunePlan, *, prefix: str = "surge tune") -> list[str]:
    """What is about to be tuned, before anything starts."""
    options = plan.options
    space = plan.space
    families = _count(len(space.families()), "family", "families")
    grid = _count(len(space.grid()), "candidate")
    workers = ",".join(str(w) for w in space.workers)
    search = (
        f"exhaustive: every one of the {grid} with fine trials"
        if plan.search.exhaustive
        else f"smart: short trials along each mode's axes, fine trials for the {plan.search.leaders} leaders"
    )
    unit = plan.load.level_unit
    model = "users (closed model)" if plan.load.closed else "arrival rate (open model)"
    return [
        f"{prefix}: {options.app}, loaded with {options.source.describe()} at an {model}"
        if not plan.load.closed
        else f"{prefix}: {options.app}, loaded with {options.source.describe()}: {model}",
        f"  SLO: {slo_text(plan)} (the highest load in {unit} that meets all of it)",
        f"  candidates: {', '.join(space.modes)} ({families}) x workers {workers}"
        + (" + Flask's development server (reference)" if space.dev_server else "")
        + f" = {grid}",
        f"  {plan.cores.describe()}",
        f"  search: {search}; budget {format_duration_s(options.budget_s)}"
        " (Ctrl-C stops and shows what was measured)",
    ]


def trial_line(candidate: Candidate, trial: Trial, unit: str) -> str:
    """One trial, for the live progress on stderr."""
    outcome = trial.outcome.value.replace("_", " ")
    reason = f": {trial.reason}" if trial.reason and trial.outcome != "passed" else ""
    others = f" [other programs used {trial.foreign_cpu_share:.0%} of the cores]" if trial.disturbed else ""
    return (
        f"    {candidate.key} at {rate_text(trial.level)} {unit}: {outcome}"
        f" (p50 {trial.p50_ms:.1f} ms, p99 {trial.p99_ms:.1f} ms){reason}{others}"
    )


def measurement_line(measurement: Measurement, unit: str) -> str:
    """One candidate measured: its figure or why it has none."""
    candidate = measurement.candidate
    what = f"{measurement.settings} {candidate.label}"
    if measurement.status is Status.OK and measurement.best is not None:
        best = measurement.best
        precision = f" (±{measurement.precision:.0%})" if measurement.precision is not None else ""
        note = f"; {measurement.reason}" if measurement.reason else ""
        rate = f" ({rate_text(best.rate_per_s)} req/s)" if unit == "users" else ""
        return (
            f"  {what}: {rate_text(best.level)} {unit}{precision}{rate} at the SLO, p99 {best.p99_ms:.1f} ms"
            f" [{len(measurement.trials)} trials, {format_duration_s(measurement.elapsed_s)}]{note}"
        )
    status = _STATUS_TEXT[measurement.status]
    return f"  {what}: {status}: {measurement.reason} [{format_duration_s(measurement.elapsed_s)}]"


def _per_worker(candidate: Candidate) -> str:
    if candidate.threads:
        return f"{candidate.threads} threads"
    if candidate.worker_connections:
        return f"{candidate.worker_connections} conns"
    return ""


def _status_cell(result: CandidateResult) -> str:
    text = _STATUS_TEXT[result.status]
    if result.candidate.reference:
        text += ", reference"
    if result.status is Status.OK:
        runs = result.repeats
        detail = f"{runs} runs" if runs > 1 else result.ranked_on
        span = _range_text(result)
        return f"{text} ({detail}: {span})" if span else f"{text} ({detail})"
    if result.status is Status.GENERATOR_LIMITED and result.max_rps is not None:
        return f"{text} (at least {rate_text(result.max_rps)})"
    return text


def ranking_table(ranking: Ranking, *, closed: bool = False) -> str:
    """The table: one row per candidate, the ranked ones first, best first.

    With users (``closed``), MAX REQ/S is the rate the most users that met the SLO achieved, and
    a USERS column says how many they were.
    """
    header: tuple[str, ...] = (
        "#",
        "MODE",
        "WORKERS",
        "PER WORKER",
        "MAX REQ/S",
        "P50 MS",
        "P99 MS",
        "CPU %",
        "RSS MB",
    )
    if closed:
        header += ("USERS",)
    rows: list[tuple[str, ...]] = []
    rank_number = 0
    for result in ranking.results:
        candidate = result.candidate
        number = "-"
        if result.status is Status.OK:
            rank_number += 1
            number = str(rank_number)
        best = result.best
        figures: tuple[str, ...] = ("", "", "", "", "") + (("",) if closed else ())
        if best is not None and result.max_rps is not None:
            figures = (
                rate_text(result.max_rps),
                f"{best.p50_ms:.1f}",
                f"{best.p99_ms:.1f}",
                f"{best.server_cpu_percent:.0f}",
                f"{best.server_rss_bytes / _MIB:.0f}",
            ) + ((f"{best.level:g}",) if closed else ())
        mode = "flask-dev" if candidate.reference else candidate.mode
        workers = "" if candidate.reference else str(candidate.workers)
        rows.append((number, mode, workers, _per_worker(candidate), *figures, _status_cell(result)))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    right = {0, 2, 4, 5, 6, 7, 8, 9}

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join(parts + list(cells[len(widths) :])).rstrip()

    lines = [line((*header, "STATUS"))]
    lines += [line(row) for row in rows]
    return "\n".join(lines)


def ranking_notes(ranking: Ranking) -> list[str]:
    """Why rows have no figure: failures with their reasons; the rest counted by reason."""
    notes: list[str] = []
    grouped: dict[str, list[str]] = {}
    for result in ranking.results:
        key = result.candidate.key
        if result.status is Status.INTERRUPTED:
            notes.append(f"  {key}: {result.reason}")
        elif result.status in (Status.FAILED, Status.SLO_NOT_MET, Status.GENERATOR_LIMITED):
            notes.append(f"  {key}: {_STATUS_TEXT[result.status]}: {result.reason}")
        elif result.status is Status.NOT_MEASURED:
            grouped.setdefault(result.reason, []).append(key)
        elif result.reason:
            notes.append(f"  {key}: {result.reason}")
    for reason, keys in grouped.items():
        notes.append(f"  {reason}: {', '.join(keys)}")
    return notes


def _range_text(result: CandidateResult) -> str:
    if result.low is None or result.high is None:
        return ""
    return f"{rate_text(result.low)}-{rate_text(result.high)}"


def recommendation_lines(result: TuneResult) -> list[str]:
    """The recommendation (its first line holds the exact ``surge serve`` command), or why none."""
    plan = result.plan
    ranking = result.ranking
    unit = "req/s"
    chosen = ranking.recommendation
    cores = plan.cores.server_cores
    where = f"the server on {cores} core{'s' if cores != 1 else ''}"
    if chosen is not None and chosen.best is not None and chosen.max_rps is not None:
        there = chosen.best
        memory_mb = there.server_rss_bytes / _MIB
        lines = [
            f"Recommendation: {chosen.candidate.serve_command(plan.options.app)}",
            f"  {chosen.candidate.label}: {rate_text(chosen.max_rps)} {unit}{_with_users(plan, there)}"
            " within the SLO"
            f" ({slo_text(plan)}); there p50 {there.p50_ms:.1f} ms, p99 {there.p99_ms:.1f} ms,"
            f" server CPU {there.server_cpu_percent:.0f}%, memory {memory_mb:.0f} MB"
            f" (measured with {where}; the figures hold for this machine)",
        ]
        ranked = ranking.ranked
        if ranking.top_two_within_noise and len(ranked) >= 2:
            first, second = [r for r in ranked if not r.candidate.reference][:2]
            ranges = (
                f"{first.candidate.key}: {_range_text(first)}, {second.candidate.key}: {_range_text(second)}"
            )
            lines.append(
                f"  Within the noise: the top two cannot be told apart on this machine ({ranges} {unit});"
                " either serves this app as well."
            )
        best = ranking.best
        if best is not None and best.candidate != chosen.candidate:
            highest = rate_text(best.max_rps or 0)
            lines.append(
                f"  {best.candidate.key} measured highest ({highest} {unit}) but within the noise of"
                f" {len(ranking.tied) - 1} other(s): recommending the cheapest of them"
                " (fewer workers, then the simpler mode)."
            )
        limited = [r for r in ranking.results if r.status is Status.GENERATOR_LIMITED and r.max_rps]
        if limited and (limited[0].max_rps or 0) > chosen.max_rps:
            up_to = rate_text(limited[0].max_rps or 0)
            lines.append(
                f"  Note: {limited[0].candidate.key} met the SLO up to {up_to} {unit} and was then"
                " limited by the load generator: it may serve more than measured."
            )
        return lines
    return _no_recommendation(result)


def _with_users(plan: TunePlan, trial: Trial) -> str:
    return f" with {trial.level:g} users" if plan.load.closed else ""


def _no_recommendation(result: TuneResult) -> list[str]:
    plan = result.plan
    ranking = result.ranking
    unit = plan.load.level_unit
    statuses = {r.status for r in ranking.results}
    if result.interrupted:
        return ["No recommendation: interrupted before any candidate was fully measured."]
    if Status.GENERATOR_LIMITED in statuses:
        return [
            "No recommendation: the load generator ran out before the servers did; every candidate"
            " that met the SLO was limited by it (give it more cores with --generator-cores, or"
            " run the load from another machine)."
        ]
    closest, trial = ranking.closest, ranking.closest_trial
    if Status.SLO_NOT_MET in statuses or (closest is not None and trial is not None):
        lines = [f"No recommendation: no candidate met the SLO ({slo_text(plan)}) at any load tried."]
        if closest is not None and trial is not None:
            why = f" ({trial.reason})" if trial.reason else ""
            lines.append(
                f"  Closest: {closest.candidate.label} at {rate_text(trial.level)} {unit}:"
                f" p50 {trial.p50_ms:.1f} ms, p99 {trial.p99_ms:.1f} ms, errors {trial.error_pct:.2f}%{why}"
            )
        return lines
    if Status.FAILED in statuses:
        return ["No recommendation: every candidate measured failed (see the reasons above)."]
    return ["No recommendation: no candidate was measured (the budget ran out first)."]


def summary_line(result: TuneResult) -> str:
    log = result.log
    measured = len({m.candidate for m in log.measurements if m.status is not Status.NOT_MEASURED})
    ended = " (interrupted)" if log.interrupted else " (budget spent)" if log.budget_exhausted else ""
    return (
        f"Tuned in {format_duration_s(result.elapsed_s)}{ended}: {_count(measured, 'candidate')} measured"
        f" in {_count(len(log.measurements), 'measurement')} and {_count(result.trials, 'trial')}"
        f" ({log.strategy} search)"
    )
