"""A lean HTTP/1.1 client for the walk's many small GETs.

A metadata walk of a plate sends thousands of GETs for documents of a few KiB each, 128 at a
time, and is bound by the client's CPU, not by the network: aiohttp's request path (yarl
URLs, multidicts, trace hooks, response objects, stream readers) costs about 0.15 ms of CPU
per request, several times what this does. Here a request is one ``transport.write`` on a
kept-alive connection and the response is parsed in C by ``httptools`` (llhttp, the parser
uvicorn uses) as it arrives, straight into a :class:`Reply`.

It does only what the store needs (see :class:`validator.stores.HttpStore`): plain GETs, no
redirects (the store follows them one hop at a time, vetting each), no cookies, gzip/deflate
decoded with a cap on the decoded size. With a network policy (the service's SSRF defence) it
connects only to the addresses the policy's lookup vetted. Proxies and netrc credentials are
left to aiohttp.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import socket
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import httptools

if TYPE_CHECKING:  # ssl itself is imported for the first https connection
    import ssl

#: Bytes of a body kept when the answer is not the document (a 404 page, an error page):
#: beyond this the connection is closed rather than read to its end.
DISCARD_LIMIT = 64 * 1024

#: Answers whose body is the object asked for (the others are read only to reuse the
#: connection).
BODY_STATUSES = frozenset({200, 206})

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a path or a query may carry as they are; anything else is percent-encoded.
# "%" is kept so that what is already encoded stays so; a "%" that starts no escape is fixed
# by _LONE_PERCENT.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# What a URL's origin is (scheme and authority), and the rest up to a fragment.
_ORIGIN_AND_REST = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)([^#]*)")
# A request target that needs no encoding: only characters sent as they are, and no "%".
_PLAIN_TARGET = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~?-]*")


#: ``await lookup(host, port)``: the addresses to connect to (a network policy's, vetted).
Lookup = Callable[[str, int], Awaitable[Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address]]]


class WireError(OSError):
    """The connection failed, or the server broke HTTP (what aiohttp calls a client error)."""


class BodyTooLarge(Exception):
    """The body is larger than the cap: ``declared`` is the announced length, when known."""

    def __init__(self, declared: int | None) -> None:
        super().__init__(declared)
        self.declared = declared


class _Stale(Exception):
    """A kept-alive connection the server had closed: nothing of the answer arrived."""


@dataclass(slots=True)
class Progress:
    """Bytes of the body received so far (0: nothing yet, a retry may help)."""

    received: int = 0


@dataclass(slots=True)
class Reply:
    """One answer: its status, its headers (names in lower case) and, for 200 and 206, its
    body (decoded); ``truncated`` when only the first bytes were asked for."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length", "")
        return int(value) if value.isdigit() else None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests to ``scheme://host:port`` go, and what each carries: the ``Host`` header
    (``shown``) and, for credentials in the URL (``user:password@``), an Authorization line."""

    scheme: str
    host: str
    port: int
    shown: str
    auth: str = ""


def parse_origin(origin: str) -> Origin:
    """The :class:`Origin` of ``scheme://[user:password@]host[:port]``."""
    try:
        parts = urlsplit(origin)
        scheme, host, port = parts.scheme.lower(), parts.hostname or "", parts.port
    except ValueError as exc:
        raise WireError(f"not a valid URL: {origin} ({exc})") from None
    if not host or scheme not in _DEFAULT_PORTS:
        raise WireError(f"not an http(s) URL: {origin}")
    port = port or _DEFAULT_PORTS[scheme]
    try:
        host.encode("ascii")
        wire_host = host
    except UnicodeEncodeError:
        wire_host = host.encode("idna").decode("ascii")
    shown = f"[{wire_host}]" if ":" in wire_host else wire_host
    if port != _DEFAULT_PORTS[scheme]:
        shown += f":{port}"
    auth = ""
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = f"Authorization: Basic {base64.b64encode(pair.encode()).decode('ascii')}\r\n"
    return Origin(scheme, wire_host, port, shown, auth)


