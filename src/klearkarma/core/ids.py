"""Time-ordered UUIDs (version 7) so primary keys insert at the right edge of their indexes.

Within one process the ids are strictly increasing, even inside one millisecond (RFC 9562's
counter method), so "ORDER BY id" breaks ties in creation order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_millis = 0
_sequence = 0


def uuid7() -> uuid.UUID:
    """A UUIDv7: 48 bits of Unix milliseconds, a 12-bit sequence, then 62 random bits."""
    global _last_millis, _sequence
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis > _last_millis:
            _last_millis = millis
            _sequence = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count up
        else:
            _sequence += 1
            if _sequence > 0xFFF:  # 4096 ids in one millisecond: borrow the next millisecond
                _last_millis += 1
                _sequence = 0
        millis, sequence = _last_millis, _sequence
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= sequence << 64  # rand_a used as a counter
    value |= 0b10 << 62  # variant
    value |= int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return uuid.UUID(int=value)
