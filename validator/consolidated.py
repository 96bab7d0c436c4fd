"""Consolidated metadata: a copy of every metadata document of a hierarchy, kept at its root.

Zarr v2 (zarr-python's convention): a ``.zmetadata`` document beside the root ``.zgroup``,
``{"metadata": {"<key>": <document>, ...}, "zarr_consolidated_format": 1}`` with keys such as
``A/1/.zattrs``. Zarr v3 (zarr-python's extension, not yet part of the v3 core spec):
``"consolidated_metadata": {"kind": "inline", "must_understand": false, "metadata": {"<node
path>": <that node's zarr.json>, ...}}`` in the root ``zarr.json``.

When the root has it, the walk reads every document from this copy (one request for the whole
tree; :class:`Consolidated` is the cache it consults) and fetches only what the copy lacks.
Neither spec says the copy must agree with the documents, but a reader that uses it sees the
copy and one that does not sees the documents: where they disagree, the dataset means two
things. With ``--verify-consolidated`` the walk reads the real documents, checks those, and
reports each one the copy disagrees with (rule ``zarr.consolidated.matches``, a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity, escape_pointer_token
from validator.rules.registry import declare

V2_CONSOLIDATED = ".zmetadata"
#: Members that differ legitimately between a copy and its document: zarr-python writes
#: nested ``consolidated_metadata`` stubs into the copies (and the root holds the real one).
IGNORED_MEMBERS = frozenset({"consolidated_metadata"})

CONSOLIDATED_MATCHES = declare(
    "zarr.consolidated.matches",
    severity=Severity.WARNING,
    anchor="on-disk",
    summary="Consolidated metadata (.zmetadata in Zarr v2, consolidated_metadata in the root "
    "zarr.json in v3) is well-formed and agrees with the documents it copies: readers that "
    "use it must see the same metadata as readers that do not.",
    zarr_formats=(2, 3),
)


class Consolidated:
    """The consolidated copy of a hierarchy's metadata documents, by store key.

    :meth:`take` hands a document over once and forgets it, so that memory shrinks as the
    walk proceeds (the walk keeps findings, not documents).
    """

    def __init__(self, zarr_format: int, documents: dict[str, Any], source: str) -> None:
        self.zarr_format = zarr_format
        self.source = source  # the document holding the copy: ".zmetadata" or "zarr.json"
        self._documents = documents
        self.size = len(documents)

    def __contains__(self, key: object) -> bool:
        return key in self._documents

    def take(self, key: str) -> tuple[bool, Any]:
        """``(True, document)`` when the copy has ``key`` (then forgets it), else ``(False,
        None)``."""
        if key in self._documents:
            return True, self._documents.pop(key)
        return False, None

    def peek(self, key: str) -> tuple[bool, Any]:
        if key in self._documents:
            return True, self._documents[key]
        return False, None


def from_v2(document: Any) -> tuple[Consolidated | None, str | None]:
    """The copy in a parsed ``.zmetadata``; ``(None, problem)`` when it cannot be used."""
    if not isinstance(document, Mapping):
        return None, "the consolidated metadata is not a JSON object"
    fmt = document.get("zarr_consolidated_format")
    if fmt != 1:
        return None, f"zarr_consolidated_format must be 1, found {fmt!r}"
    metadata = document.get("metadata")
    if not isinstance(metadata, Mapping):
        return None, "the consolidated metadata has no 'metadata' object"
    docs = {str(k).strip("/"): v for k, v in metadata.items()}
    return Consolidated(2, docs, V2_CONSOLIDATED), None


def from_v3(root: Mapping[str, Any]) -> tuple[Consolidated | None, str | None]:
    """The copy inline in a root ``zarr.json``; ``(None, None)`` when there is none."""
    block = root.get("consolidated_metadata")
    if block is None:
        return None, None
    if not isinstance(block, Mapping):
        return None, "consolidated_metadata must be a JSON object or null"
    kind = block.get("kind")
    if kind != "inline":
        return None, f"consolidated_metadata kind {kind!r} is not supported (only 'inline')"
    metadata = block.get("metadata")
    if not isinstance(metadata, Mapping):
        return None, "consolidated_metadata has no 'metadata' object"
    docs = {}
    for path, doc in metadata.items():
        node = str(path).strip("/")
        docs[f"{node}/zarr.json" if node else "zarr.json"] = doc
    return Consolidated(3, docs, "zarr.json"), None


def differences(copy: Any, real: Any, limit: int = 3) -> list[tuple[str, str]]:
    """Where two documents differ: ``[(pointer, description)]``, at most ``limit``.

    JSON equality (``1 == 1.0``, ``true != 1``); members in :data:`IGNORED_MEMBERS` at the top
    level are left out.
    """
    if isinstance(copy, Mapping) and isinstance(real, Mapping):
        copy = {k: v for k, v in copy.items() if k not in IGNORED_MEMBERS}
        real = {k: v for k, v in real.items() if k not in IGNORED_MEMBERS}
    found: list[tuple[str, str]] = []
    for item in _diff(copy, real, ""):
        found.append(item)
        if len(found) >= limit:
            break
    return found


def _diff(a: Any, b: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in a:
            token = where + "/" + escape_pointer_token(key)
            if key not in b:
                yield token, "only in the consolidated copy"
            else:
                yield from _diff(a[key], b[key], token)
        for key in b:
            if key not in a:
                yield where + "/" + escape_pointer_token(key), "missing from the consolidated copy"
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield where, f"{len(a)} items in the consolidated copy, {len(b)} in the document"
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _diff(x, y, f"{where}/{i}")
        return
    if not _same_scalar(a, b):
        yield where, f"consolidated copy {_show(a)}, document {_show(b)}"


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping | list) or isinstance(b, Mapping | list):
        return False
    return bool(a == b)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