def split_url(url: str) -> tuple[str, str]:
    """``(origin, request target)`` of a URL: the target percent-encoded where it must be
    (a browser's rules: what is already encoded stays so), without the fragment."""
    match = _ORIGIN_AND_REST.match(url)
    if match is None:
        raise WireError(f"not an http(s) URL: {url}")
    origin, rest = match.group(1), match.group(2)
    if not rest.startswith("/"):
        rest = "/" + rest
    if _PLAIN_TARGET.fullmatch(rest) is None:  # rare: most keys need no encoding
        path, mark, query = rest.partition("?")
        rest = _LONE_PERCENT.sub("%25", quote(path, safe=_SAFE_PATH))
        if mark:
            rest += "?" + _LONE_PERCENT.sub("%25", quote(query, safe=_SAFE_QUERY))
    return origin, rest


def request_target(url: str) -> tuple[str, str, int, str, str]:
    """``(scheme, host, port, Host header, request target)`` of an http(s) URL."""
    origin, target = split_url(url)
    found = parse_origin(origin)
    return found.scheme, found.host, found.port, found.shown, target


class _Connection(asyncio.Protocol):
    """One kept-alive connection: one exchange at a time, parsed as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._aborted = False  # closed by us: not a server's idle timeout
        self.reused = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Reply] | None = None
        self._chunks: list[bytes] = []
        self._decoder: Any = None
        self._begin(0, False, Progress())

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            # Bytes nobody asked for (a body longer than announced): the stream can no
            # longer be trusted to start with the next answer.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            pass  # a callback finished the exchange (a cap); it has already answered
        except httptools.HttpParserError as exc:
            self._fail(WireError(f"invalid HTTP response: {exc}"))
        except httptools.HttpParserUpgrade:
            self._fail(WireError("the server switched protocols"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and self._reads_to_close():
            self._finish()  # an answer without a length ends where the connection does
        elif self._aborted:
            waiter.set_exception(WireError("the client closed the connection"))
        elif not self._headers_done and self._progress.received == 0 and not self._reply.status:
            waiter.set_exception(_Stale() if self.reused else WireError(
                f"the server closed the connection before answering ({exc or 'EOF'})"))
        else:
            waiter.set_exception(WireError(
                f"the connection closed after {self._progress.received} bytes of the body"
                f" ({exc or 'EOF'})"))

    # -- httptools callbacks ---------------------------------------------------------------
    def on_message_begin(self) -> None:
        if self._waiter is None or self._waiter.done():
            # A second answer to one request (a body longer than announced, pipelined
            # junk): the reply given out must not change, and the stream is not trusted.
            self.close()
            raise httptools.HttpParserCallbackError()

    def on_status(self, status: bytes) -> None:
        self._reply.status = self._parser.get_status_code()

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers = self._reply.headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        self._headers_done = True
        reply = self._reply
        reply.status = self._parser.get_status_code()
        self._keep = reply.status in BODY_STATUSES
        if not self._keep:
            self._cap = DISCARD_LIMIT
            return
        coding = reply.headers.get("content-encoding", "identity").strip().lower()
        if coding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._decoder = _Deflate()
        elif coding not in ("identity", ""):
            self._fail(WireError(f"unsupported Content-Encoding {coding!r}"))
            raise httptools.HttpParserCallbackError()
        declared = reply.content_length
        if (not self._truncate and self._decoder is None and declared is not None
                and declared > self._cap):
            self._fail(BodyTooLarge(declared))
            raise httptools.HttpParserCallbackError()

    def on_body(self, body: bytes) -> None:
        if self._decoder is not None and self._keep:
            try:
                # Never decode more than the cap allows: a gzip bomb stops here.
                body = self._decoder.decompress(body, self._cap - self._size + 1)
            except zlib.error as exc:
                coding = self._reply.header("content-encoding")
                self._fail(WireError(f"could not decode the {coding} body: {exc}"))
                raise httptools.HttpParserCallbackError() from None
            if self._decoder.unconsumed_tail:
                body += b"\0"  # more than the cap: counted as such below
        self._size += len(body)
        self._progress.received = self._size
        if self._size > self._cap:
            if not self._keep:
                self.close()  # a long error page: not worth reading to reuse the connection
                self._finish()
            elif self._truncate:
                self._chunks.append(body)
                self._reply.truncated = True
                self.close()
                self._finish()
            else:
                self._fail(BodyTooLarge(None))
            raise httptools.HttpParserCallbackError()
        if self._keep:
            self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._parser.should_keep_alive():
            self.close()
        self._finish()

    # -- the exchange ----------------------------------------------------------------------
    async def exchange(self, request: bytes, cap: int, truncate: bool,
                       progress: Progress) -> Reply:
        assert self.transport is not None
        self._begin(cap, truncate, progress)
        self._waiter = self.loop.create_future()
        self.transport.write(request)
        return await self._waiter

    def _begin(self, cap: int, truncate: bool, progress: Progress) -> None:
        """The state of a new exchange: nothing of an answer received yet."""
        self._reply = Reply(0)
        self._chunks = []
        self._size = 0
        self._cap = cap
        self._truncate = truncate
        self._keep = False  # whether the body is the answer's (200, 206), set by the headers
        self._decoder = None
        self._headers_done = False
        self._progress = progress

    def _reads_to_close(self) -> bool:
        headers = self._reply.headers
        return "content-length" not in headers and "chunked" not in headers.get(
            "transfer-encoding", "").lower()

    def _finish(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        reply = self._reply
        if self._keep:
            if self._decoder is not None and not reply.truncated:
                self._chunks.append(self._decoder.flush())
            reply.body = b"".join(self._chunks)
            if reply.truncated:
                reply.body = reply.body[:self._cap]
        self._chunks = []
        waiter.set_result(reply)

    def _fail(self, exc: BaseException) -> None:
        self.close()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    @property
    def idle(self) -> bool:
        return not self.closed and (self._waiter is None or self._waiter.done())

    def close(self) -> None:
        self.closed = True
        self._aborted = True
        if self.transport is not None:
            # abort, not close: nothing is left to send (an exchange is over, or broken), and
            # a TLS close would wait for the peer's close_notify, outliving the event loop
            # and leaking its socket.
            self.transport.abort()


class _Deflate:
    """HTTP's "deflate" is zlib-wrapped, but some servers send it raw: try both."""

    def __init__(self) -> None:
        self._inner: Any = None
        self._first = b""

    @property
    def unconsumed_tail(self) -> bytes:
        return b"" if self._inner is None else bytes(self._inner.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._first += data
            if len(self._first) < 2:
                return b""
            raw = (self._first[0] & 0x0F) != 8 or ((self._first[0] << 8) | self._first[1]) % 31
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
            data, self._first = self._first, b""
        out: bytes = self._inner.decompress(data, max_length)
        return out

    def flush(self) -> bytes:
        return b"" if self._inner is None else bytes(self._inner.flush())


class WirePool:
    """Kept-alive connections to the servers of one store, at most ``limit`` in use at once.

    Each host name is looked up once (the walk talks to one or two hosts); connections are
    made on demand and kept for the next request to the same host."""

    def __init__(self, *, limit: int, headers: Mapping[str, str],
                 lookup: Lookup | None = None) -> None:
        #: The network policy's lookup (vetted addresses only), else the system's resolver.
        self._vetted = lookup
        self._slots = asyncio.Semaphore(limit)
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._all: set[_Connection] = set()
        self._addresses: dict[tuple[str, int], list[Any]] = {}
        self._lookups: dict[tuple[str, int], asyncio.Future[list[Any]]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._closed = False
        self._origins: dict[str, Origin] = {}
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in headers.items())

    async def get(self, url: str, headers: Mapping[str, str] | None = None, *, cap: int,
                  truncate: bool = False, progress: Progress | None = None) -> Reply:
        """GET ``url``: the answer, with the body of a 200 or 206 (at most ``cap`` bytes
        decoded, else :class:`BodyTooLarge`; with ``truncate`` the first ``cap`` bytes)."""
        origin_text, target = split_url(url)
        origin = self._origins.get(origin_text)
        if origin is None:
            origin = self._origins[origin_text] = parse_origin(origin_text)
        scheme, host, port = origin.scheme, origin.host, origin.port
        if headers:
            extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            if "accept-encoding" not in extra.lower():
                extra += "Accept-Encoding: gzip, deflate\r\n"
        else:
            extra = "Accept-Encoding: gzip, deflate\r\n"
        request = (f"GET {target} HTTP/1.1\r\nHost: {origin.shown}\r\n{self._fixed}"
                   f"{origin.auth}{extra}\r\n").encode("latin-1")
        key = (scheme, host, port)
        progress = progress if progress is not None else Progress()
        async with self._slots:
            conn = self._take_idle(key)
            if conn is None:
                conn = await self._connect(scheme, host, port)
            try:
                try:
                    reply = await conn.exchange(request, cap, truncate, progress)
                except _Stale:
                    # The server had closed the kept-alive connection (an idle timeout)
                    # before it saw the request: a GET is safe to send again, once.
                    conn = await self._connect(scheme, host, port)
                    reply = await conn.exchange(request, cap, truncate, progress)
            except BaseException:
                conn.close()
                self._all.discard(conn)
                raise
            if conn.idle:
                conn.reused = True
                self._idle.setdefault(key, []).append(conn)
            else:
                self._all.discard(conn)
            return reply

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.idle and conn.transport is not None and not conn.transport.is_closing():
                return conn
            self._all.discard(conn)
        return None

    async def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        if self._closed:
            # A request still running when its store was closed: no new connection (it
            # would outlive the pool, unclosed).
            raise WireError("the client is closed")
        loop = asyncio.get_running_loop()
        context = self._ssl_context() if scheme == "https" else None
        errors: list[str] = []
        for family, address in await self._resolve(host, port):
            try:
                _, conn = await loop.create_connection(
                    lambda: _Connection(loop), host=address[0], port=address[1],
                    family=family, ssl=context,
                    server_hostname=host if context is not None else None)
            except OSError as exc:  # ssl.SSLError included
                errors.append(f"{address[0]}: {exc}")
                continue
            if self._closed:
                conn.close()
                raise WireError("the client is closed")
            self._all.add(conn)
            return conn
        raise WireError(f"cannot connect to {host}:{port}: {'; '.join(errors) or 'no address'}")

    async def _resolve(self, host: str, port: int) -> list[Any]:
        key = (host, port)
        found = self._addresses.get(key)
        if found is not None:
            return found
        pending = self._lookups.get(key)
        if pending is None:
            # One lookup per host however many connections open at once.
            pending = asyncio.ensure_future(self._lookup(host, port))
            self._lookups[key] = pending
        try:
            found = await asyncio.shield(pending)
        finally:
            if pending.done():
                self._lookups.pop(key, None)
        self._addresses[key] = found
        return found

    async def _lookup(self, host: str, port: int) -> list[Any]:
        if self._vetted is not None:
            # Connect to exactly the addresses the policy vetted: no second lookup for a
            # rebinding DNS server to answer differently. Refusals (FetchRefused) go through.
            return [(socket.AF_INET if ip.version == 4 else socket.AF_INET6, (str(ip), port))
                    for ip in await self._vetted(host, port)]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise WireError(f"cannot resolve {host}: {exc}") from None
        return [(family, sockaddr[:2]) for family, _t, _p, _c, sockaddr in infos]

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            import ssl

            self._ssl = ssl.create_default_context()  # ~20 ms: only made for https
        return self._ssl

    async def close(self) -> None:
        self._closed = True
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._idle.clear()
        for pending in self._lookups.values():
            pending.cancel()
        # Let the transports' connection_lost callbacks run: their sockets close there (a
        # TLS transport's one step later than its socket's).
        await asyncio.sleep(0)
        await asyncio.sleep(0)
