"""Recognise a JTL CSV file's dialect from its first bytes: encoding, delimiter, header and columns.

JMeter writes one header line of known column names, trailing sample-variable names in double
quotes, with any single-character delimiter (docs/jmeter-semantics.md#header-line and
#delimiter-and-quoting). Without a header line the columns are JMeter's default 17. Only the head
of the file is read here; the bulk is read by DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Literal

from surge.results.columns import ALL_COLUMNS, DEFAULT_COLUMNS, QUEUE_COLUMN
from surge.results.csv_records import RecordRules, records

# Bytes read to recognise a file: a header line plus a few records; longer records are still read fine.
HEAD_BYTES = 256 * 1024
# Data records parsed from the head, to recognise the timestamp format.
SAMPLE_RECORDS = 20

# Byte-order marks, longest first (UTF-32 LE's begins with UTF-16 LE's).
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Bytes looked at to tell UTF-16 and UTF-32 without a byte-order mark by their zero bytes.
_ZERO_SAMPLE_BYTES = 4096
_GZIP_MAGIC = b"\x1f\x8b"

# Delimiters tried first, in this order; any other ASCII punctuation found in the line is tried after.
_PREFERRED_DELIMITERS = (",", "\t", ";", "|")

_CANONICAL_BY_LOWER = {name.lower(): name for name in ALL_COLUMNS}

FileKind = Literal["csv", "xml", "empty"]


class EncodingError(ValueError):
    """The bytes are not text in an encoding surge reads (UTF-8, UTF-16, UTF-32)."""


@dataclass(frozen=True)
class CsvLayout:
    """How to read one JTL CSV file."""

    encoding: str  # Python codec of the text; "utf-8" covers files with and without a BOM
    delimiter: str
    has_header: bool
    # Column names in file order: canonical JMeter names where recognised (matched case-insensitively),
    # sample-variable names as written; JMeter's default 17 names for a header-less file.
    columns: tuple[str, ...]
    # First data records (fields as text), for recognising the timestamp format.
    sample_records: tuple[tuple[str, ...], ...]
    # Set when the head does not decode cleanly: where, and what to do about it (rows holding such
    # bytes are bad rows).
    encoding_note: str | None = None


def file_kind(head: bytes) -> FileKind:
    """Tell a CSV results file from an XML one by its first bytes (after any byte-order mark).

    Raises EncodingError for bytes that are not text (NUL bytes in no UTF-16/UTF-32 pattern).
    """
    text = _decode_head(head, encoding_of(head)).lstrip("\ufeff \t\r\n")
    if not text:
        return "empty"
    return "xml" if text.startswith("<") else "csv"


def is_gzip(head: bytes) -> bool:
    return head.startswith(_GZIP_MAGIC)


def sniff_csv(head: bytes, complete: bool) -> CsvLayout:
    """Return the layout of a CSV results file from its first bytes (``complete``: the whole file).

    Raises ValueError if the file cannot be read as a results file.
    """
    encoding = encoding_of(head)
    note = _decoding_note(head, encoding)
    text = _decode_head(head, encoding).lstrip("\ufeff")
    first_line = _first_line(text)
    delimiter, names = _header_fields(first_line)
    if names is not None:
        columns = tuple(_canonical(name) for name in names)
        body = text[len(first_line) :].lstrip("\r\n")
        sampled = _records(body, delimiter, complete, len(names))
        return CsvLayout(encoding, delimiter, True, columns, sampled, note)
    delimiter = _data_delimiter(text, complete)
    sampled = _records(text, delimiter, complete)
    width = _usual_width(sampled) or len(DEFAULT_COLUMNS)
    if width < len(DEFAULT_COLUMNS):
        raise ValueError(
            f"no header line and {width} columns; a header-less file must have JMeter's default"
            f" {len(DEFAULT_COLUMNS)} columns ({','.join(DEFAULT_COLUMNS)})"
        )
    # Extra trailing columns of a header-less file are sample variables whose names are unknown.
    extra = tuple(f"variable{i + 1}" for i in range(width - len(DEFAULT_COLUMNS)))
    return CsvLayout(encoding, delimiter, False, DEFAULT_COLUMNS + extra, sampled, note)


def encoding_of(head: bytes) -> str:
    """The Python codec of a file starting with ``head``: by its byte-order mark, else by where its
    zero bytes fall (text in UTF-16 or UTF-32 has them in every second or in two of four bytes).

    Raises EncodingError for NUL bytes in no such pattern (binary data).
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    sample = head[: _ZERO_SAMPLE_BYTES - _ZERO_SAMPLE_BYTES % 4]
    if b"\x00" not in sample:
        return "utf-8"
    quads = max(len(sample) // 4, 1)
    zeros = [sample[k::4].count(0) / quads for k in range(4)]
    if zeros[2] > 0.95 and zeros[3] > 0.95 and zeros[0] < 0.5:
        return "utf-32-le"
    if zeros[0] > 0.95 and zeros[1] > 0.95 and zeros[3] < 0.5:
        return "utf-32-be"
    even, odd = (zeros[0] + zeros[2]) / 2, (zeros[1] + zeros[3]) / 2
    if odd > 0.5 and even < 0.1:
        return "utf-16-le"
    if even > 0.5 and odd < 0.1:
        return "utf-16-be"
    raise EncodingError(
        f"not text in UTF-8, UTF-16 or UTF-32: NUL bytes in the first {len(sample)} bytes (binary data?)"
    )


def _decode_head(head: bytes, encoding: str) -> str:
    # The head may end inside a multi-byte character; replacement characters there do no harm.
    return head.decode(encoding, errors="replace")


def _decoding_note(head: bytes, encoding: str) -> str | None:
    """Where ``head`` stops decoding as ``encoding`` (its last, maybe cut, character apart), or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        name = {"utf-8": "UTF-8"}.get(encoding, encoding.upper())
        advice = " (an 8-bit encoding such as Latin-1, Windows-1252 or GBK?)" if encoding == "utf-8" else ""
        return (
            f"not valid {name} text: byte 0x{head[exc.start]:02x} on line {line}{advice}; rows holding"
            f" such bytes are bad rows (convert the file, e.g. iconv -f ENCODING -t UTF-8)"
        )
    return None


def _first_line(text: str) -> str:
    for i, ch in enumerate(text):
        if ch in "\r\n":
            return text[:i]
    return text


def _canonical(name: str) -> str:
    name = name.strip()
    if name.lower() == QUEUE_COLUMN.lower():
        return QUEUE_COLUMN
    return _CANONICAL_BY_LOWER.get(name.lower(), name)


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, quotechar='"', doublequote=True, strict=False))
    except (csv.Error, StopIteration):
        return []


def _candidates(line: str) -> list[str]:
    found = [d for d in _PREFERRED_DELIMITERS if d in line]
    others = sorted(
        {ch for ch in line if ch.isascii() and not ch.isalnum() and ch not in '"_ .-\r\n'} - set(found)
    )
    return found + others


def _header_fields(line: str) -> tuple[str, list[str] | None]:
    """The delimiter and names of ``line`` if it is a header line (two or more known names), else None."""
    best: tuple[int, str, list[str]] | None = None
    for delimiter in _candidates(line) or [","]:
        fields = _split(line, delimiter)
        known = sum(1 for f in fields if f.strip().lower() in _CANONICAL_BY_LOWER)
        if best is None or known > best[0]:
            best = (known, delimiter, fields)
    if best is None or best[0] < 2:
        return ",", None
    return best[1], best[2]


def _data_delimiter(text: str, complete: bool) -> str:
    """Guess the delimiter of a header-less file: the one giving JMeter's 17 default columns, else most."""
    best: tuple[int, str] | None = None
    for delimiter in _candidates(_first_line(text)):
        width = _usual_width(_records(text, delimiter, complete, limit=5))
        if width == len(DEFAULT_COLUMNS):
            return delimiter
        if best is None or width > best[0]:
            best = (width, delimiter)
    return best[1] if best is not None else ","


def _usual_width(records: tuple[tuple[str, ...], ...]) -> int:
    """The most common number of fields (the first record's on a tie); 0 without records."""
    widths = [len(r) for r in records]
    return max(widths, key=lambda w: (widths.count(w), -widths.index(w))) if widths else 0


def _records(
    text: str, delimiter: str, complete: bool, width: int | None = None, limit: int = SAMPLE_RECORDS
) -> tuple[tuple[str, ...], ...]:
    """Up to ``limit`` good records of ``text``; unless ``complete`` the last one may be cut off: dropped.

    A stray quote spoils only its own line (see csv_records): records spanning several lines are
    kept when they have ``width`` fields (JMeter's default 17 when not known yet).
    """
    rules = RecordRules(delimiter, width or len(DEFAULT_COLUMNS))
    out: list[tuple[str, ...]] = []
    for record in records(io.StringIO(text, newline=""), rules):
        if record.fields is not None:
            out.append(tuple(record.fields))
        if len(out) > limit:
            break
    if not complete and len(out) <= limit:
        out = out[:-1]
    return tuple(out[:limit])
