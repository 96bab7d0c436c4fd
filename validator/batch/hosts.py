"""Politeness per host across a batch: one request limiter per host, shared by every dataset.

A single run keeps its own :class:`~validator.limiter.Limiter` (a run reads from one host).
A batch validates many datasets at once, often on the same server: were each walk to keep its
own cap, sixteen datasets in flight would send sixteen times ``--concurrency`` requests to that
server. :class:`HostLimiters` hands every walk on a host the same limiter, so the cap (and the
adaptive back-off on 429/503 and rising latency) holds per host, whatever the number of
datasets in flight. Limiters belong to the event loop that uses them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from validator.limiter import Limiter
from validator.options import Options


def host_key(target: str) -> str:
    """The politeness domain of a target: ``scheme://host[:port]`` of a URL (an S3 or GCS
    bucket for s3:// and gs://), ``file`` for a local path."""
    if "://" not in target:
        return "file"
    # fsspec chains ("zip::https://host/a.ozx") are fetched from the last URL of the chain.
    parts = urlsplit(target.rsplit("::", 1)[-1])
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class HostLimiters:
    """``limiter(target)``: the limiter of the target's host, made on first use."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._limiters: dict[str, Limiter] = {}

    def limiter(self, target: str) -> Limiter:
        key = host_key(target)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = Limiter(self.options.concurrency, adaptive=self.options.adaptive)
            self._limiters[key] = limiter
        return limiter

    def max_in_flight(self) -> dict[str, int]:
        """The most requests each host had in flight at once."""
        return {key: limiter.max_in_flight for key, limiter in self._limiters.items()}
