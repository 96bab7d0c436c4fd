"""validator.httpwire: the lean HTTP/1.1 client of the walk, against a raw HTTP server on
127.0.0.1 that answers each request with the bytes a test gives (so that it can break HTTP
the ways real servers and proxies do), and HttpStore's choice of transport."""

from __future__ import annotations

import asyncio
import base64
import datetime
import gzip
import ipaddress
import ssl
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from validator.httpwire import BodyTooLarge, Progress, WireError, WirePool, request_target
from validator.options import Options
from validator.stores import HttpStore

#: What a test's server does with a request: the raw answer, and whether to close afterwards;
#: ``None``: close the connection without answering.
Answer = tuple[bytes, bool] | None


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None,
             *, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    all_headers = {"Content-Length": str(len(body) if length is None else length)}
    all_headers.update(headers or {})
    lines += [f"{k}: {v}" for k, v in all_headers.items() if v != ""]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class RawServer:
    answer: Callable[[str, dict[str, str]], Answer]
    connections: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in
                           (h.partition(":") for h in rest if h)}
                target = line.split(" ")[1]
                self.requests.append((target, headers))
                answer = self.answer(target, headers)
                if answer is None:
                    break
                data, close = answer
                writer.write(data)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[str, dict[str, str]], Answer]], RawServer]]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    servers: list[asyncio.Server] = []

    def start(answer: Callable[[str, dict[str, str]], Answer],
              tls: ssl.SSLContext | None = None) -> RawServer:
        raw = RawServer(answer)
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(raw.handle, "127.0.0.1", 0, ssl=tls), loop).result(10)
        servers.append(server)
        raw.port = server.sockets[0].getsockname()[1]
        return raw

    yield start

    async def stop() -> None:
        for server in servers:
            server.close()
            await server.wait_closed()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def fetch(url: str, *, cap: int = 1 << 20, truncate: bool = False, limit: int = 8,
          count: int = 1) -> list[object]:
    """GET ``url`` ``count`` times (concurrently) through one pool: replies or exceptions."""

    async def main() -> list[object]:
        pool = WirePool(limit=limit, headers={"User-Agent": "test"})
        try:
            return list(await asyncio.gather(
                *(pool.get(url, cap=cap, truncate=truncate) for _ in range(count)),
                return_exceptions=True))
        finally:
            await pool.close()

    return asyncio.run(main())


def test_connections_are_kept_alive_and_reused(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda target, h: (response(200, target.encode()), False))
    replies = fetch(server.url("a/zarr.json"), count=40, limit=4)
    assert [r.body for r in replies] == [b"/a/zarr.json"] * 40  # type: ignore[attr-defined]
    assert server.connections <= 4
    assert server.requests[0][1]["host"] == f"127.0.0.1:{server.port}"
    assert server.requests[0][1]["user-agent"] == "test"
    assert server.requests[0][1]["accept-encoding"] == "gzip, deflate"


def test_a_connection_the_server_closed_while_idle_is_replaced_once(
        raw_server: Callable[..., RawServer]) -> None:
    # The server answers once per connection, then closes it when the next request comes
    # without answering (an idle timeout racing the request): the client sends it again on
    # a new connection, and nothing is lost.
    seen: dict[int, int] = {}

    def answer(target: str, headers: dict[str, str]) -> Answer:
        n = len(seen)
        seen[n] = 1
        return (response(200, b"ok"), False) if n % 2 == 0 else None

    server = raw_server(answer)

    async def main() -> list[bytes]:
        pool = WirePool(limit=1, headers={})
        try:
            return [(await pool.get(server.url("x"), cap=100)).body for _ in range(3)]
        finally:
            await pool.close()

    assert asyncio.run(main()) == [b"ok"] * 3
    assert server.connections == 3


