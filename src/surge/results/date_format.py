"""Translate Java SimpleDateFormat patterns (JMeter's timestamp_format) into strptime patterns."""

from __future__ import annotations

# Java pattern letter, run length -> strptime directive (DuckDB's strptime dialect: %g is milliseconds).
# A run length not listed uses the entry of the longest listed length below it.
_DIRECTIVES: dict[str, dict[int, str]] = {
    "y": {1: "%Y", 2: "%y", 3: "%Y"},
    "u": {1: "%u"},
    "M": {1: "%m", 3: "%b", 4: "%B"},
    "L": {1: "%m", 3: "%b", 4: "%B"},
    "d": {1: "%d"},
    "D": {1: "%j"},
    "H": {1: "%H"},
    "h": {1: "%I"},
    "m": {1: "%M"},
    "s": {1: "%S"},
    "S": {1: "%g", 4: "%f"},
    "a": {1: "%p"},
    "E": {1: "%a", 4: "%A"},
    "Z": {1: "%z"},
    "X": {1: "%z"},
    "z": {1: "%Z"},
}

# Pattern letters that name a time zone or an offset: such timestamps carry their own zone.
_ZONE_LETTERS = frozenset("ZXz")

# Formats tried, in order, when a file's timestamps are not epoch milliseconds and no pattern was given.
# Day-first/month-first patterns are left out on purpose: they cannot be told apart.
COMMON_PATTERNS: tuple[str, ...] = (
    "yyyy/MM/dd HH:mm:ss.SSS",
    "yyyy/MM/dd HH:mm:ss",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd HH:mm:ss,SSS",
)


def java_to_strptime(pattern: str) -> str:
    """Return the strptime pattern for a SimpleDateFormat ``pattern``; ValueError if it cannot be read."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            # Quoted literal text; '' is a literal quote, inside or outside quotes.
            if i + 1 < n and pattern[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            end = i + 1
            literal: list[str] = []
            while end < n:
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            if end >= n:
                raise ValueError(f"unterminated quote in date pattern {pattern!r}")
            out.append("".join(literal).replace("%", "%%"))
            i = end + 1
            continue
        if ch.isascii() and ch.isalpha():
            run = 1
            while i + run < n and pattern[i + run] == ch:
                run += 1
            table = _DIRECTIVES.get(ch)
            if table is None:
                raise ValueError(f"date pattern letter {ch!r} is not supported (in {pattern!r})")
            key = max(k for k in table if k <= run)
            if ch == "S" and run not in (3, 6):
                raise ValueError(f"fractions of a second need SSS or SSSSSS (in {pattern!r})")
            out.append(table[key])
            i += run
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


def pattern_has_zone(pattern: str) -> bool:
    """True if the SimpleDateFormat ``pattern`` includes a zone or offset field."""
    in_quote = False
    for ch in pattern:
        if ch == "'":
            in_quote = not in_quote
        elif not in_quote and ch in _ZONE_LETTERS:
            return True
    return False
