"""What 0.6 transformations name in other groups: parameter arrays, vector fields, systems.

An image's or a scene's transformations may keep parameters in arrays and vector fields in
multiscale groups (``path``), and link systems of other groups (``input``/``output`` ``path``:
an image's label images, a scene's images). Those groups and arrays are named by the
metadata, so the walk reads them -- their metadata only, never their data, all at once within
the in-flight cap -- and runs the ``LINKS_NODE`` rules (:mod:`validator.rules.links`) on what
it found. Every ``path`` is relative to the group whose metadata holds it (the choice is
explained in :mod:`validator.rules.links`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import join_node
from validator.rules import ArrayInfo, ImageSummary, LinksContext, Subject
from validator.rules.links import parameter_paths, target_paths
from validator.walk.reading import gather_bounded
from validator.walk.visitors import images
from validator.walk.visitors.arrays import visit_array

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def check_links(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str, kind: str, *,
    known: Mapping[str, ImageSummary] | None = None,
) -> None:
    """Read what the transformations of ``group`` name and run the links rules.

    ``kind``: ``"image"`` or ``"scene"``. ``known``: groups below this one already visited
    (an image's label images, by path relative to it), not read twice."""
    known = known or {}
    arrays_at: list[tuple[tuple[str | int, ...], Any]] = []
    fields_at: list[tuple[tuple[str | int, ...], Any]] = []
    for tokens, path, is_field in parameter_paths(ome):
        (fields_at if is_field else arrays_at).append((tokens, path))
    safe = walk.findings.safe_children
    array_paths = safe(group, base, arrays_at)
    field_paths = safe(group, base, fields_at)
    target_list = safe(group, base, list(target_paths(ome)))
    unread = [p for p in target_list if p not in known and p not in field_paths]
    limit = walk.options.concurrency
    found_arrays, found_fields, found_targets = await asyncio.gather(
        gather_bounded(array_paths, lambda p: visit_array(walk, join_node(group.node, p)),
                       limit),
        gather_bounded(field_paths,
                       lambda p: images.visit_child_image(walk, join_node(group.node, p)),
                       limit),
        gather_bounded(unread, lambda p: _visit_target(walk, group.node, p, kind), limit),
    )
    fields = dict(zip(field_paths, found_fields, strict=True))
    targets = {**{p: s for p, s in known.items() if p in target_list},
               **dict(zip(unread, found_targets, strict=True)),
               **{p: fields[p] for p in target_list if p in fields}}
    arrays: dict[str, ArrayInfo | None] = dict(zip(array_paths, found_arrays, strict=True))
    ctx = LinksContext(group.node, walk.version.id, kind, ome, arrays, fields, targets)
    walk.findings.run_rules(Subject.LINKS_NODE, ctx, group.node,
                            location=(group.document, base))


async def _visit_target(walk: Walk, node: str, path: str, kind: str) -> ImageSummary:
    """A group a transformation's ``input``/``output`` names: a scene's image (checked as an
    image at the root is, labels included) or an image's label image."""
    child = join_node(node, path)
    if kind == "scene":
        return await images.visit_child_image(walk, child, probe_labels=True)
    return await images.visit_child_image(walk, child, label=True)
