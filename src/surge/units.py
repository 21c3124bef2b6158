"""Parse and format the human units used on the command line: durations and sizes."""

from __future__ import annotations

import re

from surge.errors import UsageError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|s|m|h)?")
_SECONDS_PER_UNIT = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration_s(text: str, *, default_unit: str = "s") -> float:
    """Parse ``"30s"``, ``"2m"``, ``"1m30s"``, ``"250ms"`` or a bare number into seconds.

    A bare number takes ``default_unit``. Negative or empty values are refused.
    """
    value = text.strip().lower()
    if not value:
        raise UsageError("empty duration")
    pos = 0
    total_s = 0.0
    while pos < len(value):
        match = _DURATION_PART.match(value, pos)
        if match is None or match.end() == pos:
            raise UsageError(f"invalid duration {text!r} (examples: 30s, 2m, 1m30s, 250ms)")
        unit = match.group(2) or default_unit
        total_s += float(match.group(1)) * _SECONDS_PER_UNIT[unit]
        pos = match.end()
    return total_s


def format_duration_s(duration_s: float) -> str:
    """Format seconds compactly for humans: ``"950ms"``, ``"12.5s"``, ``"3m05s"``, ``"1h02m"``."""
    if duration_s < 1:
        return f"{duration_s * 1000:.0f}ms"
    if duration_s < 60:
        return f"{duration_s:.1f}s".replace(".0s", "s")
    minutes, seconds = divmod(round(duration_s), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$")
_BYTES_PER_UNIT = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size_bytes(text: str) -> int:
    """Parse ``"10MB"``, ``"512k"``, ``"1GiB"`` or a bare byte count (units are powers of 1024)."""
    match = _SIZE.match(text.strip().lower())
    if match is None:
        raise UsageError(f"invalid size {text!r} (examples: 10MB, 512k, 1000000)")
    unit = (match.group(2) or "b")[0]
    return int(float(match.group(1)) * _BYTES_PER_UNIT[unit])
