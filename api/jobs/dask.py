"""Running the service's jobs on a Dask distributed cluster (``OME_ZARR_VALIDATOR_DASK_SCHEDULER``).

The job runner keeps its queue, limits and persistence; only the validation itself is sent to
the cluster, as a pure task (:func:`validator.batch.task.report_task`), so that the CPU of many
machines validates while the service answers. Dask retries the task elsewhere when a worker is
lost. Live progress and the node tree are not streamed back from a worker: a job on Dask shows
its counts when it finishes. ``dask[distributed]`` is imported only when a scheduler is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from typing import Any

from validator.batch.task import report_task
from validator.errors import CouldNotValidate
from validator.model import Report
from validator.options import Options
from validator.stores import NetworkPolicy


class DaskValidator:
    """Validates on the cluster at ``address``; connects on first use, from the runner's loop."""

    def __init__(self, address: str) -> None:
        if importlib.util.find_spec("distributed") is None:  # say so at start-up, not per job
            raise RuntimeError("OME_ZARR_VALIDATOR_DASK_SCHEDULER is set but dask[distributed] "
                               "is not installed: pip install 'ome-zarr-validator[dask]'")
        self.address = address
        self._client: Any = None
        self._lock: asyncio.Lock | None = None

    async def _connect(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is None:
                from distributed import Client

                self._client = await Client(  # type: ignore[no-untyped-call]
                    self.address, asynchronous=True, timeout=30)
            return self._client

    async def validate(self, url: str, options: Options,
                       policy: NetworkPolicy | None) -> Report:
        client = await self._connect()
        future = client.submit(report_task, url, options, policy, pure=False)
        try:
            outcome: dict[str, Any] = await future
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(client.cancel([future]))
            raise
        if "error" in outcome:
            raise CouldNotValidate(str(outcome["error"]))
        return Report.from_dict(outcome["report"])

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
