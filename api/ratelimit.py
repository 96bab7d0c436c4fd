"""Per-client request rate limiting: a token bucket per client address.

Each client may send ``limit`` requests in a burst and then ``limit`` per ``window`` seconds.
A request over the limit is answered ``429`` with ``Retry-After`` (whole seconds until a
request will be accepted again). Buckets live in memory, per process.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Buckets kept at most; idle ones (full again) are dropped first.
MAX_BUCKETS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """``check(key)`` returns ``None`` when a request is allowed, else seconds to wait."""

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.rate = limit / window  # tokens per second
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(float(self.limit), now)
            else:
                bucket.tokens = min(self.limit, bucket.tokens + (now - bucket.stamp) * self.rate)
                bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / self.rate

    def retry_after(self, wait: float) -> str:
        """The ``Retry-After`` header value for a wait of ``wait`` seconds."""
        return str(max(1, math.ceil(wait)))

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.stamp) * self.rate >= self.limit]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:  # all busy: forget the oldest half
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].stamp)
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]
