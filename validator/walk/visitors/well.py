"""Visitor of a well: its field images (only the first with ``--fields first``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind, join_node
from validator.rules import Subject, WellContext, WellSummary
from validator.walk.reading import gather_bounded
from validator.walk.visitors.images import visit_child_image

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def visit_well(walk: Walk, node: str, plate: Mapping[str, Any]) -> WellSummary:
    """Open and check a well its plate lists."""
    group = await walk.layout.open_group(node)
    if group is None:
        return WellSummary(node=node, exists=False)
    if not group.readable:
        return WellSummary(node=node, exists=True, readable=False)
    _, ome, base = await walk.check_group(group)
    if "well" not in ome:
        return WellSummary(node=node, exists=True)
    return await visit_well_body(walk, group, ome, base, plate=plate)


async def visit_well_body(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str,
    *, plate: Mapping[str, Any] | None = None,
) -> WellSummary:
    """Check a well whose OME metadata is read (``plate``: when reached from one)."""
    walk.visit_node(group.node, NodeKind.WELL)
    well = ome.get("well")
    well = well if isinstance(well, Mapping) else {}
    images = well.get("images")
    images = images if isinstance(images, list) else []
    entries = [(("well", "images", i, "path"), im.get("path")) for i, im in enumerate(images)
               if isinstance(im, Mapping)]
    paths = walk.findings.safe_children(group, base, entries)
    visited = paths
    if walk.options.fields == "first" and len(paths) > 1:
        visited = paths[:1]
        walk.fields_skipped += len(paths) - 1
        walk.fields_skipped_wells += 1
    # A field is an image, and its labels are part of the dataset: read by default.
    plate_labels = walk.options.plate_labels
    if not plate_labels:
        walk.labels_skipped += len(visited)
    summaries = await gather_bounded(
        visited,
        lambda p: visit_child_image(walk, join_node(group.node, p), probe_labels=plate_labels),
        walk.options.concurrency,
    )
    ctx = WellContext(group.node, walk.version.id, ome, plate,
                      dict(zip(visited, summaries, strict=True)))
    walk.findings.run_rules(Subject.WELL_NODE, ctx, group.node,
                            location=(group.document, base))
    acquisitions = tuple(im.get("acquisition") for im in images if isinstance(im, Mapping))
    return WellSummary(node=group.node, exists=True, is_well=True, images=tuple(paths),
                       acquisitions=acquisitions)
