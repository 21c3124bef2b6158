"""JMeter JTL CSV column names, in the writer's fixed order (docs/jmeter-semantics.md#columns)."""

from __future__ import annotations

# Every column JMeter can write, in its writer order; only switched-on columns appear in a file.
ALL_COLUMNS: tuple[str, ...] = (
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Filename",
    "Latency",
    "Encoding",
    "SampleCount",
    "ErrorCount",
    "Hostname",
    "IdleTime",
    "Connect",
)

# Written only when switched on; JMeter's default save configuration leaves them off.
OFF_BY_DEFAULT: frozenset[str] = frozenset({"Filename", "Encoding", "SampleCount", "ErrorCount", "Hostname"})

# The 17 columns of JMeter's default save configuration; also the order assumed for header-less files.
DEFAULT_COLUMNS: tuple[str, ...] = tuple(name for name in ALL_COLUMNS if name not in OFF_BY_DEFAULT)

DEFAULT_HEADER = ",".join(DEFAULT_COLUMNS)

# A transaction controller's own sample carries this message (both "generate parent sample" modes).
CONTROLLER_MESSAGE_PREFIX = "Number of samples in transaction"
EMPTY_CONTROLLER_MESSAGE_PREFIX = "Number of samples in transaction : 0"

# Trailing sample-variable column in which an open-model run records the queueing delay
# (intended send time to actual send time), in ms. Its header name is double-quoted, as JMeter does.
QUEUE_COLUMN = "queueTime"
