"""The dashboard's pages and charts: ids, titles, axis titles and how each chart is drawn.

Ids are JMeter's graph ids (docs/jmeter-semantics.md#charts), so the graphs computed in JMeter's
``graph.js`` shape map one-to-one onto a chart here. The drawing ``kind`` tells the browser code
which Plotly trace type and axis type to use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartSpec:
    graph_id: str
    title: str
    x_title: str
    y_title: str
    # time_lines | time_stacked | lines | steps | markers | bars | categories
    kind: str
    description: str = ""
    # Drawn only when the report computed this graph (surge-only graphs that need optional data).
    optional: bool = False

    @property
    def is_time(self) -> bool:
        return self.kind.startswith("time_")


@dataclass(frozen=True)
class PageSpec:
    page_id: str
    title: str
    file_name: str  # inside content/pages/
    charts: tuple[ChartSpec, ...]


_TIME = "Time"  # the time zone and granularity are appended when the page is rendered

OVER_TIME = PageSpec(
    "over-time",
    "Over Time",
    "OverTime.html",
    (
        ChartSpec(
            "responseTimesOverTime",
            "Response Time Over Time",
            _TIME,
            "Average response time in ms",
            "time_lines",
            "Mean elapsed time per label in each time bucket (transaction controllers included).",
        ),
        ChartSpec(
            "responseTimePercentilesOverTime",
            "Response Time Percentiles Over Time (successful requests only)",
            _TIME,
            "Response Time in ms",
            "time_lines",
            "Min, max and percentiles of the successful samples of all labels in each time bucket.",
        ),
        ChartSpec(
            "activeThreadsOverTime",
            "Active Threads Over Time",
            _TIME,
            "Number of active threads",
            "time_stacked",
            "Mean number of active threads per thread group, stacked: the top line is the total.",
        ),
        ChartSpec(
            "bytesThroughputOverTime",
            "Bytes Throughput Over Time",
            _TIME,
            "Bytes / sec",
            "time_lines",
            "Bytes received and sent per second (transaction controllers excluded).",
        ),
        ChartSpec(
            "latenciesOverTime",
            "Latencies Over Time",
            _TIME,
            "Average response latencies in ms",
            "time_lines",
            "Mean latency (time to first byte) per label in each time bucket.",
        ),
        ChartSpec(
            "connectTimeOverTime",
            "Connect Time Over Time",
            _TIME,
            "Average Connect Time in ms",
            "time_lines",
            "Mean connect time per label in each time bucket.",
        ),
        ChartSpec(
            "queueTimeOverTime",
            "Queue Time Over Time (open model)",
            _TIME,
            "Queueing delay in ms",
            "time_lines",
            "Delay between each request's intended send time and its actual send (open-model runs): "
            "a growing delay means the server, or the generator, could not keep up with the arrival rate.",
            optional=True,
        ),
    ),
)

THROUGHPUT = PageSpec(
    "throughput",
    "Throughput",
    "Throughput.html",
    (
        ChartSpec(
            "hitsPerSecond",
            "Hits Per Second",
            _TIME,
            "Number of hits / sec",
            "time_lines",
            "Requests started per second (bucketed by start time; transaction controllers excluded).",
        ),
        ChartSpec(
            "codesPerSecond",
            "Codes Per Second",
            _TIME,
            "Number of responses / sec",
            "time_lines",
            "Responses per second for each response code.",
        ),
        ChartSpec(
            "transactionsPerSecond",
            "Transactions Per Second",
            _TIME,
            "Number of transactions / sec",
            "time_lines",
            "Successful and failed samples per second for each label.",
        ),
        ChartSpec(
            "totalTPS",
            "Total Transactions Per Second",
            _TIME,
            "Number of transactions / sec",
            "time_lines",
            "Successful and failed samples per second, all labels together.",
        ),
        ChartSpec(
            "responseTimeVsRequest",
            "Response Time Vs Request",
            "Global number of requests per second",
            "Median Response Time in ms",
            "markers",
            "Median response time over all the seconds that had the same global request rate.",
        ),
        ChartSpec(
            "latenciesVsRequest",
            "Latency Vs Request",
            "Global number of requests per second",
            "Median Latency in ms",
            "markers",
            "Median latency over all the seconds that had the same global request rate.",
        ),
    ),
)

RESPONSE_TIMES = PageSpec(
    "response-times",
    "Response Times",
    "ResponseTimes.html",
    (
        ChartSpec(
            "responseTimePercentiles",
            "Response Time Percentiles",
            "Percentiles",
            "Percentile value in ms",
            "steps",
            "Response time below which a given share of each label's samples fall.",
        ),
        ChartSpec(
            "syntheticResponseTimeDistribution",
            "Response Time Overview",
            "",
            "Number of responses",
            "categories",
            "Samples by APDEX zone, failures apart (transaction controllers excluded).",
        ),
        ChartSpec(
            "timeVsThreads",
            "Time Vs Threads",
            "Number of active threads",
            "Average response times in ms",
            "lines",
            "Mean response time per label for each number of active threads.",
        ),
        ChartSpec(
            "responseTimeDistribution",
            "Response Time Distribution",
            "Response times in ms",
            "Number of responses",
            "bars",
            "Number of samples per label in each response-time bucket.",
        ),
    ),
)

_SERVER_TIME = "Time"

SERVER = PageSpec(
    "server",
    "Server",
    "Server.html",
    (
        ChartSpec(
            "serverCpuOverTime",
            "Server CPU Over Time",
            _SERVER_TIME,
            "CPU % of one core",
            "time_lines",
            "Mean CPU of each server process and of all of them, in each time bucket (surge run --monitor).",
            optional=True,
        ),
        ChartSpec(
            "serverMemoryOverTime",
            "Server Memory Over Time",
            _SERVER_TIME,
            "Resident memory in MB",
            "time_lines",
            "Mean resident memory (RSS) of each server process and the sum over all of them (forked "
            "workers share pages with their master, so the sum counts shared pages more than once).",
            optional=True,
        ),
        ChartSpec(
            "generatorCpuOverTime",
            "Load Generator CPU Over Time",
            _SERVER_TIME,
            "CPU %",
            "time_lines",
            "The load generator's workers (% of one core) and the whole machine (% of all its cores): "
            "a generator near its cores' limit makes the response times suspect.",
            optional=True,
        ),
    ),
)

CHART_PAGES: tuple[PageSpec, ...] = (OVER_TIME, THROUGHPUT, RESPONSE_TIMES, SERVER)

# Other names the same chart has had (JMeter's properties call it latencyVsRequest, its graph.js
# latenciesVsRequest).
GRAPH_ID_ALIASES = {"latencyVsRequest": "latenciesVsRequest"}
