"""Batches: validate whole collections of OME-Zarr datasets.

* :func:`validate_many` / :func:`aiter_validate_many` (:mod:`validator.batch.api`): the
  library entry points.
* :mod:`~validator.batch.engines`: in-process (default) or Dask distributed.
* :mod:`~validator.batch.result`: what is recorded per dataset (one JSON line each).
* :mod:`~validator.batch.targets` and :mod:`~validator.batch.discover`: where targets come from.
* :mod:`~validator.batch.cli`: ``ome-zarr-validate batch``.
"""

from validator.batch.api import aiter_validate_many, validate_many
from validator.batch.engines import BatchJob, DaskEngine, Engine, InProcessEngine, make_engine
from validator.batch.result import VERDICTS, DatasetResult

__all__ = [
    "VERDICTS",
    "BatchJob",
    "DaskEngine",
    "DatasetResult",
    "Engine",
    "InProcessEngine",
    "aiter_validate_many",
    "make_engine",
    "validate_many",
]
