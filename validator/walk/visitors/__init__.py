"""The visitors: one per node kind, dispatched from :data:`NODE_KINDS` by OME metadata key.

A group's OME metadata says what the node is. Each entry of the table names a key, the visitor
that checks a group holding it, and the keys whose visitor takes such a group over (a
bioformats2raw collection visits its own plate; a plate visits its own wells; an image visits
its own labels). Entries run in table order; a group none of them takes is a plain group.
A new node kind is one visitor module and one entry here.

``image-label`` has no entry: a label image is an image (``multiscales``), checked as one; its
``image-label`` metadata is what the labels rules read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind
from validator.walk.visitors.bf2raw import visit_bioformats2raw
from validator.walk.visitors.images import visit_image
from validator.walk.visitors.labels import visit_labels
from validator.walk.visitors.plate import visit_plate
from validator.walk.visitors.scene import visit_scene
from validator.walk.visitors.well import visit_well_body

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group

#: ``visit(walk, group, ome, base)``: check a group whose OME metadata (at ``base``) is read.
Visitor = Callable[["Walk", "Group", Mapping[str, Any], str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class NodeKindEntry:
    """A node kind: the OME metadata key that makes a group one, and its visitor."""

    key: str
    visit: Visitor
    #: Keys whose visitor, when the group holds them too, checks this key's part itself.
    unless: tuple[str, ...] = ()


NODE_KINDS: tuple[NodeKindEntry, ...] = (
    NodeKindEntry("bioformats2raw.layout", visit_bioformats2raw),
    NodeKindEntry("plate", visit_plate, unless=("bioformats2raw.layout",)),
    NodeKindEntry("well", visit_well_body, unless=("plate",)),
    NodeKindEntry("multiscales", visit_image),
    NodeKindEntry("labels", visit_labels, unless=("multiscales",)),
    NodeKindEntry("scene", visit_scene),
)


async def visit_group(walk: Walk, group: Group) -> None:
    """Check a group reached from no parent's metadata (the root): whatever its metadata is."""
    _, ome, base = await walk.check_group(group)
    for entry in NODE_KINDS:
        if entry.key in ome and not any(key in ome for key in entry.unless):
            await entry.visit(walk, group, ome, base)
    if not any(entry.key in ome for entry in NODE_KINDS):
        walk.visit_node(group.node, NodeKind.GROUP)


__all__ = ["NODE_KINDS", "NodeKindEntry", "Visitor", "visit_group"]
