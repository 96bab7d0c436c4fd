"""One dataset of a batch: validate it, summarise it, write its full report when asked.

:func:`validate_one` is the unit of work of every engine. It never raises for a dataset's
sake: whatever goes wrong becomes a ``could-not-validate`` result with the reason, so one bad
target never stops a batch. It is idempotent -- the same target gives the same result, and the
report file is replaced atomically -- so an engine may run it again (Dask does, for the tasks
of a lost worker).

:func:`run_task` is the same for a Dask worker: a plain function of plain, picklable
arguments that returns a plain dict. The validations of a worker process run on one event loop
of their own (a thread), whatever thread Dask calls from, so that they share the per-host
request limiters (:class:`~validator.batch.hosts.HostLimiters`) of that process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from validator.batch.hosts import HostLimiters
from validator.batch.result import DatasetResult
from validator.engine import avalidate
from validator.errors import CouldNotValidate, FetchError, budget_message
from validator.limiter import Limiter
from validator.options import Options
from validator.stores import NetworkPolicy

#: Zipped OME-Zarr (one file, the hierarchy inside a zip archive).
OZX_SUFFIX = ".ozx"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def dataset_url(target: str) -> str:
    """The URL the validator opens for ``target``: the target as given. A ``.ozx`` file is read
    by the validator's own archive reader (range reads, RFC-9 rules), local or remote."""
    return target.rstrip("/") if target.lower().rstrip("/").endswith(OZX_SUFFIX) else target


def report_name(target: str) -> str:
    """A safe, unique file name for the report of ``target``: the URL's letters, digits,
    dots, dashes and underscores (other runs collapsed into ``_``, at most 80 characters,
    never a leading dot) and a hash of the whole target, so different targets never share a
    name and no name can leave the directory."""
    digest = hashlib.sha256(target.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    slug = _UNSAFE.sub("_", target.split("://", 1)[-1]).strip("._-")[-80:].lstrip("._-")
    return f"{slug or 'dataset'}-{digest}.json"


def write_report(directory: Path, target: str, report: dict[str, Any]) -> Path:
    """Write ``report`` for ``target`` into ``directory`` atomically (a task run twice leaves
    one whole file); return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / report_name(target)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


async def validate_one(
    target: str,
    options: Options,
    *,
    policy: NetworkPolicy | None = None,
    limiter: Limiter | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
) -> DatasetResult:
    """Validate ``target`` and summarise it; never raises for the dataset's sake."""
    started = time.monotonic()
    if policy is None and "://" not in target and not os.path.exists(target):
        # As the single-target command says it, rather than "no Zarr metadata at <path>/".
        return DatasetResult.failed(target, f"{target}: no such file or directory",
                                    seconds=time.monotonic() - started)
    try:
        report = await avalidate(dataset_url(target), options=options,
                                 policy=policy, limiter=limiter)
    except (CouldNotValidate, FetchError) as exc:
        return DatasetResult.failed(target, str(exc), seconds=time.monotonic() - started)
    except ExceptionGroup as group:
        budget = budget_message(group)
        reason = (f"the dataset is larger than the limits allow: {budget}" if budget
                  else f"internal error: {group!r}")
        return DatasetResult.failed(target, reason, seconds=time.monotonic() - started)
    except Exception as exc:  # a bug must not stop the batch: the result says what it was
        return DatasetResult.failed(target, f"internal error: {type(exc).__name__}: {exc}",
                                    seconds=time.monotonic() - started)
    report.target = target
    data = report.to_dict()
    result = DatasetResult.from_report_dict(data)
    if reports_dir is not None:
        try:
            path = await asyncio.to_thread(write_report, Path(reports_dir), target, data)
        except OSError as exc:  # the dataset was validated: keep its verdict, say what failed
            result.error = "; ".join(filter(None, (result.error, f"the report could not be "
                                                   f"written: {exc}")))
        else:
            result.report = str(path)
    return result


# -- on a Dask worker --------------------------------------------------------------------------


class _WorkerLoop:
    """An event loop in a daemon thread of this process, for the tasks Dask runs here."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.hosts: dict[tuple[int, bool], HostLimiters] = {}
        thread = threading.Thread(target=self.loop.run_forever, name="ozv-batch", daemon=True)
        thread.start()

    def limiter(self, target: str, options: Options) -> Limiter:
        # Only touched from the loop's thread: no lock needed.
        key = (options.concurrency, options.adaptive)
        hosts = self.hosts.get(key)
        if hosts is None:
            hosts = self.hosts[key] = HostLimiters(options)
        return hosts.limiter(target)


_worker: _WorkerLoop | None = None
_worker_lock = threading.Lock()


def _worker_loop() -> _WorkerLoop:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _WorkerLoop()
        return _worker


def run_task(
    target: str,
    options: Options,
    policy: NetworkPolicy | None = None,
    reports_dir: str | None = None,
) -> dict[str, Any]:
    """Validate one dataset on a Dask worker; the result as a dict (:meth:`DatasetResult.to_dict`).

    Pure in Dask's sense: its arguments determine the result (the datasets do not change
    during a batch), and running it twice is harmless.
    """
    worker = _worker_loop()

    async def job() -> DatasetResult:
        return await validate_one(target, options, policy=policy,
                                  limiter=worker.limiter(target, options),
                                  reports_dir=reports_dir)

    return asyncio.run_coroutine_threadsafe(job(), worker.loop).result().to_dict()


def report_task(target: str, options: Options,
                policy: NetworkPolicy | None = None) -> dict[str, Any]:
    """Validate one dataset on a Dask worker for the service's job runner: ``{"report": the
    JSON report}``, or ``{"error": why}`` when it could not be validated (a budget that ran
    out inside concurrent work included). Other exceptions propagate (a bug: the runner logs
    it)."""
    worker = _worker_loop()

    async def job() -> dict[str, Any]:
        try:
            report = await avalidate(dataset_url(target),
                                     options=options, policy=policy,
                                     limiter=worker.limiter(target, options))
        except (CouldNotValidate, FetchError) as exc:
            return {"error": str(exc)}
        except ExceptionGroup as group:
            budget = budget_message(group)
            if budget is None:
                raise
            return {"error": f"the dataset is larger than this service checks: {budget}"}
        return {"report": report.to_dict()}

    return asyncio.run_coroutine_threadsafe(job(), worker.loop).result()
