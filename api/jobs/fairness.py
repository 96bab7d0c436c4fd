"""Running slots shared fairly between clients: :class:`FairSlots`.

A plain semaphore runs jobs in arrival order, so one client submitting four jobs takes every
running slot and another client's tiny job waits until one of them ends (issue 14: 90.8 s behind
four jobs on a dataset with one hanging document). Here:

* waiting jobs are queued per client and a freed slot goes to the clients in turn (round
  robin), not to whoever queued first;
* clients with nothing running go first, and no single client holds every slot (one is
  kept from it when there are two or more): a client arriving while another's jobs hang
  starts at once, unless every slot is held by a different client.

It belongs to one event loop (the runner's).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairSlots:
    """At most ``size`` holders; free slots go round-robin to clients (see the module doc).
    A client alone uses ``size - 1`` slots (all of them when ``size`` is 1)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._running: collections.Counter[str] = collections.Counter()
        self._waiting: dict[str, collections.deque[asyncio.Future[None]]] = {}
        self._turn: collections.deque[str] = collections.deque()  # clients, in turn order

    @property
    def free(self) -> int:
        return self.size - sum(self._running.values())

    def running(self, client: str) -> int:
        return self._running[client]

    def _eligible(self, client: str) -> bool:
        # One slot is always kept from any single client (unless there is only one): another
        # client arriving later starts at once instead of waiting for a job to end.
        return self.free > 0 and (self.size == 1 or self._running[client] < self.size - 1)

    def _next(self) -> str | None:
        """The client to grant a slot: clients with nothing running first, each group in turn
        order; ``None`` when no waiting client may take one."""
        for idle_only in (True, False):
            for client in self._turn:
                if idle_only and self._running[client]:
                    continue
                if self._eligible(client):
                    return client
        return None

    def _dispatch(self) -> None:
        for client in list(self._turn):  # forget the waits of cancelled jobs
            queue = self._waiting[client]
            while queue and queue[0].done():
                queue.popleft()
            if not queue:
                del self._waiting[client]
                self._turn.remove(client)
        while self.free > 0:
            chosen = self._next()
            if chosen is None:
                return
            client = chosen
            queue = self._waiting[client]
            self._running[client] += 1
            queue.popleft().set_result(None)
            self._turn.remove(client)
            if queue:
                self._turn.append(client)  # to the back of the turn order
            else:
                del self._waiting[client]

    @asynccontextmanager
    async def slot(self, client: str) -> AsyncIterator[None]:
        """Hold a running slot for ``client`` for the duration of the block."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if client not in self._waiting:
            self._waiting[client] = collections.deque()
            self._turn.append(client)
        self._waiting[client].append(future)
        self._dispatch()
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self._release(client)  # granted, then cancelled before it could run
            else:
                future.cancel()
                self._dispatch()
            raise
        try:
            yield
        finally:
            self._release(client)

    def _release(self, client: str) -> None:
        self._running[client] -= 1
        if self._running[client] <= 0:
            del self._running[client]
        self._dispatch()
