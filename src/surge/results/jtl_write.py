"""Write JMeter JTL CSV files: JMeter's 17 default columns, its exact quoting, part files and merging.

Quoting is JMeter's (docs/run.md, "The results file"): a field is wrapped in double quotes only if
it contains the delimiter, a double quote, CR or LF, and embedded quotes are doubled; numbers
and booleans are never quoted. Lines end with ``\\n``.

One definition of a row, ``format_row(Sample)``; the engine's two hot paths instead join the
per-user, per-request constant pieces (``RowParts``, pre-quoted once) with the changing numbers in
one f-string, and a test holds their bytes to ``format_row``'s on real runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from surge.results.columns import DEFAULT_HEADER, QUEUE_COLUMN
from surge.results.sample import Sample


def quote_field(text: str, delimiter: str = ",") -> str:
    """Quote ``text`` as JMeter's CSV writer does (only when needed; embedded quotes doubled)."""
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


_QUOTED: dict[str, str] = {}
_QUOTED_MAX = 4096


def _quoted(text: str) -> str:
    """``quote_field(text)``, remembered: labels, thread names and URLs repeat on most rows."""
    quoted = _QUOTED.get(text)
    if quoted is None:
        if len(_QUOTED) >= _QUOTED_MAX:
            _QUOTED.clear()
        quoted = _QUOTED[text] = quote_field(text)
    return quoted


def format_row(sample: Sample, extra: Sequence[str] = ()) -> str:
    """One JTL line (with its ``\\n``) in JMeter's default 17-column order.

    The one definition of a row: every path writes rows through it, except the two hot paths
    (``surge.engine.user``, ``surge.engine.open_model``), which join pre-quoted pieces and are
    tested to write the same bytes. ``extra`` fields (sample variables, such as the open model's
    queueTime) follow the 17 columns, quoted the same way.
    """
    q = _quoted
    tail = "".join(f",{q(field)}" for field in extra) if extra else ""
    return (
        f"{sample.timestamp_ms},{sample.elapsed_ms},{q(sample.label)},{q(sample.response_code)},"
        f"{q(sample.response_message)},{q(sample.thread_name)},{q(sample.data_type)},"
        f"{'true' if sample.success else 'false'},{q(sample.failure_message)},{sample.bytes_received},"
        f"{sample.bytes_sent},{sample.grp_threads},{sample.all_threads},{q(sample.url)},"
        f"{sample.latency_ms},{sample.idle_time_ms},{sample.connect_ms}{tail}\n"
    )


class RowParts:
    """Constant pieces of the rows one user writes for one request, quoted once.

    A row is then ``f"{ts},{elapsed}{label_part}{code},{message}{thread_part}{ok},,{bytes},{sent},"
    f"{grp},{all}{url_part}{latency},0,{connect}\\n"`` where code and message are quoted already
    (see ``status_fields``).
    """

    __slots__ = ("label", "label_part", "thread_name", "thread_part_err", "thread_part_ok", "url", "url_part")

    def __init__(self, label: str, thread_name: str, url: str) -> None:
        self.label = label
        self.thread_name = thread_name
        self.url = url
        self.label_part = f",{quote_field(label)},"
        # dataType is "text" when a response arrived, empty for non-HTTP failures (as JMeter).
        self.thread_part_ok = f",{quote_field(thread_name)},text,"
        self.thread_part_err = f",{quote_field(thread_name)},,"
        self.url_part = f",{quote_field(url)},"


# Header of an open-model results file: the 17 columns plus the queueing delay, quoted as JMeter
# quotes sample-variable columns.
QUEUE_HEADER = f'{DEFAULT_HEADER},"{QUEUE_COLUMN}"'


def status_fields(status: int, reason: str) -> str:
    """``responseCode,responseMessage`` for an HTTP response, quoted as needed."""
    return f"{status},{quote_field(reason)}"


