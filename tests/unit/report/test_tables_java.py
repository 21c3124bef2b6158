"""Java semantics the JMeter-compatible tables rely on, checked against values Java itself gives."""

from __future__ import annotations

import math

from surge.report.tables.java import (
    LONG_MAX,
    LONG_MIN,
    escape_html4,
    hashmap_order,
    java_float,
    jdiv,
    long_sub,
    sort_stable_by_count,
    string_hash,
)


def test_division_follows_ieee_like_java() -> None:
    assert jdiv(1.0, 0.0) == math.inf
    assert jdiv(-1.0, 0.0) == -math.inf
    assert math.isnan(jdiv(0.0, 0.0))
    assert jdiv(3.0, 2.0) == 1.5


def test_long_subtraction_wraps() -> None:
    # JMeter's duration of a row without samples: Long.MIN_VALUE - Long.MAX_VALUE == 1 in Java.
    assert long_sub(LONG_MIN, LONG_MAX) == 1
    assert long_sub(10, 3) == 7


def test_java_float_is_what_jackson_writes() -> None:
    # Float.toString((float) 39.56043956043956) == "39.56044" (amin-pinvest's statistics.json)
    assert java_float(39.56043956043956) == 39.56044
    assert java_float(0.0) == 0.0
    assert java_float(100.0) == 100.0
    assert java_float(1.0 / 3.0) == 0.33333334
    assert math.isnan(java_float(math.nan))


def test_string_hash_matches_java() -> None:
    assert string_hash("") == 0
    assert string_hash("hello") == 99162322
    assert string_hash("Total") == 80997156  # ((((84*31+111)*31+116)*31+97)*31+108)
    # overflow wraps to a negative int: "polygenelubricants".hashCode() == Integer.MIN_VALUE
    assert string_hash("polygenelubricants") == -(2**31)
    # UTF-16 code units: "é".hashCode() == 233, "😀".hashCode() == 0xD83D * 31 + 0xDE00
    assert string_hash("é") == 233
    assert string_hash("😀") == 0xD83D * 31 + 0xDE00


def test_hashmap_order_uses_buckets_then_insertion() -> None:
    # "a", "b", "c" hash to 97, 98, 99: buckets 1, 2, 3 of 16, whatever the insertion order.
    assert hashmap_order(["c", "a", "b"]) == ["a", "b", "c"]
    # "Aa" and "BB" collide (both 2112): same bucket, insertion order kept.
    assert hashmap_order(["BB", "Aa"]) == ["BB", "Aa"]
    assert hashmap_order(["Aa", "BB"]) == ["Aa", "BB"]
    # 13 keys resize the table to 32 buckets: "a"+"q" (hash 97+16=113) moves after "b".."c".
    keys = ["q", "a", "b", "c"] + [f"k{i}" for i in range(9)]
    order = hashmap_order(keys)
    assert order.index("a") < order.index("b") < order.index("c") < order.index("q")


def test_stable_sort_by_count_keeps_map_order_for_ties() -> None:
    ranked = sort_stable_by_count([("x", 1), ("y", 2), ("z", 1)], ["z", "y", "x"])
    assert ranked == [("y", 2), ("z", 1), ("x", 1)]


def test_escape_html4_uses_html4_entities() -> None:
    assert escape_html4('a < b & "c" > d') == "a &lt; b &amp; &quot;c&quot; &gt; d"
    assert escape_html4("café — 5€") == "caf&eacute; &mdash; 5&euro;"
    assert escape_html4("it's") == "it's"  # &apos; is not HTML 4
    assert escape_html4("Вход") == "Вход"  # no named entity: unchanged
