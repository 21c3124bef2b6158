"""One request as one user makes it: its bytes, the pre-quoted pieces of its row, its label's stats."""

from __future__ import annotations

from surge.engine.client import PreparedRequest
from surge.engine.summary import LabelStats
from surge.results.jtl_write import RowParts, status_fields


class Step:
    """One request as one user makes it: prepared bytes, pre-quoted row pieces, label stats.

    What a request needs is copied from the ``PreparedRequest`` (one attribute lookup each in the
    hot path); where to connect is read from ``prepared`` itself. ``tail`` caches the row's middle,
    from the label to the URL, for the last status, reason, bytes received and thread counts seen
    (``cache_row``), so a steady stream of the same ``200 OK`` costs four comparisons per row.
    """

    __slots__ = (
        "is_head",
        "mid",
        "mid_error",
        "mid_ok",
        "mid_reason",
        "mid_status",
        "origin",
        "parts",
        "payload",
        "prepared",
        "sent",
        "sent_part",
        "stats",
        "tail",
        "tail_counts",
        "tail_received",
        "url_part",
    )

    def __init__(self, prepared: PreparedRequest, parts: RowParts, stats: LabelStats) -> None:
        self.prepared = prepared
        self.origin = prepared.origin
        self.payload = prepared.payload
        self.is_head = prepared.is_head
        self.sent = prepared.sent_bytes
        self.sent_part = f",{prepared.sent_bytes}"
        self.parts = parts
        self.url_part = parts.url_part
        self.stats = stats
        self.mid_status = -1
        self.mid_reason = b""
        self.mid = ""
        self.mid_ok = False
        self.mid_error = ""
        self.tail = ""
        self.tail_received = -1
        self.tail_counts = ""

    def cache_row(self, status: int, reason: bytes, ok: bool, received: int, counts_text: str) -> None:
        """Rebuild ``tail``: ``,label,code,message,thread,text,success,,bytes,sent,grp,all,URL,``."""
        if status != self.mid_status or reason != self.mid_reason:
            self.cache_status(status, reason, ok)
        self.tail_received = received
        self.tail_counts = counts_text
        self.tail = f"{self.mid}{received}{self.sent_part}{counts_text}{self.url_part}"

    def cache_status(self, status: int, reason: bytes, ok: bool) -> None:
        self.mid_status = status
        self.mid_reason = reason
        self.mid_ok = ok
        parts = self.parts
        text = reason.decode("latin-1")
        self.mid_error = f"{status} {text}"
        fields = status_fields(status, text)
        self.mid = f"{parts.label_part}{fields}{parts.thread_part_ok}{'true' if ok else 'false'},,"