class JtlPartWriter:
    """A part file written by one worker: header first, then rows appended in batches.

    Only whole rows ever stay in the file, so it is a valid JTL after any ``flush``, including
    when the process is interrupted between flushes. When a write fails (disk full, a file-size
    limit), the torn row is cut off, the error is kept in ``error`` and the rows that could not
    be written are counted in ``rows_lost``; nothing is raised, and later rows are counted lost
    too (the caller stops the run).
    """

    def __init__(self, path: Path, header: str = DEFAULT_HEADER) -> None:
        self.path = path
        self.rows: list[str] = []
        self.rows_written = 0
        self.rows_lost = 0
        self.error: OSError | None = None
        self._size = 0  # bytes of whole rows in the file
        self._torn = 0  # bytes of the last failed write that went in
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            self._write((header + "\n").encode())
        except OSError:
            os.close(self._fd)
            raise

    def flush(self) -> None:
        """Write the buffered rows (at least once a second); unbuffered, so the OS has them at once."""
        rows = self.rows
        if not rows:
            return
        if self.error is not None or self._fd < 0:
            self.rows_lost += len(rows)
            rows.clear()
            return
        data = "".join(rows).encode()
        try:
            self._write(data)
        except OSError as exc:
            self.error = exc
            whole = data.rfind(b"\n", 0, self._torn) + 1  # the rows that made it in full
            written_rows = data.count(b"\n", 0, whole)
            self.rows_written += written_rows
            self.rows_lost += len(rows) - written_rows
            self._size += whole
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)  # drop the torn row: the file stays a valid JTL
        else:
            self.rows_written += len(rows)
        rows.clear()

    def close(self) -> None:
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1

    def _write(self, data: bytes) -> None:
        """Write all of ``data``; on failure ``_torn`` says how many of its bytes went in."""
        view = memoryview(data)
        done = 0
        self._torn = 0
        try:
            while done < len(data):
                done += os.write(self._fd, view[done:])
        except OSError:
            self._torn = done
            raise
        self._size += done


def merge_parts(parts: Sequence[Path], out_path: Path, *, remove: bool = True) -> int:
    """Concatenate part files (each with its own header) into ``out_path`` with one header.

    The header is the first part's (the parts of one run share it: 17 columns, or 18 with queueTime).

    Returns the number of data rows. Rows keep each part's order; JTL files are not time-sorted
    (JMeter's are not either) and every report aggregation is order-independent. A part that a
    killed worker left with a torn last line is cut back to its last complete line.
    """
    existing = [p for p in parts if p.exists()]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if len(existing) == 1 and _ends_cleanly(existing[0]):
        rows = _count_rows(existing[0])
        if remove:
            os.replace(existing[0], out_path)
        else:
            shutil.copyfile(existing[0], out_path)
        return rows
    rows = 0
    header = (DEFAULT_HEADER + "\n").encode()
    if existing:
        with open(existing[0], "rb") as first:
            header = first.readline() or header
    with open(out_path, "wb") as out:
        out.write(header)
        for part in existing:
            with open(part, "rb") as src:
                src.readline()  # the part's own header
                start = src.tell()
                size = _clean_size(part)
                remaining = max(0, size - start)
                while remaining > 0:
                    block = src.read(min(remaining, 1 << 20))
                    if not block:
                        break
                    out.write(block)
                    rows += block.count(b"\n")
                    remaining -= len(block)
    if remove:  # only once the whole merge is written: a failed merge keeps every part
        for part in existing:
            part.unlink()
    return rows


def _ends_cleanly(path: Path) -> bool:
    return _clean_size(path) == path.stat().st_size


def _clean_size(path: Path) -> int:
    """Size of the file up to and including its last newline."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb") as f:
        pos = size
        while pos > 0:
            step = min(pos, 65536)
            f.seek(pos - step)
            block = f.read(step)
            idx = block.rfind(b"\n")
            if idx >= 0:
                return pos - step + idx + 1
            pos -= step
    return 0


def _count_rows(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            count += block.count(b"\n")
    return max(0, count - 1)
