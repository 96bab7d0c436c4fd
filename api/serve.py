"""The production server: ``python -m api.serve [--host H] [--port P | --fd N]``.

uvicorn with connection hygiene it lacks on its own (issue 14: 2,000 half-open requests all
stayed open, and 1,100 made ``/healthz`` time out under a 1024-descriptor limit):

* a **header timeout**: a connection must deliver a complete request head within
  ``header_timeout`` seconds of connecting (or of its previous response), else it is closed --
  slowloris and idle half-open connections do not pile up;
* a **keep-alive timeout** (uvicorn's ``timeout_keep_alive``): idle connections close;
* a **cap on concurrent connections**: beyond ``max_connections`` a new connection is closed
  at once, before it costs more than its descriptor for a moment (keep the cap well below the
  process's descriptor limit; the database and outgoing requests need descriptors too);
* ``X-Forwarded-For`` is trusted from nobody unless ``forwarded_allow_ips`` names the proxy
  (uvicorn trusts 127.0.0.1 by default: anything reaching the service from the loopback could
  then pick its client address, and so its own rate limit).

The settings are the service's (``OME_ZARR_VALIDATOR_*``, see :mod:`api.settings`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings

log = logging.getLogger("api.serve")


def guarded_protocol(header_timeout: float, max_connections: int) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a header timeout and a cap on connections."""

    class GuardedH11Protocol(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                log.warning("closing a connection: %d open, the cap is %d",
                            len(self.connections), max_connections)
                transport.abort()
                return
            self._arm()

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._header_expired)

        def _waiting_for_head(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _header_expired(self) -> None:
            self._header_timer = None
            if self._waiting_for_head() and not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            waiting = self._waiting_for_head()
            super().data_received(data)
            if waiting and not self._waiting_for_head() and self._header_timer is not None:
                self._header_timer.cancel()  # the head arrived: the request runs its course
                self._header_timer = None
            elif self._waiting_for_head():
                self._arm()  # bytes of a head, not a whole one: the clock keeps running

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request's head must come in time too

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None
            super().connection_lost(exc)

    return GuardedH11Protocol


def config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration of the service (``app``: the ASGI app or its import path);
    ``overrides`` are further ``uvicorn.Config`` arguments (host, port, fd, log_level, ...)."""
    proxies = settings.forwarded_allow_ips
    values: dict[str, Any] = {
        "http": guarded_protocol(settings.header_timeout, settings.max_connections),
        "ws": "none",
        "lifespan": "on",
        "timeout_keep_alive": max(1, round(settings.keepalive_timeout)),
        # Requests in progress beyond this are answered 503 by uvicorn.
        "limit_concurrency": settings.max_connections,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
        "server_header": False,
        "timeout_graceful_shutdown": 20,
    }
    values.update(overrides)
    return uvicorn.Config(app, **values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api.serve",
                                     description="Run the OME-Zarr validation service.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fd", type=int, help="serve on this listening socket instead")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    cfg = config("api.app:app", settings, host=args.host, port=args.port, fd=args.fd,
                 log_level=args.log_level, access_log=not args.no_access_log)
    uvicorn.Server(cfg).run()


if __name__ == "__main__":
    main()