def test_chunked_gzip_and_deflate_bodies_are_decoded(raw_server: Callable[..., RawServer]
                                                     ) -> None:
    doc = b'{"zarr_format": 3}' * 50
    deflated = zlib.compress(doc)
    raw = zlib.compressobj(wbits=-15)
    raw_deflated = raw.compress(doc) + raw.flush()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(doc[i:i + 100]), doc[i:i + 100])
                       for i in range(0, len(doc), 100)) + b"0\r\n\r\n"
    bodies = {
        "/gzip": response(200, gzip.compress(doc), {"Content-Encoding": "gzip"}),
        "/deflate": response(200, deflated, {"Content-Encoding": "deflate"}),
        "/raw-deflate": response(200, raw_deflated, {"Content-Encoding": "deflate"}),
        "/chunked": response(200, chunked, {"Transfer-Encoding": "chunked",
                                            "Content-Length": ""}),
    }
    server = raw_server(lambda target, h: (bodies[target], False))
    for path in bodies:
        (reply,) = fetch(server.url(path))
        assert reply.body == doc, path  # type: ignore[attr-defined]


def test_caps_stop_bombs_liars_and_long_error_pages(raw_server: Callable[..., RawServer]
                                                    ) -> None:
    bomb = gzip.compress(b"\0" * (8 << 20))
    answers = {
        "/bomb": response(200, bomb, {"Content-Encoding": "gzip"}),
        "/announced": response(200, b"x" * 2000),
        "/unannounced": b"HTTP/1.1 200 X\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n"
        + b"x" * 2000 + b"\r\n0\r\n\r\n",
        "/404": response(404, b"<html>" + b"x" * (1 << 20)),
    }
    server = raw_server(lambda target, h: (answers[target], False))
    (bomb_error,) = fetch(server.url("bomb"), cap=1000)
    assert isinstance(bomb_error, BodyTooLarge) and bomb_error.declared is None
    (announced,) = fetch(server.url("announced"), cap=1000)
    assert isinstance(announced, BodyTooLarge) and announced.declared == 2000
    (unannounced,) = fetch(server.url("unannounced"), cap=1000)
    assert isinstance(unannounced, BodyTooLarge) and unannounced.declared is None
    (missing,) = fetch(server.url("404"), cap=1000)
    assert missing.status == 404 and missing.body == b""  # type: ignore[attr-defined]


def test_truncate_gives_the_first_bytes(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda target, h: (response(200, b"PK\x03\x04" + b"z" * 5000), False))
    (reply,) = fetch(server.url("archive.ozx"), cap=512, truncate=True)
    assert reply.truncated and reply.body == (b"PK\x03\x04" + b"z" * 5000)[:512]  # type: ignore[attr-defined]


def test_a_body_read_until_close(raw_server: Callable[..., RawServer]) -> None:
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}"
    server = raw_server(lambda target, h: (answer, True))
    (reply,) = fetch(server.url("zarr.json"))
    assert reply.body == b"{}" and reply.header("Content-Type") == "application/json"  # type: ignore[attr-defined]


def test_broken_answers_are_wire_errors(raw_server: Callable[..., RawServer]) -> None:
    answers: dict[str, Answer] = {
        "/garbage": (b"SSH-2.0-OpenSSH\r\n\r\n", True),
        "/short": (response(200, b"x" * 10, length=100), True),
        "/silent": None,
    }
    server = raw_server(lambda target, h: answers[target])
    for path, words in (("garbage", "invalid HTTP"), ("short", "after 10 bytes"),
                        ("silent", "before answering")):
        (error,) = fetch(server.url(path))
        assert isinstance(error, WireError) and words in str(error), (path, error)


def test_a_body_longer_than_announced_is_not_taken_for_the_next_answer(
        raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda target, h: (response(200, b"abcdef", length=3)
                                           + response(200, b"forged"), False))

    async def main() -> list[bytes]:
        pool = WirePool(limit=1, headers={})
        try:
            return [(await pool.get(server.url(f"d{i}"), cap=100)).body for i in range(2)]
        finally:
            await pool.close()

    assert asyncio.run(main()) == [b"abc", b"abc"]
    assert server.connections == 2


def test_refused_connections_are_wire_errors() -> None:
    (error,) = fetch("http://127.0.0.1:9/zarr.json")
    assert isinstance(error, WireError) and "cannot connect" in str(error)


