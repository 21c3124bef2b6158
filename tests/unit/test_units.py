"""Duration and size parsing used by every command's options."""

from __future__ import annotations

import pytest

from surge.errors import UsageError
from surge.units import format_duration_s, parse_duration_s, parse_size_bytes


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("2m", 120.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0), ("5", 5.0)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration_s(text) == pytest.approx(seconds)


def test_parse_duration_default_unit_ms() -> None:
    assert parse_duration_s("200", default_unit="ms") == pytest.approx(0.2)


@pytest.mark.parametrize("text", ["", "abc", "-5s", "10x", "s"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration_s(text)


def test_format_duration() -> None:
    assert format_duration_s(0.95) == "950ms"
    assert format_duration_s(12.5) == "12.5s"
    assert format_duration_s(185) == "3m05s"
    assert format_duration_s(3720) == "1h02m"


def test_parse_size() -> None:
    assert parse_size_bytes("10MB") == 10 * 1024 * 1024
    assert parse_size_bytes("512k") == 512 * 1024
    assert parse_size_bytes("1000") == 1000
    with pytest.raises(UsageError):
        parse_size_bytes("lots")
