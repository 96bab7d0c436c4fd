"""The cap on requests in flight, optionally adapting to the server below a hard ceiling.

:class:`Limiter` is a semaphore whose size (``limit``) may change while it is in use. Fixed,
it is a plain cap. Adaptive, it watches the latency of the requests it lets through, in
windows of about ``limit`` requests (one round trip's worth):

* a window with a throttling answer (HTTP 429 or 503) halves the limit;
* a window whose median latency is more than twice the baseline (the lowest median seen,
  allowed to drift up slowly) and 10 ms above it cuts the limit by a quarter: the server
  queues our requests, so more in flight only adds to its load;
* a window with flat latency (within 30 % + 2 ms of the baseline) in which requests had to
  wait for a slot grows the limit by half, up to ``ceiling``;

never below ``floor`` and never above ``ceiling`` (the user's ``--concurrency``): the cap on
requests in flight always holds. The walk keeps one limiter per run, and a run reads from
one store (one host, redirects aside).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Where an adaptive limiter starts (when the ceiling is higher): the cap the validator used
#: before it adapted, polite to any web server.
ADAPTIVE_START = 64
#: The least an adaptive limiter shrinks to.
ADAPTIVE_FLOOR = 4


class Limiter:
    """At most ``limit`` holders at a time; ``limit`` adapts within [floor, ceiling]."""

    def __init__(self, ceiling: int, *, adaptive: bool = False, start: int | None = None,
                 floor: int = ADAPTIVE_FLOOR) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be at least 1")
        self.ceiling = ceiling
        self.adaptive = adaptive
        self.floor = max(1, min(floor, ceiling))
        initial = ceiling if not adaptive else min(ceiling, start or ADAPTIVE_START)
        self.limit = max(self.floor, initial)
        self.in_flight = 0
        self.max_in_flight = 0
        self.history: list[tuple[float, int, str]] = []  # (time, new limit, why)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._samples: list[float] = []
        self._throttled = False
        self._waited = False
        self._baseline: float | None = None

    # -- the semaphore -----------------------------------------------------------------------

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Outcome]:
        """Hold a slot for one request; the caller may mark the outcome as throttled."""
        await self.acquire()
        outcome = Outcome()
        started = time.monotonic()
        try:
            yield outcome
        finally:
            self.release(time.monotonic() - started, throttled=outcome.throttled,
                         measured=not outcome.failed)

    async def acquire(self) -> None:
        if self.in_flight < self.limit and not self._waiters:
            self._take()
            return
        self._waited = True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._give_back()  # the slot was handed over as we were cancelled: pass it on
                self._wake()
            elif future in self._waiters:
                self._waiters.remove(future)
            raise

    def release(self, latency: float | None = None, *, throttled: bool = False,
                measured: bool = True) -> None:
        self._give_back()
        if self.adaptive:
            self._throttled |= throttled
            if measured and latency is not None:
                self._samples.append(latency)
            if len(self._samples) >= max(self.limit, 8) or (throttled and self._samples):
                self._adapt()
        self._wake()

    def _take(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _give_back(self) -> None:
        self.in_flight -= 1

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            future = self._waiters.popleft()
            if future.done():
                continue
            self._take()
            future.set_result(None)

    # -- adapting ----------------------------------------------------------------------------

    def _adapt(self) -> None:
        samples = sorted(self._samples)
        median = samples[len(samples) // 2]
        throttled, waited = self._throttled, self._waited
        self._samples, self._throttled, self._waited = [], False, False
        baseline = self._baseline
        # The lowest window median seen, drifting up 2 % a window so that a network that got
        # slower for good becomes the new normal.
        self._baseline = median if baseline is None else min(median, baseline * 1.02)
        if throttled:
            self._set(self.limit // 2, "throttled (429/503)")
        elif baseline is not None and median > 2 * baseline and median > baseline + 0.010:
            self._set(self.limit * 3 // 4, f"latency {median * 1000:.0f} ms, baseline "
                      f"{baseline * 1000:.0f} ms")
        elif (baseline is not None and waited and self.limit < self.ceiling
              and median <= 1.3 * baseline + 0.002):
            self._set(self.limit + max(1, self.limit // 2), "latency flat")

    def _set(self, limit: int, why: str) -> None:
        limit = max(self.floor, min(self.ceiling, limit))
        if limit != self.limit:
            self.limit = limit
            self.history.append((time.monotonic(), limit, why))


class Outcome:
    """What the holder of a slot reports back: throttled (429/503), or failed (no latency)."""

    __slots__ = ("failed", "throttled")

    def __init__(self) -> None:
        self.throttled = False
        self.failed = False
