"""Read JMeter XML results (``<testResults>``) as JTL CSV records, sub-samples as rows of their own.

JMeter's CSV writer writes a sample's sub-results (transaction children, redirects, embedded
resources) as rows after their parent, depth first; this reader emits the same rows in the same
order, so an XML file and the CSV file of the same run load into the same table. (See
docs/jmeter-semantics.md#transaction-controllers-and-sub-results.)

Malformed XML (a stray quote in an attribute, a file cut short) does not end the read: the samples
it spoils are counted as bad and reading resumes at the next top-level sample, which JMeter writes
at the start of a line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO
from xml.parsers import expat

from surge.results.columns import DEFAULT_COLUMNS
from surge.results.read_counts import ReadCounts

SAMPLE_TAGS = frozenset({"httpSample", "sample"})
_CHUNK_BYTES = 1 << 20
_SAMPLE_START = re.compile(rb"<(?:httpSample|sample)[\s/>]")
# A tag name, quotes included: on the faulty line a stray quote may sit inside a sample's tag name.
_TAG_NAME = re.compile(rb'<([\w".:-]+)')
# A line where reading can resume: a top-level sample, or the end of the results.
_RESUME = re.compile(rb"(?:<(?:httpSample|sample)[\s/>]|</testResults\s*>)")

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
        self.line_offset = 0  # physical line of the parser's line 1, less one
        self._emit = emit
        self._elements: list[str] = []  # names of the open elements
        self._open: list[_Sample] = []  # open sample elements, outermost first
        self._tree: list[_Sample] = []  # samples of the current top-level tree, in start order
        self._text: list[str] | None = None  # text being collected for the innermost element
        self.root: str | None = None
        self.result = ReadCounts()
        self.faults = 0

    def fault(self, message: str) -> None:
        """Note one malformed place; the first few are named in the warnings."""
        self.faults += 1
        if self.faults <= _NAMED_FAULTS:
            self.result.warnings.append(message)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        parent = self._elements[-1] if self._elements else ""
        self._elements.append(name)
        if name in SAMPLE_TAGS:
            sample = _Sample(attrs, self._parser.CurrentLineNumber + self.line_offset)
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

    def abandon(self, parser: expat.XMLParserType, line_offset: int) -> list[int]:
        """After malformed XML: samples still open are counted as bad, finished ones are kept.

        Returns the lines of the samples started in the spoiled tree; reading goes on with ``parser``.
        """
        started = [s.line for s in self._tree]
        self._flush(unfinished={id(s) for s in self._open})
        self._open = []
        self._elements = []
        self._text = None
        self._parser = parser
        self.line_offset = line_offset
        return started

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
    first column holds each sample's source line for that). Where the XML is malformed, the samples
    of the spoiled top-level sample are counted as bad (those finished before the fault are kept),
    and so are the samples that start before the next top-level sample, where reading resumes.
    """
    writer = csv.writer(dest, lineterminator="\n")
    writer.writerow(COLUMNS)
    parser = _new_parser()
    reader = _Reader(parser, writer.writerow)
    _connect(parser, reader)
    lines = _Lines(source)
    for block in lines:
        try:
            parser.Parse(block, False)
        except expat.ExpatError as exc:
            parser = _resume(reader, lines, exc)
    try:
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reader.abandon(parser, reader.line_offset)
        line = reader.line_offset + (exc.lineno or 0)
        reader.result.warnings.append(f"the XML ends early or is malformed at line {line}: {exc}")
    if reader.faults > _NAMED_FAULTS:
        reader.result.warnings.append(f"{reader.faults - _NAMED_FAULTS} more malformed places in the XML")
    if reader.root is not None and reader.root != "testResults":
        reader.result.warnings.append(f"not JMeter XML results: the root element is <{reader.root}>")
    return reader.result


def _new_parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    return parser


def _connect(parser: expat.XMLParserType, reader: _Reader) -> None:
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars


class _Lines:
    """The source in blocks of whole lines, with the physical line number of each block's first line."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._rest = b""
        self._pending: list[tuple[bytes, int]] = []
        self.current = b""  # the block last returned
        self.first_line = 1  # its first line
        self._next_line = 1

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._pending:
            self.current, self.first_line = self._pending.pop()
        else:
            self.current = self._read_block()
            self.first_line = self._next_line
        self._next_line = self.first_line + self.current.count(b"\n")
        return self.current

    def _read_block(self) -> bytes:
        while True:
            chunk = self._source.read(_CHUNK_BYTES)
            if not chunk:
                if not self._rest:
                    raise StopIteration
                block, self._rest = self._rest, b""
                return block
            data = self._rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                block, self._rest = data[:cut], data[cut:]
                return block
            self._rest = data  # no line end yet: a long line

    def push_back(self, block: bytes, first_line: int) -> None:
        """Have ``block`` (starting at line ``first_line``) read next."""
        self._pending.append((block, first_line))

    def rest_from(self, line: int) -> tuple[bytes, int]:
        """The current block from ``line`` on (all of it if ``line`` is before it), and its first line."""
        if line <= self.first_line:
            return self.current, self.first_line
        start = 0
        for _ in range(line - self.first_line):
            start = self.current.find(b"\n", start) + 1
            if start == 0:
                return b"", line
        return self.current[start:], line


def _split_lines(block: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(block):
        end = block.find(b"\n", start) + 1 or len(block)
        yield block[start:end]
        start = end


# Malformed places named one by one in the warnings; past this they are only counted.
_NAMED_FAULTS = 3


def _resume(reader: _Reader, lines: _Lines, exc: expat.ExpatError) -> expat.XMLParserType:
    """Count what the fault spoils, and start a new parser at the next top-level sample."""
    fault_line = reader.line_offset + (exc.lineno or 1)
    parser = _new_parser()
    _connect(parser, reader)
    # abandon() counts the spoiled tree's samples; start tags after the fault are counted here, less
    # those on the fault's line that were read before it.
    started = reader.abandon(parser, 0)
    read_on_fault_line = sum(1 for line in started if line == fault_line)
    block, line = lines.rest_from(fault_line)
    while True:
        offset = 0
        for text in _split_lines(block):
            if line > fault_line and _RESUME.match(text):
                reader.line_offset = line - 1
                lines.push_back(block[offset:], line)
                parser.Parse(b"<testResults>", False)
                reader.fault(f"the XML is malformed at line {fault_line} ({exc}); read on from line {line}")
                return parser
            if line == fault_line:
                unquoted = _TAG_NAME.sub(lambda m: b"<" + m.group(1).replace(b'"', b""), text)
                tags = max(len(_SAMPLE_START.findall(unquoted)) - read_on_fault_line, 0)
            else:
                tags = len(_SAMPLE_START.findall(text))
            for _ in range(tags):
                reader.result.add_bad(line)
            offset += len(text)
            line += 1
        block = next(lines, b"")
        if not block:
            reader.line_offset = line - 1
            reader.fault(f"the XML is malformed at line {fault_line} ({exc}); no sample after it")
            return parser
        line = lines.first_line