@pytest.mark.parametrize(("url", "target", "host"), [
    ("http://h:8080/a b/ü/zarr.json?token=x y", "/a%20b/%C3%BC/zarr.json?token=x%20y", "h:8080"),
    ("https://h/a%20b/100%/zarr.json", "/a%20b/100%25/zarr.json", "h"),
    ("http://[::1]:81/x", "/x", "[::1]:81"),
    ("http://bücher.example/x", "/x", "xn--bcher-kva.example"),
    ("http://h?q=1#frag", "/?q=1", "h"),
    ("http://h/a/b#frag", "/a/b", "h"),
    # A line break in a key can never end the request line: it is encoded.
    ("http://h/a\r\nX-Injected: 1/zarr.json", "/a%0D%0AX-Injected:%201/zarr.json", "h"),
])
def test_request_targets_are_encoded_like_a_browser_would(url: str, target: str, host: str
                                                          ) -> None:
    _scheme, _host, _port, shown, got = request_target(url)
    assert (got, shown) == (target, host)


def test_the_store_uses_aiohttp_only_behind_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    from validator.httpaio import AiohttpTransport
    from validator.netsafe import SafeNetworkPolicy

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")
    assert isinstance(HttpStore("http://h/x", Options())._client(), WirePool)
    policed = HttpStore("http://h/x", Options(), policy=SafeNetworkPolicy())
    assert isinstance(policed._client(), WirePool)
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    assert isinstance(HttpStore("http://h/x", Options())._client(), AiohttpTransport)
    # A policy never goes through a proxy: the addresses it vets are the ones connected to.
    policed = HttpStore("http://h/x", Options(), policy=SafeNetworkPolicy())
    assert isinstance(policed._client(), WirePool)


def test_progress_counts_the_body(raw_server: Callable[..., RawServer]) -> None:
    server = raw_server(lambda target, h: (response(200, b"y" * 300), False))

    async def main() -> int:
        pool = WirePool(limit=1, headers={})
        progress = Progress()
        try:
            await pool.get(server.url("p"), cap=1000, progress=progress)
        finally:
            await pool.close()
        return progress.received

    assert asyncio.run(main()) == 300


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` and 127.0.0.1, signed by its own key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_verifies_the_certificate_and_keeps_connections(
        raw_server: Callable[..., RawServer], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = raw_server(lambda target, h: (response(200, b"secret"), False), tls)
    url = f"https://localhost:{server.port}/zarr.json"
    # Not trusted: the handshake fails, and says so.
    (error,) = fetch(url)
    assert isinstance(error, WireError) and "CERTIFICATE_VERIFY_FAILED" in str(error)
    # Trusted (OpenSSL reads SSL_CERT_FILE): the body, over kept-alive connections.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    replies = fetch(url, count=10, limit=2)
    assert [r.body for r in replies] == [b"secret"] * 10  # type: ignore[attr-defined]
    assert server.requests[-1][1]["host"] == f"localhost:{server.port}"


def test_closing_the_pool_ends_requests_in_flight_without_new_connections(
        raw_server: Callable[..., RawServer]) -> None:
    # "hang": the server reads the request and never answers.
    server = raw_server(lambda target, h: (response(200, b"ok") if target == "/fast" else b"",
                                           False))

    async def main() -> None:
        pool = WirePool(limit=2, headers={})
        await pool.get(server.url("fast"), cap=100)  # leaves a kept-alive connection
        hanging = asyncio.ensure_future(pool.get(server.url("hang"), cap=100))
        await asyncio.sleep(0.05)
        await pool.close()
        # Closed by us, not by the server: not taken for a stale connection to replace.
        with pytest.raises(WireError, match="client closed"):
            async with asyncio.timeout(5):
                await hanging
        with pytest.raises(WireError, match="client is closed"):
            await pool.get(server.url("fast"), cap=100)

    asyncio.run(main())
    assert server.connections == 1


def test_credentials_in_the_url_are_sent_as_basic_auth(raw_server: Callable[..., RawServer]
                                                       ) -> None:
    server = raw_server(lambda target, h: (response(200, b"{}"), False))
    (reply,) = fetch(f"http://reader:s%40cret@127.0.0.1:{server.port}/zarr.json")
    assert reply.status == 200  # type: ignore[attr-defined]
    sent = server.requests[0][1]
    assert sent["authorization"] == "Basic " + base64.b64encode(b"reader:s@cret").decode()
    assert sent["host"] == f"127.0.0.1:{server.port}"
