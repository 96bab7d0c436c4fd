"""Visitor of a ``labels`` group: every label image it lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind, join_node
from validator.rules import ImageSummary, LabelsContext, Subject
from validator.walk.reading import gather_bounded
from validator.walk.visitors import images

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def visit_labels(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str, *,
    parent: ImageSummary | None = None,
) -> dict[str, ImageSummary]:
    """Check a labels group: each label image it lists (not its labels), then the rules.
    Returns the label images' summaries by path (relative to the labels group)."""
    walk.visit_node(group.node, NodeKind.LABELS)
    listed = ome.get("labels")
    entries = [(("labels", i), p) for i, p in enumerate(listed)] if isinstance(
        listed, list) else []
    paths = walk.findings.safe_children(group, base, entries)
    summaries = await gather_bounded(
        paths,
        lambda p: images.visit_child_image(walk, join_node(group.node, p), label=True),
        walk.options.concurrency,
    )
    found = dict(zip(paths, summaries, strict=True))
    ctx = LabelsContext(group.node, walk.version.id, ome, parent, found)
    walk.findings.run_rules(Subject.LABELS_NODE, ctx, group.node,
                            location=(group.document, base))
    return found
