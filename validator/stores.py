"""Loaders: read metadata documents from wherever the dataset lives.

A store answers ``await store.get(key)`` with the bytes of the object at ``key`` (relative to
the dataset root), ``None`` when there is no such object, or raises
:class:`~validator.errors.FetchError` when it could not tell. Stores never list directories.

* :class:`HttpStore` — http/https, not through fsspec's HTTP filesystem: it needs to stop at a
  size cap, follow redirects one hop at a time so the network policy can vet each, honour
  Retry-After, and connect only to vetted addresses. Its requests go through the lean client
  of :mod:`validator.httpwire`, or aiohttp (:mod:`validator.httpaio`) behind a proxy.
* :class:`FsspecStore` — any fsspec filesystem (s3, gcs, file, memory, ...), async ones
  natively, sync ones in a worker thread. Reads ask for one byte more than the cap so a
  remote object store enforces the cap server-side.
* :class:`MappingStore` — a ``MutableMapping`` (fsspec mapper, dict) or a zarr-python store.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from validator.errors import CouldNotValidate, DocumentTooLarge, FetchError, FetchRefused
from validator.hostlimit import HostLimits
from validator.httpwire import BodyTooLarge, Progress, Reply, WireError, WirePool
from validator.options import Options

if TYPE_CHECKING:
    from ipaddress import IPv4Address, IPv6Address

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 30.0
USER_AGENT = "ome-zarr-validator (+https://ngff.openmicroscopy.org)"


@dataclass(slots=True)
class StoreStats:
    requests: int = 0
    bytes: int = 0
    throttled: int = 0  # answers that ask the client to slow down (HTTP 429, 503)


@runtime_checkable
class Store(Protocol):
    """What the walker needs from a store."""

    stats: StoreStats

    def url(self, key: str) -> str:
        """A human-readable location of ``key`` for messages."""
        ...

    async def get(self, key: str) -> bytes | None: ...

    async def close(self) -> None: ...


class NetworkPolicy(Protocol):
    """Vets URLs before they are fetched (SSRF defence); see :mod:`validator.netsafe`."""

    def check_url(self, url: str) -> None:
        """Raise :class:`FetchRefused` when ``url`` must not be fetched."""
        ...

    async def lookup(self, host: str, port: int) -> Sequence[IPv4Address | IPv6Address]:
        """The addresses of ``host`` a request may connect to, all vetted; raise
        :class:`FetchRefused` when the host must not be fetched from."""
        ...


class Transport(Protocol):
    """What carries an :class:`HttpStore`'s GETs: :class:`validator.httpwire.WirePool` or
    :class:`validator.httpaio.AiohttpTransport`. Connection failures and broken HTTP raise
    :class:`~validator.httpwire.WireError`; a body over ``cap``
    :class:`~validator.httpwire.BodyTooLarge`."""

    async def get(self, url: str, headers: Mapping[str, str] | None = None, *, cap: int,
                  truncate: bool = False, progress: Progress | None = None) -> Reply: ...

    async def close(self) -> None: ...


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(float(value), MAX_RETRY_AFTER))
    except ValueError:
        pass
    import email.utils  # only for a date: most Retry-After values are seconds

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _backoff(attempt: int) -> float:
    # Exponential backoff with jitter: 0.25 s, 0.5 s, 1 s, ... (+/- 25 %).
    base: float = 0.25 * (2**attempt)
    return base * (0.75 + random.random() / 2)


def _env_matters() -> bool:
    """Whether aiohttp's ``trust_env`` would change anything: proxy variables or a netrc file.

    With ``trust_env`` aiohttp looks for a proxy and reads the netrc file on every request, in
    a worker thread: that is most of the client's CPU time on a large walk. When there is
    neither, leaving it off behaves the same.
    """
    # What urllib.request.getproxies() reads on Linux (the environment, any case), without
    # importing urllib.request (http.client, email, ...: ~6 ms of every start).
    if any(name.lower() in ("http_proxy", "https_proxy") and value
           for name, value in os.environ.items()):
        return True
    netrc = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    return os.path.exists(netrc)


class HttpStore:
    """Read objects below an http(s) base URL.

    The requests go through the lean HTTP/1.1 client of :mod:`validator.httpwire` (connecting
    only to addresses a network policy vetted, when there is one), or through aiohttp
    (:mod:`validator.httpaio`) when the environment names a proxy or a netrc file. Retries,
    redirects (one vetted hop at a time), ``Retry-After``, size caps and messages are this
    class's, whichever carries them.
    """

    #: ``get(key, max_bytes=...)`` overrides the size cap (for consolidated metadata).
    accepts_max_bytes = True

    def __init__(
        self,
        base_url: str,
        options: Options,
        *,
        policy: NetworkPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        host_limits: HostLimits | None = None,
    ) -> None:
        #: Shared with other walks (a service's jobs): a cap on requests in flight per host.
        self.host_limits = host_limits
        # A query (a token: ``?token=...``) is kept on every document read, after the key;
        # a fragment means nothing to a server and is dropped.
        parts = urlsplit(base_url)
        self.query = parts.query
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")
                                   ).rstrip("/") + "/"
        self.options = options
        self.policy = policy
        self.stats = StoreStats()
        self._headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._transport: Transport | None = None
        self._paused_until = 0.0  # monotonic time before which no request is sent

    def url(self, key: str) -> str:
        return self.base_url + key + (f"?{self.query}" if self.query else "")

    def _client(self) -> Transport:
        if self._transport is None:
            if self.policy is None and _env_matters():
                # A proxy or netrc credentials in the environment: aiohttp knows them.
                from validator.httpaio import AiohttpTransport

                self._transport = AiohttpTransport(
                    limit=self.options.concurrency, timeout=self.options.timeout,
                    headers=self._headers, trust_env=True, resolver=None)
            else:
                self._transport = WirePool(
                    limit=self.options.concurrency, headers=self._headers,
                    lookup=self.policy.lookup if self.policy is not None else None)
        return self._transport

    async def close(self) -> None:
        if self._transport is not None:
            await self._transport.close()
            self._transport = None

    async def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        cap = self.options.max_document_bytes if max_bytes is None else max_bytes
        got = await self._fetch(self.url(key), cap, None)
        return None if got is None else got[0]

    async def get_range(self, url: str, byte_range: str, cap: int) -> tuple[bytes, int] | None:
        """``(bytes, total size)`` of ``byte_range`` (an HTTP ``Range`` value such as
        ``bytes=-100`` or ``bytes=0-99``) of ``url``; ``None`` when it does not exist.

        Same retries, redirects, network policy and size cap (``cap``) as :meth:`get`. A
        server that ignores ``Range`` answers the whole object (within ``cap``): the total
        size is then its length, and the caller sees more bytes than it asked for.
        """
        return await self._fetch(url, cap, byte_range)

    async def _fetch(self, url: str, cap: int,
                     byte_range: str | None) -> tuple[bytes, int] | None:
        attempt = 0
        while True:
            # A Retry-After pauses every request to this server, not only the one it answered.
            if self._paused_until:
                pause = self._paused_until - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
            progress = Progress()
            try:
                if self.host_limits is None:
                    # asyncio.timeout, not wait_for: no extra task per request.
                    async with asyncio.timeout(self.options.timeout):
                        return await self._get_once(url, cap, byte_range, progress)
                # The wait for a shared host slot is not part of the request's timeout.
                async with self.host_limits.slot(url):
                    async with asyncio.timeout(self.options.timeout):
                        return await self._get_once(url, cap, byte_range, progress)
            except _Retry as retry:
                if attempt >= self.options.retries:
                    raise FetchError(
                        f"{retry.reason} from {url} after {attempt + 1} tries"
                    ) from None
                if retry.after is not None:
                    self._paused_until = max(self._paused_until, time.monotonic() + retry.after)
                    delay = 0.0  # the pause above waits
                else:
                    delay = _backoff(attempt)
                attempt += 1
                await asyncio.sleep(delay)
            except TimeoutError:
                # Only what may change is tried again: a server that sent part of a body and
                # then stalled (a drip) is as slow the next time.
                if progress.received or attempt >= self.options.retries:
                    raise FetchError(
                        f"timed out after {self.options.timeout:g} s reading {url}"
                        + (f" ({progress.received} bytes received)" if progress.received else "")
                    ) from None
                attempt += 1
                await asyncio.sleep(_backoff(attempt))
            except WireError as exc:
                if progress.received:
                    # A reset or a short body after the first byte: deterministic corruption
                    # (a truncated object, a broken proxy), not a transient; no retry.
                    raise FetchError(f"could not read {url}: the body was cut off after "
                                     f"{progress.received} bytes ({exc})") from None
                if attempt >= self.options.retries:
                    raise FetchError(f"could not read {url}: {exc}") from None
                attempt += 1
                await asyncio.sleep(_backoff(attempt))

    async def _get_once(self, url: str, cap: int, byte_range: str | None,
                        progress: Progress) -> tuple[bytes, int] | None:
        transport = self._client()
        # Ranges count bytes of the stored object: no content coding in between.
        headers = None if byte_range is None else {"Range": byte_range,
                                                   "Accept-Encoding": "identity"}
        for _hop in range(MAX_REDIRECTS + 1):
            if self.policy is not None:
                self.policy.check_url(url)
            self.stats.requests += 1
            try:
                reply = await transport.get(url, headers, cap=cap, progress=progress)
            except BodyTooLarge as exc:
                raise DocumentTooLarge(
                    f"{url} is larger than the limit of {cap} bytes" if exc.declared is None
                    else f"{url} is {exc.declared} bytes; the limit is {cap}") from None
            status = reply.status
            if status in (301, 302, 303, 307, 308):
                location = reply.header("Location")
                if not location:
                    raise FetchError(f"redirect without Location from {url}")
                url = urljoin(url, location)
                continue
            if status in (404, 410):
                return None
            if status in (401, 403):
                # Object stores answer 403 for a missing key when listing is not allowed.
                raise FetchError(f"HTTP {status} (access denied) for {url}")
            if status in RETRY_STATUSES:
                self.stats.throttled += status in (429, 503)
                raise _Retry(f"HTTP {status}", _retry_after(reply.header("Retry-After")))
            self.stats.bytes += len(reply.body)
            if status == 206 and byte_range is not None:
                return reply.body, _range_total(reply.header("Content-Range"), url)
            if status != 200:
                raise FetchError(f"HTTP {status} for {url}")
            return reply.body, len(reply.body)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    async def peek(self) -> Peek:
        """GET the target URL itself (as given, without the trailing slash): its status, media
        type and first bytes. Redirects are followed one hop at a time, vetted like reads."""
        url = self.base_url.rstrip("/")
        transport = self._client()
        async with asyncio.timeout(self.options.timeout):
            for _hop in range(MAX_REDIRECTS + 1):
                if self.policy is not None:
                    self.policy.check_url(url)
                self.stats.requests += 1
                try:
                    reply = await transport.get(url, cap=PEEK_BYTES, truncate=True)
                except WireError as exc:
                    raise FetchError(f"could not read {url}: {exc}") from None
                location = reply.header("Location")
                if reply.status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    continue
                self.stats.bytes += len(reply.body)
                return Peek(url, reply.status, "file" if reply.status == 200 else "",
                            reply.header("Content-Type") or "", reply.body,
                            reply.content_length)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _range_total(content_range: str | None, url: str) -> int:
    """The total size in a ``Content-Range: bytes a-b/total`` header."""
    total = (content_range or "").rpartition("/")[2].strip()
    if not total.isdigit():
        raise FetchError(f"no usable Content-Range ({content_range!r}) in a partial answer "
                         f"from {url}")
    return int(total)


@dataclass(frozen=True, slots=True)
class Peek:
    """What is at a target itself, for saying what was found when it is not a Zarr hierarchy:
    ``status`` (HTTP status, or ``None`` elsewhere), ``kind`` ("file", "directory", "missing",
    or "" when unknown), the media type when given, and the first bytes."""

    url: str
    status: int | None = None
    kind: str = ""
    content_type: str = ""
    head: bytes = b""
    size: int | None = None


#: Bytes of a target read to tell what it is (zip signature, HTML, JSON).
PEEK_BYTES = 512


async def peek(store: Store) -> Peek | None:
    """What is at the target of ``store`` (one request), or ``None`` when the store cannot
    tell. Only called once the target turned out not to be a Zarr hierarchy."""
    looker = getattr(store, "peek", None)
    if looker is None:
        return None
    try:
        result: Peek = await looker()
    except (FetchError, OSError, TimeoutError):
        return None
    return result


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class FsspecStore:
    """Read objects through an fsspec filesystem below ``root``."""

    #: ``get(key, max_bytes=...)`` overrides the size cap (for consolidated metadata).
    accepts_max_bytes = True

    def __init__(self, fs: Any, root: str, options: Options, display: str | None = None) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.options = options
        self.stats = StoreStats()
        self._display = (display or root).rstrip("/")
        self._async = bool(getattr(fs, "async_impl", False))
        # Local files are read in place: a thread per read costs ~0.2 ms of CPU, seven times
        # the read. A read that takes long (a network file system) switches to threads.
        self._local = type(fs).__name__ == "LocalFileSystem" and not self._async
        self._inline = self._local

    def url(self, key: str) -> str:
        return f"{self._display}/{key}"

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}" if self.root else key

    async def close(self) -> None:
        # Async filesystems hold an HTTP session bound to our loop: close it with the loop.
        client = getattr(self.fs, "_s3", None) or getattr(self.fs, "_session", None)
        closer = getattr(client, "close", None)
        if closer is not None and self._async:
            result = closer()
            if asyncio.iscoroutine(result):
                await result

    async def peek(self) -> Peek:
        """Whether the root is a file (and its first bytes), a directory, or missing."""

        def look() -> Peek:
            fs, root, url = self.fs, self.root, self._display
            if fs.isfile(root):
                return Peek(url, kind="file", head=fs.cat_file(root, start=0, end=PEEK_BYTES),
                            size=fs.size(root))
            return Peek(url, kind="directory" if fs.isdir(root) else "missing")

        if self._async:
            # Async filesystems (s3, gcs, http) answer through their coroutine methods.
            fs = self.fs
            if await fs._isfile(self.root):
                head = await fs._cat_file(self.root, start=0, end=PEEK_BYTES)
                return Peek(self._display, kind="file", head=head)
            kind = "directory" if await fs._isdir(self.root) else "missing"
            return Peek(self._display, kind=kind)
        return await asyncio.wait_for(asyncio.to_thread(look), self.options.timeout)

    async def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        path = self._path(key)
        cap = self.options.max_document_bytes if max_bytes is None else max_bytes
        self.stats.requests += 1
        try:
            if self._async:
                coro = self.fs._cat_file(path, start=0, end=cap + 1)
                data: bytes = await asyncio.wait_for(coro, self.options.timeout)
            elif self._inline:
                started = time.monotonic()
                data = _read_local(path, cap + 1)
                if time.monotonic() - started > SLOW_LOCAL_READ:
                    self._inline = False
            elif self._local:
                data = await asyncio.wait_for(asyncio.to_thread(_read_local, path, cap + 1),
                                              self.options.timeout)
            else:
                data = await asyncio.wait_for(
                    asyncio.to_thread(self.fs.cat_file, path, start=0, end=cap + 1),
                    self.options.timeout,
                )
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except TimeoutError:
            raise FetchError(
                f"timed out after {self.options.timeout:g} s reading {self.url(key)}"
            ) from None
        except PermissionError as exc:
            raise FetchError(f"access denied to {self.url(key)}: {exc}") from None
        except OSError as exc:
            raise FetchError(f"could not read {self.url(key)}: {exc}") from None
        self.stats.bytes += len(data)
        if len(data) > cap:
            raise DocumentTooLarge(f"{self.url(key)} is larger than the limit of {cap} bytes")
        return data


#: A local read slower than this (seconds) means a network file system: read in threads.
SLOW_LOCAL_READ = 0.002


def _read_local(path: str, size: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(size)


class MappingStore:
    """Read objects from a mapping: an fsspec mapper, a dict, or a zarr-python v3 store."""

    #: ``get(key, max_bytes=...)`` overrides the size cap (for consolidated metadata).
    accepts_max_bytes = True

    def __init__(self, mapping: Any, prefix: str, options: Options, display: str) -> None:
        self.mapping = mapping
        self.prefix = prefix.strip("/")
        self.options = options
        self.stats = StoreStats()
        self._display = display

    def url(self, key: str) -> str:
        return f"{self._display}/{key}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def close(self) -> None:
        return None

    async def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        self.stats.requests += 1
        cap = self.options.max_document_bytes if max_bytes is None else max_bytes
        full = self._key(key)
        try:
            if hasattr(self.mapping, "get") and hasattr(self.mapping, "supports_listing"):
                # zarr-python v3 store: async get(key, prototype) -> Buffer | None
                from zarr.core.buffer import default_buffer_prototype

                buffer = await self.mapping.get(full, prototype=default_buffer_prototype())
                data = None if buffer is None else bytes(buffer.to_bytes())
            else:
                value = await asyncio.to_thread(_mapping_get, self.mapping, full)
                data = None if value is None else bytes(value)
        except (FileNotFoundError, KeyError):
            return None
        except OSError as exc:
            raise FetchError(f"could not read {self.url(key)}: {exc}") from None
        if data is None:
            return None
        self.stats.bytes += len(data)
        if len(data) > cap:
            raise DocumentTooLarge(f"{self.url(key)} is larger than the limit of {cap}")
        return data


def _mapping_get(mapping: Any, key: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        return None


def describe_target(target: Any) -> str:
    if isinstance(target, str):
        return target
    for attr in ("root", "path"):
        value = getattr(target, attr, None)
        if isinstance(value, str):
            return value
    return type(target).__name__


def open_store(target: Any, options: Options, policy: NetworkPolicy | None = None, *,
               host_limits: HostLimits | None = None) -> Store:
    """Make a store for ``target``: a URL, a local path, an fsspec mapper or a zarr Group.

    ``host_limits``: a per-host cap on requests in flight shared with other walks (http(s))."""
    if isinstance(target, str):
        return _open_url(target, options, policy, host_limits)
    if hasattr(target, "fs") and hasattr(target, "root"):  # fsspec FSMap
        return FsspecStore(target.fs, target.root, options, display=str(target.root))
    store = getattr(target, "store", None)
    if store is not None and hasattr(target, "attrs"):  # zarr Group
        return MappingStore(store, getattr(target, "path", ""), options, repr(store))
    if isinstance(target, Mapping):
        return MappingStore(target, "", options, "<mapping>")
    raise CouldNotValidate(f"cannot validate a {type(target).__name__}: give a URL or path")


#: Query parameters of URLs signed for one object (S3 and GCS V4 signatures, GCS/CloudFront
#: legacy ones). A validator reads many objects below the URL; such a signature covers one.
_SIGNATURE_PARAMS = ("x-amz-signature", "x-goog-signature", "signature")


def signed_url_reason(url: str) -> str | None:
    """Why ``url`` cannot be validated when it is signed for one object, else ``None``.

    Other queries (a token valid for every object below a prefix, an Azure container SAS) are
    kept on every document read (see :class:`HttpStore`)."""
    try:
        names = {name.lower() for name, _ in parse_qsl(urlsplit(url).query,
                                                        keep_blank_values=True)}
    except ValueError:
        return None
    found = [p for p in _SIGNATURE_PARAMS if p in names]
    if not found:
        return None
    return (f"the URL is signed for one object (its query has {found[0]}): validating reads "
            "many documents below it (zarr.json or .zattrs of every group and array), each "
            "needing its own signature. Signed per-object URLs are not supported; give a "
            "public URL, a URL whose token covers the whole prefix, or an s3:// or gs:// URL "
            "with credentials (--storage-option)")


def _open_url(target: str, options: Options, policy: NetworkPolicy | None,
              host_limits: HostLimits | None = None) -> Store:
    scheme = urlsplit(target).scheme.lower() if "://" in target else ""
    if scheme in ("http", "https"):
        signed = signed_url_reason(target)
        if signed is not None:
            raise CouldNotValidate(signed)
        if policy is not None:
            try:
                policy.check_url(target)
            except FetchRefused as exc:
                raise CouldNotValidate(str(exc)) from None
        return HttpStore(target, options, policy=policy, host_limits=host_limits)
    if policy is not None:
        try:
            policy.check_url(target)
        except FetchRefused as exc:
            raise CouldNotValidate(str(exc)) from None
    import fsspec

    kwargs = dict(options.storage_options)
    try:
        cls = fsspec.get_filesystem_class(scheme or "file")
        if getattr(cls, "async_impl", False):
            # Run the filesystem on our own event loop, and never share a cached instance
            # whose session belongs to another loop.
            kwargs.setdefault("asynchronous", True)
            kwargs["skip_instance_cache"] = True
        fs, root = fsspec.core.url_to_fs(target, **kwargs)
    except (ImportError, ValueError, TypeError) as exc:
        raise CouldNotValidate(f"cannot open {target}: {exc}") from None
    return FsspecStore(fs, root, options, display=target.rstrip("/"))
