"""SSRF defence: a :class:`~validator.stores.NetworkPolicy` that only lets public URLs through.

The service (always) and the library or CLI (on request) pass a :class:`SafeNetworkPolicy` to
:func:`validator.avalidate`. It works in two places:

* :meth:`SafeNetworkPolicy.check_url` -- synchronous, no DNS -- runs before every request and
  every redirect hop (``HttpStore`` calls it). It allows only the ``http``, ``https``, ``s3`` and
  ``gs`` schemes, refuses user info (``http://user@host/``), ports other than 80, 443, 8080 and
  8443, malformed or ambiguous hosts (non-ASCII, ``%``-escapes, zone ids) and numeric hosts that
  are not a canonical dotted quad (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1`` -- the
  forms ``inet_aton`` would turn into 127.0.0.1), and vets IP literals at once.
* :meth:`SafeNetworkPolicy.lookup` -- the addresses of a host name, every one vetted. The HTTP
  client of ``HttpStore`` (:mod:`validator.httpwire`) asks it for the addresses of every host
  it connects to and connects to exactly what it returns, so the name is resolved once, every
  address is vetted (one bad address refuses the whole name: a name answering a public and a
  private address is refused), and there is no second lookup for an attacker's DNS to answer
  differently (no DNS rebinding). :meth:`SafeNetworkPolicy.resolver` offers the same as an
  aiohttp resolver, for code that fetches with aiohttp.

Addresses refused: loopback, private (RFC 1918, ULA), link-local (incl. 169.254.169.254, the
cloud metadata endpoint), CGNAT 100.64.0.0/10, multicast, reserved, unspecified, anything else
not globally reachable, and IPv6 forms embedding an IPv4 address (IPv4-mapped, IPv4-compatible,
6to4, NAT64, Teredo) whose embedded address is refused.

``allowed_hosts`` opens exactly the hosts an operator names, for on-premise data and tests:
host names (``minio.internal``), addresses or networks (``127.0.0.1``, ``10.1.0.0/16``,
``[::1]``), each optionally with a port (``127.0.0.1:9000``, ``minio.internal:9000``,
``[::1]:9000``): without a port every port of that host is open, with one only that port.

For ``s3://`` and ``gs://`` URLs the bucket name is checked and the object store's endpoint (the
AWS or Google endpoint, or the one the operator configured) is vetted like any http URL; the
endpoint is never taken from the user. Those requests are made by s3fs/gcsfs, which resolve the
(fixed, operator-chosen) endpoint themselves.

:meth:`SafeNetworkPolicy.vet` is the asynchronous pre-flight check (``check_url`` and a DNS
lookup of the host with the same vetting) the service runs before accepting a job, so a refused
URL is answered at once; the connection-time resolver still vets again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import yarl

from validator.errors import FetchError, FetchRefused

__all__ = [
    "DEFAULT_PORTS",
    "DEFAULT_SCHEMES",
    "GCS_ENDPOINT",
    "S3_ENDPOINT",
    "AllowRule",
    "Resolve",
    "SafeNetworkPolicy",
    "VettingResolver",
    "address_problem",
    "parse_allow_rule",
    "parse_numeric_ipv4",
    "system_resolve",
]

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Ports allowed unless configured otherwise.
DEFAULT_PORTS: frozenset[int] = frozenset({80, 443, 8080, 8443})
#: Schemes allowed at most (file://, memory:// and friends never are).
DEFAULT_SCHEMES: frozenset[str] = frozenset({"http", "https", "s3", "gs"})
HTTP_SCHEMES = frozenset({"http", "https"})
#: The endpoints s3fs and gcsfs talk to when none is configured.
S3_ENDPOINT = "https://s3.amazonaws.com"
GCS_ENDPOINT = "https://storage.googleapis.com"

#: ``resolve(host, port)``: the IP addresses (strings) of a host name. The default,
#: :func:`system_resolve`, asks the system resolver through ``loop.getaddrinfo``; tests
#: inject a stub.
Resolve = Callable[[str, int], Awaitable[Sequence[str]]]

DNS_TIMEOUT = 10.0

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_PART = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_DEFAULT_PORT = {"http": 80, "https": 443}


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system resolver (``loop.getaddrinfo``)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


# -- addresses ---------------------------------------------------------------------------------


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be connected to, or ``None`` when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped (zone) IPv6 address"
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            form, inner = embedded
            for address in inner:
                problem = address_problem(address)
                if problem is not None:
                    return f"the {form} form of {address}, {problem}"
            if form in ("IPv4-compatible", "Teredo", "local-use NAT64"):
                return f"a deprecated or local-only IPv6 form ({form})"
            return None
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata endpoints live there)"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a globally reachable address"
    return None


def _embedded_ipv4(
    ip: ipaddress.IPv6Address,
) -> tuple[str, tuple[ipaddress.IPv4Address, ...]] | None:
    mapped = ip.ipv4_mapped
    if mapped is not None:
        return "IPv4-mapped", (mapped,)
    if ip in _NAT64:
        return "NAT64", (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    if ip in _NAT64_LOCAL:
        return "local-use NAT64", (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    sixtofour = ip.sixtofour
    if sixtofour is not None:
        return "6to4", (sixtofour,)
    teredo = ip.teredo
    if teredo is not None:
        return "Teredo", teredo
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "IPv4-compatible", (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return None


def parse_numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``inet_aton`` makes of ``host`` (``127.1``, ``0x7f.1``, ``2130706433``,
    ``0177.0.0.1``), or ``None`` when ``host`` is not numeric."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        return None
    values: list[int] = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if any(c in "89" for c in part):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, value in enumerate(head):
        number += value << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


# -- allowed hosts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllowRule:
    """One ``allowed_hosts`` entry: a host name or a network, on one port or on all."""

    name: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    def allows_name(self, host: str, port: int) -> bool:
        return self.name is not None and self.name == host and self.port in (None, port)

    def allows_address(self, ip: IPAddress, port: int) -> bool:
        if self.network is None or self.port not in (None, port):
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            ip = ipaddress.IPv6Address(ip.compressed.split("%")[0])
        return ip.version == self.network.version and ip in self.network

    def __str__(self) -> str:
        host = self.name if self.name is not None else str(self.network)
        if self.network is not None and self.network.version == 6 and self.port is not None:
            host = f"[{host}]"
        return host if self.port is None else f"{host}:{self.port}"


def parse_allow_rule(entry: str) -> AllowRule:
    """Parse ``host``, ``host:port``, ``10.0.0.0/8``, ``[::1]:8000``, ... (ValueError if bad)."""
    text = entry.strip().lower()
    if not text:
        raise ValueError("empty allowed host")
    port: int | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad allowed host {entry!r}")
        if rest:
            port = _parse_port(rest[1:], entry)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = _parse_port(port_text, entry)
    else:
        host = text
    host = host.rstrip(".") if not host.endswith("..") else host
    try:
        return AllowRule(network=ipaddress.ip_network(host, strict=False), port=port)
    except ValueError:
        pass
    if parse_numeric_ipv4(host) is not None or not _is_hostname(host):
        raise ValueError(f"bad allowed host {entry!r}: give a host name, an address or a CIDR")
    return AllowRule(name=host, port=port)


def _parse_port(text: str, entry: str) -> int:
    if not _PORT.match(text) or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in allowed host {entry!r}")
    return int(text)


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_hostname(host: str) -> bool:
    return 0 < len(host) <= 253 and all(_LABEL.match(label) for label in host.split("."))


# -- the policy --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Host:
    """A URL's host, classified: an IP address or a (lowercase, no trailing dot) name."""

    name: str
    ip: IPAddress | None
    port: int


