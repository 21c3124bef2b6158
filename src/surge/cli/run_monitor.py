"""What ``surge run --monitor`` says at the end: the server's peaks, and whether it went away."""

from __future__ import annotations

from surge.monitor.record import MetricsRecorder
from surge.units import format_duration_s


def server_text(recorder: MetricsRecorder) -> str:
    """``Server: peak CPU 187% of one core, peak RSS 312.4 MB, 5 processes; generator peak CPU 96%``."""
    f = recorder.figures
    parts = [
        f"Server: peak CPU {f.peak_cpu_percent:.0f}% of one core, peak RSS {f.peak_rss_bytes / 1e6:.1f} MB, "
        f"{f.processes_seen} process(es) seen"
    ]
    if f.restarts:
        parts.append(f"replaced {f.restarts} time(s) during the run")
    if f.gone_at_s is not None:
        parts.append(f"it went away {format_duration_s(f.gone_at_s)} into the run")
    parts.append(f"generator peak CPU {f.peak_generator_cpu_percent:.0f}% of one core")
    return "; ".join(parts) + f" (metrics: {recorder.path})"
