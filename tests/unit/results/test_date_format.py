"""Java SimpleDateFormat patterns become strptime patterns."""

from __future__ import annotations

import pytest

from surge.results.date_format import COMMON_PATTERNS, java_to_strptime, pattern_has_zone


@pytest.mark.parametrize(
    ("java", "strptime"),
    [
        ("yyyy/MM/dd HH:mm:ss.SSS", "%Y/%m/%d %H:%M:%S.%g"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "%Y-%m-%dT%H:%M:%S.%g%z"),
        ("dd MMM yy hh:mm:ss a", "%d %b %y %I:%M:%S %p"),
        ("EEE, d MMMM yyyy HH:mm:ss Z", "%a, %d %B %Y %H:%M:%S %z"),
        ("yyyy-MM-dd HH:mm:ss.SSSSSS", "%Y-%m-%d %H:%M:%S.%f"),
        ("HH'h''' 100%", "%Hh' 100%%"),
    ],
)
def test_translation(java: str, strptime: str) -> None:
    assert java_to_strptime(java) == strptime


@pytest.mark.parametrize("bad", ["yyyy QQ", "'open", "ss.SS"])
def test_unsupported(bad: str) -> None:
    with pytest.raises(ValueError):
        java_to_strptime(bad)


def test_zone() -> None:
    assert pattern_has_zone("yyyy-MM-dd'T'HH:mm:ssXXX")
    assert pattern_has_zone("HH:mm z")
    assert not pattern_has_zone("yyyy/MM/dd 'Z'")


def test_common_patterns_translate() -> None:
    for pattern in COMMON_PATTERNS:
        java_to_strptime(pattern)
