"""Visitor of a scene (0.6): every image its transformations name, then the links rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind
from validator.walk.visitors.links import check_links

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def visit_scene(walk: Walk, group: Group, ome: Mapping[str, Any], base: str) -> None:
    """Check a scene group: the images its transformations name (each as an image at the root
    is, labels included), the parameter arrays and fields they name, then the rules about
    them. The scene document's own rules ran with its document checks."""
    walk.visit_node(group.node, NodeKind.SCENE)
    await check_links(walk, group, ome, base, "scene")
