"""How far each worker's clock is from this machine's, so every row is timed on one clock.

For each worker, a few round trips ask for its epoch clock; the one with the shortest round trip
wins, and the worker's clock is taken to have been read at its midpoint (the method of NTP's
offset estimate). The error is at most half that round trip: well under a millisecond on one
machine or a LAN, the precision given in docs/cluster.md. Workers then write their timestamps on
this machine's clock (``WorkerSpec.clock_offset_ns``) and start at one agreed moment of it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

ROUND_TRIPS = 5


def measure_offsets(client: Any, addresses: Sequence[str]) -> dict[str, int]:
    """``{address: that worker's clock minus this machine's, ns}`` (the best of a few round trips)."""
    offsets: dict[str, int] = {}
    for address in addresses:
        best_rtt_ns = 1 << 62
        best_offset = 0
        for _ in range(ROUND_TRIPS):
            sent_ns = time.time_ns()
            theirs_ns = int(client.run(time.time_ns, workers=[address])[address])
            received_ns = time.time_ns()
            rtt_ns = received_ns - sent_ns
            if rtt_ns < best_rtt_ns:
                best_rtt_ns = rtt_ns
                best_offset = theirs_ns - (sent_ns + received_ns) // 2
        offsets[address] = best_offset
    return offsets
