"""Read JMeter XML results (``<testResults>``) as JTL CSV records, sub-samples as rows of their own.

JMeter's CSV writer writes a sample's sub-results (transaction children, redirects, embedded
resources) as rows after their parent, depth first (spec §1.6); this reader emits the same rows in the
same order, so an XML file and the CSV file of the same run load into the same table.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

from surge.results.columns import DEFAULT_COLUMNS
from surge.results.read_counts import ReadCounts

SAMPLE_TAGS = frozenset({"httpSample", "sample"})
_CHUNK_BYTES = 1 << 20

# Columns of the rows this reader emits: the source line number first, then JMeter's default columns.
LINE_COLUMN = "sourceLine"
COLUMNS: tuple[str, ...] = (LINE_COLUMN, *DEFAULT_COLUMNS)


@dataclass
class _Assertion:
    failure: bool = False
    error: bool = False
    message: str = ""


@dataclass
class _Sample:
    attrs: dict[str, str]
    line: int
    url: str = ""
    failure_message: str | None = None
    assertion: _Assertion | None = None


class _Reader:
    """Expat callbacks: collects one top-level sample tree at a time, then writes it in pre-order."""

    def __init__(self, parser: expat.XMLParserType, emit: Callable[[list[str]], None]) -> None:
        self._parser = parser
        self._emit = emit
        self._elements: list[str] = []  # names of the open elements
        self._open: list[_Sample] = []  # open sample elements, outermost first
        self._tree: list[_Sample] = []  # samples of the current top-level tree, in start order
        self._text: list[str] | None = None  # text being collected for the innermost element
        self.root: str | None = None
        self.result = ReadCounts()

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        parent = self._elements[-1] if self._elements else ""
        self._elements.append(name)
        if name in SAMPLE_TAGS:
            sample = _Sample(attrs, self._parser.CurrentLineNumber)
            self._open.append(sample)
            self._tree.append(sample)
        elif self._open and parent in SAMPLE_TAGS and name == "assertionResult":
            self._open[-1].assertion = _Assertion()
        elif self._open and self._collects_text(parent, name):
            self._text = []

    def _collects_text(self, parent: str, name: str) -> bool:
        if parent in SAMPLE_TAGS:
            return name == "java.net.URL"
        return (
            parent == "assertionResult"
            and self._open[-1].assertion is not None
            and name in ("failure", "error", "failureMessage")
        )

    def end(self, name: str) -> None:
        self._elements.pop()
        text = "".join(self._text) if self._text is not None else None
        self._text = None
        if name in SAMPLE_TAGS:
            self._open.pop()
            if not self._open:
                self._flush()
            return
        if not self._open:
            return
        sample = self._open[-1]
        if name == "java.net.URL" and text is not None:
            sample.url = text
        elif name == "assertionResult" and sample.assertion is not None:
            done = sample.assertion
            sample.assertion = None
            # JMeter's CSV failureMessage is the first failed or errored assertion's message.
            if sample.failure_message is None and (done.failure or done.error) and done.message:
                sample.failure_message = done.message
        elif sample.assertion is not None and text is not None:
            if name == "failure":
                sample.assertion.failure = text.strip() == "true"
            elif name == "error":
                sample.assertion.error = text.strip() == "true"
            elif name == "failureMessage":
                sample.assertion.message = text

    def chars(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def abandon(self) -> None:
        """After malformed XML: samples still open are counted as bad, finished ones are kept."""
        self._flush(unfinished={id(s) for s in self._open})
        self._open = []

    def _flush(self, unfinished: frozenset[int] | set[int] = frozenset()) -> None:
        for sample in self._tree:
            if id(sample) in unfinished:
                self.result.add_bad(sample.line)
            else:
                self.result.rows += 1
                self._emit(_row(sample))
        self._tree = []


def _row(sample: _Sample) -> list[str]:
    # Numbers are passed on as written: the CSV reader checks them and names the line of a bad one.
    get = sample.attrs.get
    return [
        str(sample.line),
        get("ts", ""),
        get("t", ""),
        get("lb", ""),
        get("rc", ""),
        get("rm", ""),
        get("tn", ""),
        get("dt", ""),
        get("s", "true"),
        sample.failure_message or "",
        get("by", "0"),
        get("sby", "0"),
        get("ng", "0"),
        get("na", "0"),
        sample.url,
        get("lt", "0"),
        get("it", "0"),
        get("ct", "0"),
    ]


def xml_to_csv(source: IO[bytes], dest: IO[str]) -> ReadCounts:
    """Write the samples of the XML results in ``source`` to ``dest`` as CSV with header ``COLUMNS``.

    Attribute values are written as they are (numbers are checked by whoever reads the CSV; the
    first column holds each sample's source line for that). Malformed XML ends the read: samples
    before the fault are kept, and a sample left open by it is counted as bad.
    """
    writer = csv.writer(dest, lineterminator="\n")
    writer.writerow(COLUMNS)
    parser = expat.ParserCreate()
    reader = _Reader(parser, writer.writerow)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    parser.buffer_text = True
    try:
        while chunk := source.read(_CHUNK_BYTES):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reader.abandon()
        reader.result.warnings.append(f"the XML ends early or is malformed at line {exc.lineno}: {exc}")
    if reader.root is not None and reader.root != "testResults":
        reader.result.warnings.append(f"not JMeter XML results: the root element is <{reader.root}>")
    return reader.result
