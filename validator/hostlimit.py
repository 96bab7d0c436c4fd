"""A cap on requests in flight per host, shared by every walk that is given it.

The walk's own :class:`~validator.limiter.Limiter` caps one run. A service running many jobs
(or a batch of many datasets) on one event loop passes one :class:`HostLimits` to all of them,
so that jobs on the same host together never have more than ``per_host`` requests in flight
there -- a slow or hanging host holds its own slots, never those of other hosts.

``HostLimits`` belongs to one event loop (it holds asyncio semaphores). Hosts are keyed by
``scheme://host:port``; a host's semaphore is dropped when nobody uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


def host_key(url: str) -> str:
    """``scheme://host:port`` of ``url`` (lowercase; the default port made explicit)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(scheme, 0)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class HostLimits:
    """At most ``per_host`` requests in flight to each host, across all users of this object."""

    def __init__(self, per_host: int) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    def in_flight(self, url: str) -> int:
        """Requests in flight to the host of ``url`` now."""
        slots = self._slots.get(host_key(url))
        return 0 if slots is None else self.per_host - slots._value

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for the duration of the block."""
        key = host_key(url)
        slots = self._slots.get(key)
        if slots is None:
            slots = self._slots[key] = asyncio.Semaphore(self.per_host)
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with slots:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._slots[key]
