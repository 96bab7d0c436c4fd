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
from types import TracebackType

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

    def slot(self) -> Slot:
        """Hold a slot for one request (``async with limiter.slot() as outcome``); the caller
        may mark the outcome as throttled or failed."""
        return Slot(self)

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


class Slot(Outcome):
    """One request's hold on a :class:`Limiter`, and the outcome its holder reports.

    A plain class rather than ``contextlib.asynccontextmanager``: every request of a walk
    enters one, and the generator-based manager (a generator, its frame, a wrapper object and
    two ``send`` round trips per request) nearly doubled what a slot costs (2.3 against 1.25
    microseconds, adaptive, acquire to release). An exception in the block is left to
    propagate (``__aexit__`` returns ``None``) and is not a failure by itself: the holder says
    ``failed`` (no latency sample), as before."""

    __slots__ = ("_limiter", "_started")

    def __init__(self, limiter: Limiter) -> None:
        super().__init__()
        self._limiter = limiter
        self._started = 0.0

    async def __aenter__(self) -> Outcome:
        limiter = self._limiter
        if limiter.in_flight < limiter.limit and not limiter._waiters:
            limiter._take()  # a free slot: no coroutine of acquire() to create and run
        else:
            await limiter.acquire()
        self._started = time.monotonic()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._limiter.release(time.monotonic() - self._started, throttled=self.throttled,
                              measured=not self.failed)
