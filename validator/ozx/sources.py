"""Byte-range readers of one archive: a local file, an http(s) URL, an fsspec object.

An archive is read in pieces (:mod:`validator.ozx.archive` says which), never whole. Each
source counts what it costs in a :class:`~validator.stores.StoreStats` -- for the network ones
one request per read -- which becomes the report's ``stats``. Remote sources go through the
existing stores: :class:`~validator.stores.HttpStore` (retries, redirects vetted one hop at a
time by the network policy, size caps, timeouts) and the fsspec filesystem
:func:`~validator.stores.open_store` configures (storage options, its own event loop).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Protocol

from validator.errors import FetchError
from validator.options import Options
from validator.stores import FsspecStore, HttpStore, StoreStats


class RangeSource(Protocol):
    """Where an archive's bytes come from."""

    display: str
    stats: StoreStats

    async def tail(self, n: int) -> tuple[bytes, int] | None:
        """``(last bytes, total size)``: the last ``n`` bytes (fewer if the object is smaller,
        more if the source can only give it whole); ``None`` when there is no such object."""
        ...

    async def read(self, start: int, end: int) -> bytes:
        """Exactly bytes ``[start, end)``; raises :class:`FetchError` otherwise."""
        ...

    async def close(self) -> None: ...


class LocalSource:
    """A local file, read with ``pread`` in place (a local read takes microseconds)."""

    def __init__(self, path: str, display: str) -> None:
        self.path = path
        self.display = display
        self.stats = StoreStats()
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        return self._fd

    async def tail(self, n: int) -> tuple[bytes, int] | None:
        try:
            fd = self._open()
            size = os.fstat(fd).st_size
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:
            raise FetchError(f"could not read {self.display}: {exc}") from None
        start = max(0, size - n)
        return await self.read(start, size), size

    async def read(self, start: int, end: int) -> bytes:
        self.stats.requests += 1
        try:
            data = os.pread(self._open(), end - start, start)
        except OSError as exc:
            raise FetchError(f"could not read {self.display}: {exc}") from None
        self.stats.bytes += len(data)
        if len(data) != end - start:
            raise FetchError(f"{self.display} ended at byte {start + len(data)}, before {end}")
        return data

    async def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class HttpSource:
    """An http(s) URL, read with ``Range`` requests through an :class:`HttpStore`."""

    def __init__(self, store: HttpStore, url: str, options: Options) -> None:
        self.store = store
        self.url = url
        self.display = url
        self.stats = store.stats
        self.options = options
        # When the server ignores Range it sends the whole archive (within the size cap):
        # keep it, so that nothing is fetched twice.
        self._whole: bytes | None = None

    async def tail(self, n: int) -> tuple[bytes, int] | None:
        # A server that ignores Range sends the whole archive: accept that up to the document
        # size limit (a small archive), never more.
        cap = max(n, self.options.max_document_bytes)
        got = await self.store.get_range(self.url, f"bytes=-{n}", cap)
        if got is None:
            return None
        data, total = got
        if len(data) == total and total > n:
            self._whole = data
        return data, total

    async def read(self, start: int, end: int) -> bytes:
        if self._whole is not None:
            return self._whole[start:end]
        got = await self.store.get_range(self.url, f"bytes={start}-{end - 1}", end - start)
        if got is None:
            raise FetchError(f"{self.url} disappeared while it was read")
        data, total = got
        if len(data) == total and total != end - start:  # the whole object after all
            self._whole = data
            return data[start:end]
        if len(data) != end - start:
            raise FetchError(f"asked {self.url} for {end - start} bytes at {start}, "
                             f"got {len(data)}")
        return data

    async def close(self) -> None:
        await self.store.close()


class FsspecSource:
    """An object of an fsspec filesystem (s3, gs, memory, ...): ``info`` then ranged reads."""

    def __init__(self, store: FsspecStore, options: Options) -> None:
        self.store = store
        self.fs: Any = store.fs
        self.path = store.root
        self.display = store.url("").rstrip("/")
        self.stats = store.stats
        self.options = options
        self._async = bool(getattr(self.fs, "async_impl", False))

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.stats.requests += 1
        try:
            if self._async:
                coro = getattr(self.fs, "_" + name)(*args, **kwargs)
            else:
                coro = asyncio.to_thread(getattr(self.fs, name), *args, **kwargs)
            return await asyncio.wait_for(coro, self.options.timeout)
        except TimeoutError:
            raise FetchError(f"timed out after {self.options.timeout:g} s reading "
                             f"{self.display}") from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise
        except PermissionError as exc:
            raise FetchError(f"access denied to {self.display}: {exc}") from None
        except OSError as exc:
            raise FetchError(f"could not read {self.display}: {exc}") from None

    async def tail(self, n: int) -> tuple[bytes, int] | None:
        try:
            info = await self._call("info", self.path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        size = info.get("size")
        if info.get("type") == "directory" or not isinstance(size, int):
            return None
        return await self.read(max(0, size - n), size), size

    async def read(self, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        try:
            data: bytes = await self._call("cat_file", self.path, start=start, end=end)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FetchError(f"{self.display} disappeared while it was read") from None
        self.stats.bytes += len(data)
        if len(data) != end - start:
            raise FetchError(f"asked {self.display} for {end - start} bytes at {start}, "
                             f"got {len(data)}")
        return data

    async def close(self) -> None:
        await self.store.close()
