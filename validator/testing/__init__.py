"""Test and benchmark helpers: a local HTTP data server and a metadata-only plate generator.

* :class:`DataServer` (``validator.testing.dataserver``) serves a directory read-only over HTTP on
  127.0.0.1 with an optional per-response delay, a concurrency cap, counters and custom routes
  for failure tests; ``python -m validator.testing.dataserver ROOT`` runs it standalone.
* :func:`write_plate` (``validator.testing.plates``) writes the metadata documents of an HCS
  plate of any size, as ome-zarr-py writes them, for OME-Zarr 0.4 or 0.5; :func:`write_labels`
  adds a ``labels`` group with label images to an image (a plate's field, say).
"""

from validator.testing.dataserver import DataServer, ServerStats
from validator.testing.plates import PlateInfo, write_labels, write_plate

__all__ = ["DataServer", "PlateInfo", "ServerStats", "write_labels", "write_plate"]
