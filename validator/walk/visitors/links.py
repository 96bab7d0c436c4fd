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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import join_node
from validator.rules import ArrayInfo, ImageSummary, LinksContext, Subject
from validator.rules.links import parameter_paths, target_paths
from validator.walk.layout import ArrayDocument
from validator.walk.reading import gather_bounded, gather_pair
from validator.walk.visitors import images
from validator.walk.visitors.arrays import check_array, visit_array

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def check_links(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str, kind: str, *,
    known: Mapping[str, ImageSummary] | None = None,
    known_arrays: Mapping[str, ArrayInfo | None] | None = None,
) -> None:
    """Read what the transformations of ``group`` name and run the links rules.

    ``kind``: ``"image"`` or ``"scene"``. ``known``: groups below this one already visited
    (an image's label images, by path relative to it) and ``known_arrays`` (an image's
    dataset arrays) are not read twice: a document is read once per walk (the consolidated
    copy hands each one out once)."""
    known = known or {}
    known_arrays = known_arrays or {}
    arrays_at: list[tuple[tuple[str | int, ...], Any]] = []
    fields_at: list[tuple[tuple[str | int, ...], Any]] = []
    for tokens, path, is_field in parameter_paths(ome):
        (fields_at if is_field else arrays_at).append((tokens, path))
    safe = walk.findings.safe_children
    array_paths = safe(group, base, arrays_at)
    field_paths = safe(group, base, fields_at)
    target_list = safe(group, base, list(target_paths(ome)))
    unread = [p for p in target_list if p not in known and p not in field_paths]
    new_arrays = [p for p in array_paths if p not in known_arrays]
    new_fields = [p for p in field_paths if p not in known_arrays]
    limit = walk.options.concurrency
    found_arrays, (found_fields, found_targets) = await gather_pair(
        gather_bounded(new_arrays, lambda p: visit_array(walk, join_node(group.node, p)),
                       limit),
        gather_pair(
            gather_bounded(new_fields, lambda p: _visit_field(walk, join_node(group.node, p)),
                           limit),
            gather_bounded(unread, lambda p: _visit_target(walk, group.node, p, kind), limit)),
    )
    fields = dict(zip(new_fields, found_fields, strict=True))
    for p in field_paths:
        if p in known_arrays:  # a dataset array of the image itself: an array, not a group
            fields[p] = ImageSummary(node=join_node(group.node, p),
                                     exists=known_arrays[p] is not None, is_group=False)
    targets = {**{p: s for p, s in known.items() if p in target_list},
               **dict(zip(unread, found_targets, strict=True)),
               **{p: fields[p] for p in target_list if p in fields}}
    arrays: dict[str, ArrayInfo | None] = {
        **{p: known_arrays[p] for p in array_paths if p in known_arrays},
        **dict(zip(new_arrays, found_arrays, strict=True))}
    ctx = LinksContext(group.node, walk.version.id, kind, ome, arrays, fields, targets)
    walk.findings.run_rules(Subject.LINKS_NODE, ctx, group.node,
                            location=(group.document, base))


async def _visit_field(walk: Walk, node: str) -> ImageSummary:
    """A vector field: a multiscale group by the spec; an array there (as some writers put
    it) is checked as an array and summarised as what it is, not a group."""
    found = await walk.layout.open_node(node)
    if found is None:
        return ImageSummary(node=node, exists=False)
    if isinstance(found, ArrayDocument):
        check_array(walk, node, found)
        return ImageSummary(node=node, exists=True, is_group=False)
    if not found.readable:
        return ImageSummary(node=node, exists=True, readable=False)
    return await images.visit_opened_image(walk, found)


async def _visit_target(walk: Walk, node: str, path: str, kind: str) -> ImageSummary:
    """A group a transformation's ``input``/``output`` names: a scene's image (checked as an
    image at the root is, labels included) or an image's label image."""
    child = join_node(node, path)
    if kind == "scene":
        return await images.visit_child_image(walk, child, probe_labels=True)
    return await images.visit_child_image(walk, child, label=True)
