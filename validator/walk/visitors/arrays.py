"""Visitor of an array named by a multiscales dataset: its metadata and the array rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from validator.model import NodeKind
from validator.rules import ArrayContext, ArrayInfo, Subject

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import ArrayDocument


async def visit_array(walk: Walk, node: str) -> ArrayInfo | None:
    """Read an array's metadata and check it; ``None`` when no array is there."""
    found = await walk.layout.read_array(node)
    if found is None:
        return None
    return check_array(walk, node, found)


def check_array(walk: Walk, node: str, found: ArrayDocument) -> ArrayInfo:
    """Check an array whose metadata is read."""
    walk.visit_node(node, NodeKind.ARRAY)
    ctx = ArrayContext(node, walk.version.id, found.info.zarr_format, found.document, found.info)
    walk.findings.run_rules(Subject.ARRAY_NODE, ctx, node, location=(found.name, ""))
    return found.info
