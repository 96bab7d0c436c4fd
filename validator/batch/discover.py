"""Discovery: find the OME-Zarr datasets below a local directory or an object-store prefix.

Unlike validation (which never lists: the metadata names every node), discovery lists
directories, breadth first, down to ``max_depth`` levels below the prefix. A directory is an
OME-Zarr root when its group metadata (``zarr.json`` attributes, or ``.zattrs`` next to a
``.zgroup``) holds OME keys; it is reported and not descended into (its wells, fields and
labels are part of it). Zarr arrays are not descended into either (their children are
chunks). A file ending in ``.ozx`` (a zipped OME-Zarr) is reported as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from validator.batch.task import OZX_SUFFIX
from validator.document import is_ome
from validator.errors import CouldNotValidate

DEFAULT_MAX_DEPTH = 8
#: Largest metadata document read while discovering (a root zarr.json may be consolidated).
MAX_METADATA_BYTES = 64 * 1024 * 1024


def _attributes(fs: Any, path: str, names: set[str]) -> tuple[Mapping[str, Any] | None, bool]:
    """``(attributes of the group at path or None, is an array)``."""
    if "zarr.json" in names:
        doc = _read_json(fs, f"{path}/zarr.json")
        if isinstance(doc, dict):
            if doc.get("node_type") == "array":
                return None, True
            attrs = doc.get("attributes")
            return (attrs if isinstance(attrs, dict) else None), False
    if ".zarray" in names:
        return None, True
    if ".zattrs" in names:
        attrs = _read_json(fs, f"{path}/.zattrs")
        return (attrs if isinstance(attrs, dict) else None), False
    return None, False


def _read_json(fs: Any, path: str) -> Any:
    try:
        data = fs.cat_file(path, start=0, end=MAX_METADATA_BYTES)
        return json.loads(data)
    except (OSError, ValueError):
        return None


def discover(prefix: str, *, max_depth: int = DEFAULT_MAX_DEPTH,
             storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """The OME-Zarr roots and ``.ozx`` files at or below ``prefix``, sorted: absolute paths
    for a local directory, URLs (``s3://bucket/...``) for a remote prefix."""
    import fsspec

    if max_depth < 0:
        raise CouldNotValidate("--max-depth must be at least 0")
    remote = "://" in prefix
    try:
        fs, root = fsspec.core.url_to_fs(prefix, **dict(storage_options or {}))
    except (ImportError, ValueError, TypeError) as exc:
        raise CouldNotValidate(f"cannot open {prefix}: {exc}") from None
    root = root.rstrip("/") or root
    try:
        if not fs.isdir(root):
            raise CouldNotValidate(f"{prefix}: not a directory or prefix")
    except OSError as exc:
        raise CouldNotValidate(f"cannot list {prefix}: {exc}") from None

    def name(path: str) -> str:
        return str(fs.unstrip_protocol(path)) if remote else path

    found: list[str] = []
    level = [root]
    for depth in range(max_depth + 1):
        below: list[str] = []
        for directory in level:
            try:
                entries = fs.ls(directory, detail=True)
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue  # gone or not ours to read: nothing to find there
            except OSError as exc:
                raise CouldNotValidate(f"cannot list {name(directory)}: {exc}") from None
            names = {str(e["name"]).rstrip("/").rsplit("/", 1)[-1] for e in entries}
            attributes, is_array = _attributes(fs, directory, names)
            if attributes is not None and is_ome(attributes):
                found.append(name(directory))
                continue
            if is_array:
                continue
            for entry in entries:
                path = str(entry["name"]).rstrip("/")
                if path == directory:
                    continue
                if entry.get("type") == "directory":
                    below.append(path)
                elif path.lower().endswith(OZX_SUFFIX):
                    found.append(name(path))
        if depth == max_depth:
            break
        level = sorted(below)
    return sorted(found)
