"""Batches of the service: many URLs, one job each (:mod:`~api.batches.manager`), kept in
SQLite (:mod:`~api.batches.repository`)."""

from api.batches.manager import BatchManager, TooManyBatches
from api.batches.repository import Batch, BatchItem, SqliteBatchRepository

__all__ = ["Batch", "BatchItem", "BatchManager", "SqliteBatchRepository", "TooManyBatches"]
