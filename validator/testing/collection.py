"""A collection of small OME-Zarr datasets, for batch tests and benchmarks.

:func:`write_collection` writes ``count`` metadata-only datasets (no chunks) under a root:
images and plates (2x2 wells, 1 field, 2 levels) alternately, NGFF 0.4 and 0.5 alternately,
and every ``broken_every``-th one broken in a known way, with the rule it must break:

* an image without ``axes`` in its multiscales (``multiscales.axes`` is required);
* a plate whose first well has lost its metadata (the plate names a well that is not there).

It returns what it wrote (:class:`CollectionEntry`: name, kind, version, broken or not), so a
test can expect each dataset's verdict without asking the validator.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from validator.testing.plates import Version, describe_downscaling, write_image, write_plate

__all__ = ["BROKEN_RULES", "CollectionEntry", "write_collection"]

#: The rule each kind of broken dataset breaks.
BROKEN_RULES = {"image": "multiscales.axes.required", "plate": "plate.wells.exist"}


@dataclass(frozen=True)
class CollectionEntry:
    name: str
    """The dataset's directory under the root (also its URL path on a DataServer)."""
    kind: str
    """``image`` or ``plate``."""
    version: str
    broken: bool
    """Broken on purpose: its verdict must be invalid (else valid)."""
    rule: str | None = None
    """The rule a broken dataset breaks."""


def _attrs_path(root: Path, version: str) -> Path:
    return root / (".zattrs" if version == "0.4" else "zarr.json")


def _break_image(root: Path, version: str) -> None:
    path = _attrs_path(root, version)
    doc = json.loads(path.read_text())
    ome = doc if version == "0.4" else doc["attributes"]["ome"]
    del ome["multiscales"][0]["axes"]
    path.write_text(json.dumps(doc, indent=2))


def _break_plate(root: Path, version: str) -> None:
    for name in (".zattrs", ".zgroup", "zarr.json"):
        well = root / "A" / "1" / name
        if well.exists():
            well.unlink()


def write_collection(root: str | os.PathLike[str], count: int, *,
                     broken_every: int = 5) -> list[CollectionEntry]:
    """Write ``count`` datasets under ``root`` (``image-0000.ome.zarr``, ``plate-0001...``);
    every ``broken_every``-th (from the 3rd) is broken. Deterministic."""
    base = Path(root)
    entries: list[CollectionEntry] = []
    for i in range(count):
        kind = "image" if i % 2 == 0 else "plate"
        version: Version = "0.4" if (i // 2) % 2 == 0 else "0.5"
        broken = broken_every > 0 and i % broken_every == 2
        name = f"{kind}-{i:04d}.ome.zarr"
        path = base / name
        if kind == "image":
            write_image(path, version=version, levels=2, shape=(1, 1, 4, 32, 32))
            describe_downscaling(path, version, [""])
            if broken:
                _break_image(path, version)
        else:
            info = write_plate(path, version=version, rows=2, columns=2, fields=1, levels=2,
                               shape=(1, 1, 4, 32, 32))
            describe_downscaling(path, version, info.images)
            if broken:
                _break_plate(path, version)
        rule = None if not broken else BROKEN_RULES[kind]
        entries.append(CollectionEntry(name, kind, version, broken, rule))
    return entries
