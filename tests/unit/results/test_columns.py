"""The JTL column order must be JMeter's (docs/jmeter-semantics.md#columns)."""

from __future__ import annotations

from surge.results.columns import ALL_COLUMNS, DEFAULT_COLUMNS, DEFAULT_HEADER

# JMeter's default header, as its writer code and real files have it (docs/jmeter-semantics.md#columns).
JMETER_DEFAULT_HEADER = (
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,"
    "bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
)


def test_default_header_is_jmeters() -> None:
    assert DEFAULT_HEADER == JMETER_DEFAULT_HEADER
    assert len(DEFAULT_COLUMNS) == 17


def test_all_columns_keep_writer_order() -> None:
    positions = [ALL_COLUMNS.index(name) for name in DEFAULT_COLUMNS]
    assert positions == sorted(positions)
    assert len(ALL_COLUMNS) == 22
