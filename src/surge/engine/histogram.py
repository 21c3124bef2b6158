"""HDR histograms (the ``hdrhistogram`` package) for live progress and run summaries, recorded in bulk.

``HdrHistogram.record_value`` costs ~2.5 µs in pure Python, too much per request. Workers instead
append raw microsecond values to a list and, once a second, count them with ``collections.Counter``
(C speed) and add each distinct value's count here with the bucket arithmetic inlined.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hdrh.histogram import HdrHistogram

HIGHEST_US = 3_600_000_000  # one hour: no request lasts longer
PROGRESS_DIGITS = 2  # the live line: 1 % resolution, small snapshots sent every second
SUMMARY_DIGITS = 3  # the end summary: 0.1 % resolution


def new_histogram(significant_digits: int = SUMMARY_DIGITS) -> HdrHistogram:
    """An empty histogram of microsecond values from 1 µs to one hour."""
    return HdrHistogram(1, HIGHEST_US, significant_digits)


def record_counts(histogram: HdrHistogram, counts: Counter[int]) -> None:
    """Add ``value -> count`` pairs; out-of-range values are clamped to the histogram's range."""
    mask = histogram.sub_bucket_mask
    unit = histogram.unit_magnitude
    shift = histogram.sub_bucket_half_count_magnitude + 1
    half_mag = histogram.sub_bucket_half_count_magnitude
    half = histogram.sub_bucket_half_count
    cells = histogram.counts
    top = histogram.counts_len - 1
    total = 0
    for value, count in counts.items():
        v = 0 if value < 0 else min(value, HIGHEST_US)
        bucket = (v | mask).bit_length() - unit - shift
        index = ((bucket + 1) << half_mag) + (v >> (bucket + unit)) - half
        cells[min(index, top)] += count
        total += count
    histogram.total_count += total
    histogram.min_value = min(histogram.min_value, max(0, min(counts)))
    histogram.max_value = max(histogram.max_value, min(max(counts), HIGHEST_US))


def encode(histogram: HdrHistogram) -> bytes:
    """Compact wire form of a histogram (HdrHistogram V2 compressed, base64)."""
    encoded: bytes = histogram.encode()
    return encoded


def merge_encoded(encoded: Iterable[bytes], significant_digits: int = SUMMARY_DIGITS) -> HdrHistogram:
    """One histogram holding every encoded snapshot given."""
    merged = new_histogram(significant_digits)
    for blob in encoded:
        merged.decode_and_add(blob)
    return merged
