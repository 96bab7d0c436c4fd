"""The aiohttp transport of :class:`~validator.stores.HttpStore`: what a store uses when the
lean client (:mod:`validator.httpwire`) cannot serve: a network policy (the service's SSRF
defence vets every address through aiohttp's resolver), or proxies and netrc credentials in
the environment (aiohttp's ``trust_env``).

It gives the same :class:`~validator.httpwire.Reply` as the lean client and raises the same
errors (:class:`~validator.httpwire.WireError`, :class:`~validator.httpwire.BodyTooLarge`),
so the store's retries, redirects and messages are one piece of code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import aiohttp

from validator.httpwire import BODY_STATUSES, BodyTooLarge, Progress, Reply, WireError

if TYPE_CHECKING:
    import aiohttp.abc


class AiohttpTransport:
    """GETs through one aiohttp session (made on first use, on the running loop)."""

    def __init__(self, *, limit: int, timeout: float, headers: Mapping[str, str],
                 resolver: aiohttp.abc.AbstractResolver | None, trust_env: bool) -> None:
        self._limit = limit
        self._timeout = timeout
        self._headers = dict(headers)
        self._resolver = resolver
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit,
                                             ttl_dns_cache=300, resolver=self._resolver)
            timeout = aiohttp.ClientTimeout(total=None, connect=self._timeout,
                                            sock_read=self._timeout)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, headers=self._headers,
                auto_decompress=True, trust_env=self._trust_env)
        return self._session

    async def get(self, url: str, headers: Mapping[str, str] | None = None, *, cap: int,
                  truncate: bool = False, progress: Progress | None = None) -> Reply:
        progress = progress if progress is not None else Progress()
        try:
            async with self._client().get(url, allow_redirects=False,
                                          headers=headers) as response:
                reply = Reply(response.status,
                              {k.lower(): v for k, v in response.headers.items()})
                if response.status not in BODY_STATUSES:
                    return reply
                if truncate:
                    reply.body = await response.content.read(cap)
                    reply.truncated = True
                    return reply
                declared = response.content_length
                if (declared is not None and "Content-Encoding" not in response.headers
                        and declared > cap):
                    raise BodyTooLarge(declared)
                # Count what arrives after decompression: a lying Content-Length or a gzip
                # bomb stops at the cap, not at the end of the stream.
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    progress.received = size
                    if size > cap:
                        raise BodyTooLarge(None)
                    chunks.append(chunk)
                reply.body = b"".join(chunks)
                return reply
        except aiohttp.ClientError as exc:
            raise WireError(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