class SafeNetworkPolicy:
    """Refuses URLs that lead anywhere but the public internet (see the module docstring).

    ``allowed_hosts``: entries for :func:`parse_allow_rule`. ``allowed_ports``: ports open on
    every public host. ``resolve``: the DNS lookup (default :func:`system_resolve`).
    ``s3_endpoint`` / ``gcs_endpoint``: the object-store endpoints used for ``s3://`` and
    ``gs://`` URLs (vetted like any URL: put a private one in ``allowed_hosts``).
    """

    def __init__(
        self,
        *,
        allowed_hosts: Iterable[str | AllowRule] = (),
        allowed_ports: Iterable[int] = DEFAULT_PORTS,
        schemes: Iterable[str] = DEFAULT_SCHEMES,
        resolve: Resolve | None = None,
        s3_endpoint: str | None = None,
        gcs_endpoint: str | None = None,
        dns_timeout: float = DNS_TIMEOUT,
        reveal_dns: bool = True,
    ) -> None:
        self.rules: tuple[AllowRule, ...] = tuple(
            r if isinstance(r, AllowRule) else parse_allow_rule(r) for r in allowed_hosts
        )
        self.allowed_ports = frozenset(allowed_ports)
        self.schemes = frozenset(s.lower() for s in schemes)
        unknown = self.schemes - DEFAULT_SCHEMES
        if unknown:
            raise ValueError(f"schemes {sorted(unknown)} cannot be allowed")
        self._resolve: Resolve = resolve or system_resolve
        self.s3_endpoint = (s3_endpoint or S3_ENDPOINT).rstrip("/")
        self.gcs_endpoint = (gcs_endpoint or GCS_ENDPOINT).rstrip("/")
        self.dns_timeout = dns_timeout
        #: False (the service): a name that does not resolve and one that resolves to a refused
        #: address get the same message, so that a submitter cannot probe internal names; the
        #: detail is logged (logger ``validator.netsafe``).
        self.reveal_dns = reveal_dns

    @classmethod
    def from_env(
        cls, prefix: str = "OME_ZARR_VALIDATOR_", *, resolve: Resolve | None = None
    ) -> SafeNetworkPolicy:
        """A policy configured like the service: ``{prefix}ALLOWED_HOSTS`` and
        ``{prefix}ALLOWED_PORTS`` (comma-separated) from the environment."""
        hosts = [h for h in os.environ.get(prefix + "ALLOWED_HOSTS", "").split(",") if h.strip()]
        ports_text = os.environ.get(prefix + "ALLOWED_PORTS", "")
        ports = [int(p) for p in ports_text.split(",") if p.strip()] or sorted(DEFAULT_PORTS)
        return cls(allowed_hosts=hosts, allowed_ports=ports, resolve=resolve)

    # -- the NetworkPolicy protocol ------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Raise :class:`FetchRefused` unless ``url`` may be fetched (no DNS lookup here)."""
        self._http_host(url)

    def resolver(self) -> VettingResolver:
        return VettingResolver(self)

    # -- pre-flight ----------------------------------------------------------------------------

    async def vet(self, url: str) -> None:
        """:meth:`check_url`, then resolve the host and vet its addresses.

        Raises :class:`FetchRefused` when the URL is refused and :class:`FetchError` when the
        host name cannot be resolved.
        """
        host = self._http_host(url)
        if host.ip is None:
            await self.lookup(host.name, host.port)

    def endpoint(self, url: str) -> str | None:
        """The endpoint an ``s3://`` or ``gs://`` URL is read from; ``None`` for http(s)."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "s3":
            return self.s3_endpoint
        if scheme == "gs":
            return self.gcs_endpoint
        return None

    # -- internals -----------------------------------------------------------------------------

    def _http_host(self, url: str) -> _Host:
        """Check ``url`` and return the host (of the endpoint, for s3/gs) to connect to."""
        if not isinstance(url, str) or not url:
            raise FetchRefused("refused: no URL")
        shown = url if len(url) <= 200 else url[:200] + "..."
        if any(c <= " " or c == "\x7f" or c == "\\" for c in url):
            raise FetchRefused(
                f"refused {shown!r}: whitespace, control characters and backslashes are not "
                "allowed in URLs"
            )
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise FetchRefused(f"refused {shown}: not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in self.schemes or "://" not in url:
            allowed = ", ".join(sorted(self.schemes))
            raise FetchRefused(
                f"refused {shown}: the scheme {scheme + ':' if scheme else '(none)'} is not "
                f"allowed, only {allowed}"
            )
        netloc = parts.netloc
        if "@" in netloc:
            raise FetchRefused(f"refused {shown}: user info (user@ or user:password@) in URLs "
                               "is not allowed")
        if scheme in HTTP_SCHEMES:
            return self._check_http(shown, url, scheme, netloc)
        return self._check_bucket(shown, scheme, netloc)

    def _check_bucket(self, shown: str, scheme: str, bucket: str) -> _Host:
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise FetchRefused(f"refused {shown}: {bucket!r} is not a valid bucket name")
        if parse_numeric_ipv4(bucket) is not None or bucket.startswith("xn--"):
            raise FetchRefused(f"refused {shown}: bucket names must not look like addresses")
        endpoint = self.s3_endpoint if scheme == "s3" else self.gcs_endpoint
        try:
            return self._http_host(endpoint)
        except FetchRefused as exc:
            raise FetchRefused(
                f"refused {shown}: the {scheme} endpoint is refused: {exc}"
            ) from None

    def _check_http(self, shown: str, url: str, scheme: str, netloc: str) -> _Host:
        if netloc.startswith("["):
            literal, sep, rest = netloc[1:].partition("]")
            if not sep or (rest and not rest.startswith(":")):
                raise FetchRefused(f"refused {shown}: malformed IPv6 host")
            port_text = rest[1:] if rest else None
            if "%" in literal:
                raise FetchRefused(f"refused {shown}: IPv6 zone ids are not allowed")
            try:
                ip: IPAddress | None = ipaddress.IPv6Address(literal)
            except ValueError:
                raise FetchRefused(f"refused {shown}: malformed IPv6 host") from None
            name = str(ip)
        else:
            name, sep, port_value = netloc.rpartition(":")
            if not sep:
                name, port_value = netloc, ""
            port_text = port_value if sep else None
            ip = None
        if port_text is not None and not _PORT.match(port_text):
            raise FetchRefused(f"refused {shown}: bad port {port_text!r}")
        port = int(port_text) if port_text else _DEFAULT_PORT[scheme]
        if not 0 < port < 65536:
            raise FetchRefused(f"refused {shown}: bad port {port}")
        if ip is None:
            name = self._check_name(shown, name)
            numeric = parse_numeric_ipv4(name)
            if numeric is not None:
                if str(numeric) != name:
                    raise FetchRefused(
                        f"refused {shown}: {name} is a non-canonical form of the address "
                        f"{numeric}; write addresses as four decimal numbers"
                    )
                ip = numeric
            elif name.replace(".", "").isdigit():
                raise FetchRefused(f"refused {shown}: {name} is not a valid address")
        self._same_as_aiohttp(shown, url, ip, name, port)
        if ip is not None:
            self._check_address(shown, ip, port)
            return _Host(name, ip, port)
        if any(rule.allows_name(name, port) for rule in self.rules):
            return _Host(name, None, port)
        if name == "localhost" or name.endswith(".localhost"):
            raise FetchRefused(f"refused {shown}: {name} is the local host")
        if port not in self.allowed_ports and not any(
            rule.network is not None and rule.port in (None, port) for rule in self.rules
        ):
            raise FetchRefused(f"refused {shown}: port {port} is not allowed "
                               f"(allowed: {', '.join(map(str, sorted(self.allowed_ports)))})")
        return _Host(name, None, port)

    @staticmethod
    def _check_name(shown: str, name: str) -> str:
        if not name:
            raise FetchRefused(f"refused {shown}: no host")
        if not name.isascii():
            raise FetchRefused(f"refused {shown}: write international host names in their "
                               "ASCII (xn--) form")
        name = name.lower()
        if name.endswith(".") and not name.endswith(".."):
            name = name[:-1]
        if not _is_hostname(name):
            raise FetchRefused(f"refused {shown}: {name!r} is not a valid host name")
        return name

    @staticmethod
    def _same_as_aiohttp(shown: str, url: str, ip: IPAddress | None, name: str,
                         port: int) -> None:
        # aiohttp parses URLs with yarl: refuse what yarl reads differently from us.
        try:
            parsed = yarl.URL(url)
            other_host, other_port = parsed.host, parsed.port
        except (ValueError, TypeError) as exc:
            raise FetchRefused(f"refused {shown}: not a valid URL ({exc})") from None
        if other_host is None or other_port != port:
            raise FetchRefused(f"refused {shown}: ambiguous host or port")
        if ip is not None:
            same = _ip_or_none(other_host.rstrip(".")) == ip
        else:
            same = other_host.lower().rstrip(".") == name
        if not same:
            raise FetchRefused(f"refused {shown}: ambiguous host")

    def _address_problem(self, ip: IPAddress, port: int) -> str | None:
        """``"<ip> is <why>"`` when ``ip`` on ``port`` is refused, else ``None``."""
        if any(rule.allows_address(ip, port) for rule in self.rules):
            return None
        problem = address_problem(ip)
        if problem is not None:
            return f"{ip} is {problem}"
        if port not in self.allowed_ports:
            return (f"port {port} is not allowed "
                    f"(allowed: {', '.join(map(str, sorted(self.allowed_ports)))})")
        return None

    def _check_address(self, shown: str, ip: IPAddress, port: int) -> None:
        problem = self._address_problem(ip, port)
        if problem is not None:
            raise FetchRefused(f"refused {shown}: {problem}")

    async def lookup(self, host: str, port: int) -> list[IPAddress]:
        """Resolve ``host`` once and vet every address it has; refuse if any is refused."""
        host = host.lower()
        if host.endswith(".") and not host.endswith(".."):
            host = host[:-1]
        literal = _ip_or_none(host)
        if literal is None:
            literal = parse_numeric_ipv4(host)
            if literal is not None and str(literal) != host:
                raise FetchRefused(f"refused host {host}: a non-canonical form of {literal}")
        if literal is not None:
            self._check_address(host, literal, port)
            return [literal]
        if not _is_hostname(host):
            raise FetchRefused(f"refused host {host!r}: not a valid host name")
        trusted = any(rule.allows_name(host, port) for rule in self.rules)
        if not trusted and (host == "localhost" or host.endswith(".localhost")):
            raise FetchRefused(f"refused host {host}: the local host")
        try:
            return await self._resolve_and_vet(host, port, trusted)
        except FetchError as exc:
            if self.reveal_dns:
                raise
            log.warning("refused host %s (port %d): %s", host, port, exc)
            raise FetchRefused(
                f"refused {host}: it does not resolve to an address this service may fetch "
                "from (public addresses only)"
            ) from None

    async def _resolve_and_vet(self, host: str, port: int, trusted: bool) -> list[IPAddress]:
        try:
            async with asyncio.timeout(self.dns_timeout):
                answers = list(await self._resolve(host, port))
        except TimeoutError:
            raise FetchError(f"cannot resolve {host}: the DNS lookup timed out") from None
        except OSError as exc:
            raise FetchError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        if not answers:
            raise FetchError(f"cannot resolve {host}: no addresses")
        addresses: list[IPAddress] = []
        for answer in answers:
            try:
                ip = ipaddress.ip_address(answer)
            except ValueError:
                raise FetchRefused(f"refused host {host}: it resolves to {answer!r}, "
                                   "not an address") from None
            if not trusted:
                problem = self._address_problem(ip, port)
                if problem is not None:
                    raise FetchRefused(f"refused {host}: it resolves to {answer}, and {problem}")
            addresses.append(ip)
        return addresses


class VettingResolver(aiohttp.abc.AbstractResolver):
    """The aiohttp resolver of a :class:`SafeNetworkPolicy`: returns only vetted addresses.

    aiohttp connects to exactly the addresses returned, so there is one lookup per host and
    connection, never a second one. Refusals raise :class:`FetchRefused` (a ``FetchError``)
    out of the request, before any connection is made.
    """

    def __init__(self, policy: SafeNetworkPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        addresses = await self.policy.lookup(host, port)
        if family in (socket.AF_INET, socket.AF_INET6):
            wanted = 4 if family == socket.AF_INET else 6
            addresses = [a for a in addresses if a.version == wanted]
            if not addresses:
                raise OSError(f"{host} has no IPv{wanted} address")
        return [
            {
                "hostname": host,
                "host": str(a),
                "port": port,
                "family": socket.AF_INET if a.version == 4 else socket.AF_INET6,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        return None
