"""Read gzip-compressed results files that may be cut short (a test killed while compressing).

``zlib`` gives every byte it can decompress before the data ends; the ``gzip`` module raises
instead. Concatenated gzip members (``cat a.gz b.gz``) are read one after the other.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

_CHUNK_BYTES = 1 << 20
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class DamagedGzip(ValueError):
    """The compressed data is not gzip data past some point (not merely cut short)."""


def _chunks(path: Path) -> Iterator[tuple[bytes, bool]]:
    """Decompressed chunks, and at the end (b"", complete): whether the data ended properly."""
    inflate = zlib.decompressobj(_GZIP_WBITS)
    with open(path, "rb") as f:
        while True:
            raw = f.read(_CHUNK_BYTES)
            if not raw:
                yield b"", inflate.eof and not inflate.unconsumed_tail
                return
            while raw:
                try:
                    out = inflate.decompress(raw)
                except zlib.error as exc:
                    raise DamagedGzip(str(exc)) from exc
                if out:
                    yield out, False
                raw = b""
                if inflate.eof:  # another member may follow
                    raw = inflate.unused_data
                    if raw.strip(b"\x00"):
                        inflate = zlib.decompressobj(_GZIP_WBITS)
                    else:
                        raw = b""


def head(path: Path, size: int) -> bytes:
    """Up to ``size`` decompressed bytes from the start of ``path`` (fewer if the data ends early)."""
    out = bytearray()
    for chunk, _ in _chunks(path):
        out += chunk
        if len(out) >= size:
            break
    return bytes(out[:size])


def unpack(path: Path, dest: Path) -> bool:
    """Write the decompressed data of ``path`` to ``dest``, as far as it goes; True if it is complete."""
    with open(dest, "wb") as out:
        for chunk, complete in _chunks(path):
            if chunk:
                out.write(chunk)
            else:
                return complete
    return False
