"""Test and benchmark helpers: a local HTTP data server and a metadata-only plate generator.

* :class:`DataServer` (``validator.testing.dataserver``) serves a directory read-only over HTTP on
  127.0.0.1 with an optional per-response delay, a concurrency cap, counters and custom routes
  for failure tests; ``python -m validator.testing.dataserver ROOT`` runs it standalone.
* :func:`write_plate` (``validator.testing.plates``) writes the metadata documents of an HCS
  plate of any size, as ome-zarr-py writes them, for OME-Zarr 0.4 or 0.5; :func:`write_labels`
  adds a ``labels`` group with label images to an image (a plate's field, say).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.testing.dataserver import DataServer, ServerStats
    from validator.testing.plates import PlateInfo, write_labels, write_plate

__all__ = ["DataServer", "PlateInfo", "ServerStats", "write_labels", "write_plate"]

_MODULES = {"DataServer": "dataserver", "ServerStats": "dataserver", "PlateInfo": "plates",
            "write_labels": "plates", "write_plate": "plates"}


def __getattr__(name: str) -> Any:
    # Imported on first use: were the package to import its dataserver module, then
    # ``python -m validator.testing.dataserver`` would run a module already imported (runpy
    # warns, and the server's classes would exist twice).
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"validator.testing.{module}"), name)
