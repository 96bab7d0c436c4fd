"""The Zarr layout: which documents a group or an array has in Zarr v2 and v3, and opening them.

The format is detected once, at the root; every other node is read by the document names that
format gives it (``.zgroup`` + ``.zattrs`` and ``.zarray`` in v2, ``zarr.json`` in v3), only
where a parent's metadata names it. Directories are never listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from validator import versions as ngff
from validator.model import pointer
from validator.rules import ArrayInfo
from validator.rules import builtin as B
from validator.walk.findings import Findings
from validator.walk.reading import Reader, gather_pair
from validator.zarrmeta import (
    V2_ARRAY,
    V2_ATTRS,
    V2_GROUP,
    V3_METADATA,
    array_info_v2,
    array_info_v3,
)


@dataclass(slots=True, weakref_slot=True)
class Group:
    """A group's metadata as read: where its attributes live and what they are."""

    node: str
    zarr_format: int
    document: str
    attributes: Mapping[str, Any]
    base: str  # JSON pointer of the attributes object inside the document
    #: False when the metadata exists but could not be read, parsed, or is not a group's:
    #: that is a finding already, and nothing more is checked or said about the node.
    readable: bool = True


@dataclass(slots=True, weakref_slot=True)
class ArrayDocument:
    """An array's metadata as read: the document, its name and what rules need of it."""

    info: ArrayInfo
    document: Mapping[str, Any]
    name: str


