"""Byte-level passes over a CSV results file that the fast reader could not take as it is.

All work on plain files (a compressed one is unpacked first).

- ``examine``: from the places where DuckDB's reader met a quoting fault, find the lines a stray
  quote really spoils (surge.results.csv_records decides, line by line);
- ``write_repaired``: a copy of the file with just those lines blanked out, byte for byte the same
  length, so that byte offsets, and so line numbers, found in the copy are the original's;
- ``long_lines``: lines longer than the reader's limit, which DuckDB drops without a word once they
  outgrow its buffer.

Only files with such faults pay for the first two; ``long_lines`` looks at one page or so per MB of
a clean file.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from surge.results.csv_records import MAX_RECORD_CHARS, RecordRules, records

# Blanks a bad line: not a quote, and never a delimiter (delimiters are punctuation or TAB).
FILLER = b"x"
# Clean records in a row after which an examined stretch is back in step with the plain reader.
_CLEAN_RUN = 2
_CHUNK_BYTES = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Window read backwards to find the start of a line.
_BACK_BYTES = 1 << 20


@dataclass(frozen=True)
class Region:
    """A stretch of the file read with csv_records: [start, end) in bytes."""

    start: int
    end: int
    bad: tuple[tuple[int, int], ...]  # (offset, length without the line end) of each bad line
    kept: tuple[tuple[int, int], ...]  # [offset, end) of records kept although they span several lines


@dataclass(frozen=True)
class _Line:
    offset: int
    length: int  # bytes, without the line end
    stop: int  # offset of the next line
    text: bytes  # the line with its line end; past the record limit, a stand-in just as long as the limit


def _lines_from(f: IO[bytes], offset: int) -> Iterator[_Line]:
    """Physical lines from ``offset``, where ``f`` is positioned; CR, LF and CRLF each end a line."""
    cap = MAX_RECORD_CHARS + 1
    buf = b""
    buf_offset = offset  # file offset of buf[0]
    dropped = 0  # bytes of the current over-long line no longer in buf
    eof = False
    while True:
        pos = 0
        for m in _LINE_END.finditer(buf):
            if not eof and m.end() == len(buf) and m.group() == b"\r":
                break  # may be the first half of a CRLF cut by the read
            yield _line(buf_offset + pos - dropped, buf[pos : m.start()], dropped, m.end() - m.start())
            dropped = 0
            pos = m.end()
        buf = buf[pos:]
        buf_offset += pos
        if eof:
            if buf or dropped:
                yield _line(buf_offset - dropped, buf, dropped, 0)
            return
        if len(buf) > cap:  # an over-long line: count its bytes, do not keep them
            dropped += len(buf) - 1
            buf_offset += len(buf) - 1
            buf = buf[-1:]
        chunk = f.read(_CHUNK_BYTES)
        eof = not chunk
        buf += chunk


def _line(offset: int, content: bytes, dropped: int, end_bytes: int) -> _Line:
    length = dropped + len(content)
    text = content if not dropped else FILLER * (MAX_RECORD_CHARS + 1)
    return _Line(offset, length, offset + length + end_bytes, text + b"\n" * (end_bytes > 0))


def offset_after_lines(path: Path, count: int) -> int:
    """Byte offset just past the first ``count`` lines of a plain file."""
    if count <= 0:
        return 0
    with open(path, "rb") as f:
        stop = 0
        for i, line in enumerate(_lines_from(f, 0)):
            stop = line.stop
            if i + 1 >= count:
                break
    return stop


def _line_start_before(f: IO[bytes], offset: int, lines_back: int) -> int:
    """Start of the line ``lines_back`` lines before the one holding ``offset`` (as far as 1 MB back)."""
    begin = max(0, offset - _BACK_BYTES)
    f.seek(begin)
    window = f.read(offset - begin)
    starts = ([0] if begin == 0 else []) + [begin + m.end() for m in _LINE_END.finditer(window)]
    if not starts:
        return offset
    return starts[max(len(starts) - 1 - lines_back, 0)]


def examine(
    path: Path,
    rules: RecordRules,
    faults: Sequence[int],
    forced: frozenset[int] = frozenset(),
    skip_before: int = 0,
) -> list[Region]:
    """Read a plain file around each of ``faults`` (0-based byte offsets where the reader went wrong).

    Each stretch begins one line before the fault (the reader may name the record before the one at
    fault) and ends once records are clean again past it. A line starting at an offset in
    ``forced`` is bad whatever it holds. Nothing before ``skip_before`` (the header) is examined.
    """
    regions: list[Region] = []
    with open(path, "rb") as f:
        for fault in sorted(set(faults)):
            floor = max(skip_before, regions[-1].end if regions else 0)
            if fault < floor:
                continue
            begin = max(floor, _line_start_before(f, fault, 1))
            f.seek(begin)
            regions.append(_examine_from(f, begin, fault, rules, forced))
    return regions


def _examine_from(f: IO[bytes], begin: int, fault: int, rules: RecordRules, forced: frozenset[int]) -> Region:
    seen: list[_Line] = []

    def texts() -> Iterator[str]:
        for line in _lines_from(f, begin):
            seen.append(line)
            # A forced line must not open or close a quoted field for its neighbours either.
            yield "x\n" if line.offset in forced else line.text.decode("utf-8", errors="surrogateescape")

    bad: list[tuple[int, int]] = []
    kept: list[tuple[int, int]] = []
    clean = 0
    past_fault = 0
    end = begin
    for record in records(texts(), rules, first_line=0):
        first = seen[record.line]
        last = seen[record.line + record.lines - 1]
        end = last.stop
        if record.fields is None or first.offset in forced:
            bad.append((first.offset, first.length))
            clean = 0
        else:
            if record.lines > 1:
                kept.append((first.offset, last.stop))
            clean += 1
        past_fault += first.offset > fault
        if clean >= _CLEAN_RUN and past_fault >= _CLEAN_RUN:
            break
    return Region(begin, end, tuple(bad), tuple(kept))


def write_repaired(path: Path, dest: Path, bad: Sequence[tuple[int, int]]) -> None:
    """Copy ``path`` to ``dest`` with each (offset, length) range of bytes filled with FILLER."""
    with open(path, "rb") as src, open(dest, "wb") as out:
        done = 0
        for offset, length in sorted(bad):
            _copy(src, out, offset - done)
            _fill(out, length)
            _skip(src, length)
            done = offset + length
        while chunk := src.read(_CHUNK_BYTES):
            out.write(chunk)


def _copy(src: IO[bytes], out: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = src.read(min(size, _CHUNK_BYTES))
        if not chunk:
            return
        out.write(chunk)
        size -= len(chunk)


def _fill(out: IO[bytes], size: int) -> None:
    while size > 0:
        n = min(size, _CHUNK_BYTES)
        out.write(FILLER * n)
        size -= n


def _skip(src: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = src.read(min(size, _CHUNK_BYTES))
        if not chunk:
            return
        size -= len(chunk)


def long_lines(path: Path, limit: int) -> list[tuple[int, int]]:
    """(offset, length) of the lines of a plain file longer than ``limit`` bytes (without line end).

    Looks at one byte range of ``limit // 2`` bytes after another and stops at its first line end,
    so a file of ordinary lines costs a page or so per range; only a range with no line end at all
    is followed up.
    """
    stride = max(limit // 2, 1)
    found: list[tuple[int, int]] = []
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size <= limit:
            return found
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            pos = 0
            while pos < size:
                stop = min(pos + stride, size)
                if _has_line_end(mm, pos, stop):
                    pos = stop
                    continue
                start = _line_start(mm, pos)
                end = _line_end(mm, stop, size)
                if end - start > limit:
                    found.append((start, end - start))
                pos = max(end, stop)
    return found


def _has_line_end(mm: mmap.mmap, start: int, stop: int) -> bool:
    return mm.find(b"\n", start, stop) >= 0 or mm.find(b"\r", start, stop) >= 0


def _line_start(mm: mmap.mmap, pos: int) -> int:
    return max(mm.rfind(b"\n", 0, pos), mm.rfind(b"\r", 0, pos)) + 1


def _line_end(mm: mmap.mmap, pos: int, size: int) -> int:
    ends = [i for i in (mm.find(b"\n", pos), mm.find(b"\r", pos)) if i >= 0]
    return min(ends) if ends else size
