"""Java semantics that JMeter's numbers and row orders depend on (division, float32, HashMap, escaping).

Only JMeter's semantics use these (``UndefinedValues.JAVA``, ``RowOrder.HASHMAP``,
``ErrorKeys.HTML_ESCAPED``); they let the tables reproduce JMeter's output bit for bit instead of
approximately.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache
from html.entities import codepoint2name

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)

# commons-text StringEscapeUtils.escapeHtml4: the 252 HTML 4 named entities (basic, ISO-8859-1 and the
# HTML 4.0 extended set), which is exactly the table Python ships.
_HTML4 = {cp: f"&{name};" for cp, name in codepoint2name.items()}


def jdiv(numerator: float, denominator: float) -> float:
    """Java double division: x/0.0 is +-Infinity, 0/0.0 is NaN (Python raises instead)."""
    if denominator == 0.0:
        if numerator == 0.0 or math.isnan(numerator):
            return math.nan
        return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
    return numerator / denominator


def long_sub(a: int, b: int) -> int:
    """Java ``long`` subtraction, wrapping on overflow (JMeter's empty-row duration is MIN - MAX = 1)."""
    return (a - b + 2**63) % 2**64 - 2**63


@lru_cache(maxsize=65536)  # error percentages repeat (0, 50, 33.33…): one search per distinct value
def java_float(value: float) -> float:
    """``Double.floatValue()`` then Jackson's shortest decimal, read back as a double.

    statistics.json stores errorPct as a Java float, written with the fewest digits that identify
    it; parsing that text gives this value.
    """
    if math.isnan(value) or math.isinf(value):
        return value
    as_float32 = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{as_float32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == as_float32:
            return float(text)
    return float(as_float32)


def string_hash(text: str) -> int:
    """Java ``String.hashCode`` over UTF-16 code units, as a signed 32-bit int."""
    units = text.encode("utf-16-le")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] | (units[i + 1] << 8))) & 0xFFFFFFFF
    return h - 2**32 if h >= 2**31 else h


def _table_capacity(size: int) -> int:
    # HashMap starts at 16 buckets and doubles whenever size exceeds 0.75 * capacity.
    capacity = 16
    while size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def hashmap_order(keys_in_insertion_order: Sequence[str]) -> list[str]:
    """Iteration order of a ``java.util.HashMap<String, ?>`` filled with these keys in this order.

    The number of keys sets the bucket count. Within a bucket HashMap keeps insertion order, also
    across resizes. Bins that turn into trees (8+ colliding keys in one bucket) are not modelled:
    such collisions do not happen with real labels in practice.
    """
    capacity = _table_capacity(len(keys_in_insertion_order))
    mask = capacity - 1

    def bucket(key: str) -> int:
        h = string_hash(key) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & mask

    indexed = [(bucket(k), i, k) for i, k in enumerate(keys_in_insertion_order)]
    indexed.sort()
    return [k for _, _, k in indexed]


def escape_html4(text: str) -> str:
    """commons-text ``StringEscapeUtils.escapeHtml4``."""
    if text.isascii() and not any(c in text for c in '&<>"'):
        return text
    return text.translate(_HTML4)


def sort_stable_by_count(items: Iterable[tuple[str, int]], order: Sequence[str]) -> list[tuple[str, int]]:
    """Java's stable sort by count descending over entries iterated in ``order`` (HashMap order)."""
    position = {key: i for i, key in enumerate(order)}
    return sorted(items, key=lambda kv: (-kv[1], position[kv[0]]))
