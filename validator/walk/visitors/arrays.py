"""Visitor of an array named by a multiscales dataset: its metadata and the array rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from validator.model import NodeKind, join_node
from validator.rules import ArrayContext, ArrayInfo, Subject

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.findings import RuleOutcome
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
    version = walk.version.id
    ctx = ArrayContext(node, version, found.info.zarr_format, found.document, found.info)
    findings = walk.findings

    outcomes: Sequence[RuleOutcome]
    if join_node(node, found.name) in walk.reader.large:
        outcomes = findings.collect(Subject.ARRAY_NODE, ctx)  # rare: not worth a memo entry
    else:
        # The array rules read the document, the version and the Zarr format, never the
        # node's path (ArrayContext.node): the same document gives the same outcomes.
        outcomes = walk.memo.array_outcomes(
            (version, found.info.zarr_format, found.name), found.document,
            lambda: findings.collect(Subject.ARRAY_NODE, ctx))
    findings.add_outcomes(outcomes, node, location=(found.name, ""))
    return found.info