@dataclass(slots=True)
class Layout:
    """The Zarr format of one hierarchy and the nodes read so far that are arrays."""

    reader: Reader
    findings: Findings
    zarr_format: int | None = None
    array_nodes: set[str] = field(default_factory=set)

    def array_document_name(self) -> str:
        return V3_METADATA if self.zarr_format == 3 else V2_ARRAY

    def locate(self, node: str) -> tuple[str, str]:
        """The metadata document of ``node`` (read earlier) and the base pointer in it of what
        rules point into: an array's own document, or a group's OME metadata object."""
        if node in self.array_nodes:
            return self.array_document_name(), ""
        if self.zarr_format == 3:
            version: ngff.SpecVersion = self.findings.version
            return V3_METADATA, "/attributes" + pointer(*version.ome_prefix)
        return V2_ATTRS, ""

    async def open_group(self, node: str, *, probe: bool = False) -> Group | None:
        """Read a group's metadata; ``None`` when no group is there (no finding added).

        ``probe`` is for groups no metadata names (``labels``, ``OME``): in Zarr v2 it asks
        for ``.zattrs`` first and for ``.zgroup`` only when that exists, so that looking for
        an absent group costs one request, not two.
        """
        read_json = self.reader.read_json
        add_builtin = self.findings.add_builtin
        if self.zarr_format == 3:
            doc, exists = await read_json(node, V3_METADATA, probe=probe)
            if not exists:
                return None
            if doc is not None and doc.get("node_type") == "array":
                self.array_nodes.add(node)
                add_builtin(B.NODE_TYPE, node, V3_METADATA, "/node_type",
                            "expected a group here, found an array")
                self.reader.drop(node, V3_METADATA)
                return Group(node, 3, V3_METADATA, {}, "/attributes", readable=False)
            return self._v3_group(node, doc)
        if probe:
            zattrs, attrs_exist = await read_json(node, V2_ATTRS, probe=True)
            if not attrs_exist:
                return None
            zgroup, group_exists = await read_json(node, V2_GROUP)
        else:
            (zgroup, group_exists), (zattrs, attrs_exist) = await gather_pair(
                read_json(node, V2_GROUP), read_json(node, V2_ATTRS)
            )
        if not group_exists and not attrs_exist:
            return None
        if not group_exists:
            add_builtin(B.GROUP_MISSING, node, V2_GROUP, "",
                        "the group has .zattrs but no .zgroup: it is not a Zarr group")
        elif zgroup is not None and zgroup.get("zarr_format") != 2:
            add_builtin(B.ZARR_METADATA, node, V2_GROUP, _member(zgroup, "zarr_format"),
                        f"zarr_format must be 2, found {_found(zgroup, 'zarr_format')}")
        readable = not attrs_exist or zattrs is not None
        group = Group(node, 2, V2_ATTRS, zattrs if isinstance(zattrs, dict) else {}, "",
                      readable=readable)
        self.reader.drop(node, V2_GROUP)  # checked above, not kept
        self.reader.own(group, node, V2_ATTRS)
        return group

    async def open_node(self, node: str) -> Group | ArrayDocument | None:
        """Read what is at ``node``, a group or an array, where metadata names a node that may
        be either (a 0.6 vector field, a multiscale group, that writers also point at an
        array): one document in Zarr v3 (in v2, the group's documents, then ``.zarray``)."""
        if self.zarr_format != 3:
            group = await self.open_group(node)
            return group if group is not None else await self.read_array(node)
        doc, exists = await self.reader.read_json(node, V3_METADATA)
        if not exists:
            return None
        if doc is not None and doc.get("node_type") == "array":
            self.array_nodes.add(node)
            array = ArrayDocument(array_info_v3(node, doc), doc, V3_METADATA)
            self.reader.own(array, node, V3_METADATA)
            return array
        return self._v3_group(node, doc)

    def _v3_group(self, node: str, doc: Mapping[str, Any] | None) -> Group:
        if doc is None:
            return Group(node, 3, V3_METADATA, {}, "/attributes", readable=False)
        self._check_v3_group(node, doc)
        attrs = doc.get("attributes", {})
        # No "attributes" member: findings about the (empty) attributes point at the
        # document, not at a member that is not there.
        group = Group(node, 3, V3_METADATA, attrs if isinstance(attrs, dict) else {},
                      "/attributes" if "attributes" in doc else "")
        self.reader.own(group, node, V3_METADATA)
        return group

    def _check_v3_group(self, node: str, doc: Mapping[str, Any]) -> None:
        add_builtin = self.findings.add_builtin
        if doc.get("zarr_format") != 3:
            add_builtin(B.ZARR_METADATA, node, V3_METADATA, _member(doc, "zarr_format"),
                        f"zarr_format must be 3, found {_found(doc, 'zarr_format')}")
        if doc.get("node_type") != "group":
            add_builtin(B.ZARR_METADATA, node, V3_METADATA, _member(doc, "node_type"),
                        f"node_type must be 'group', found {_found(doc, 'node_type')}")
        if "attributes" in doc and not isinstance(doc["attributes"], dict):
            add_builtin(B.ZARR_METADATA, node, V3_METADATA, "/attributes",
                        "attributes must be a JSON object")

    async def read_array(self, node: str) -> ArrayDocument | None:
        """Read an array's metadata; ``None`` when no array is there."""
        if self.zarr_format == 3:
            doc, _ = await self.reader.read_json(node, V3_METADATA)
            if doc is None or doc.get("node_type") != "array":
                self.reader.drop(node, V3_METADATA)
                return None
            found = ArrayDocument(array_info_v3(node, doc), doc, V3_METADATA)
        else:
            doc, _ = await self.reader.read_json(node, V2_ARRAY)
            if doc is None:
                return None
            found = ArrayDocument(array_info_v2(node, doc), doc, V2_ARRAY)
        self.array_nodes.add(node)
        self.reader.own(found, node, found.name)
        return found

    async def group_exists(self, node: str) -> bool:
        """Whether a Zarr group is at ``node``: one document (.zgroup, or zarr.json)."""
        if self.zarr_format == 3:
            doc, _ = await self.reader.read_json(node, V3_METADATA)
            self.reader.drop(node, V3_METADATA)
            return doc is not None and doc.get("node_type") == "group"
        doc, _ = await self.reader.read_json(node, V2_GROUP)
        self.reader.drop(node, V2_GROUP)
        return doc is not None


def _member(doc: Mapping[str, Any], key: str) -> str:
    """The pointer of ``key`` when the document has it, else of the document: a finding
    points at something that is there."""
    return f"/{key}" if key in doc else ""


def _found(doc: Mapping[str, Any], key: str) -> str:
    return repr(doc[key]) if key in doc else "it is missing"
