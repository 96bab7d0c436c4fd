"""Visitor of a bioformats2raw collection: the ``OME`` group, its series (or the numbered
images), its OME-XML and, when there is one, its plate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind, join_node
from validator.rules import Bioformats2rawContext, ImageSummary, Subject
from validator.walk.reading import gather_bounded, gather_pair
from validator.walk.visitors.images import visit_child_image, visit_opened_image
from validator.walk.visitors.plate import visit_plate

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group

OME_XML = "METADATA.ome.xml"


async def visit_bioformats2raw(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str
) -> None:
    walk.visit_node(group.node, NodeKind.BIOFORMATS2RAW)
    ome_node = join_node(group.node, "OME")
    series_group, (xml, xml_unreadable) = await gather_pair(
        walk.layout.open_group(ome_node, probe=True),
        walk.reader.fetch_reported(ome_node, OME_XML))
    series: Mapping[str, Any] | None = None
    listed: list[str] = []
    if series_group is not None:
        _, series, series_base = await walk.check_group(series_group)
        walk.visit_node(series_group.node, NodeKind.SERIES)
        value = series.get("series")
        entries = [(("series", i), p) for i, p in enumerate(value)
                   ] if isinstance(value, list) else []
        # Series paths are relative to the bioformats2raw group, not to OME/.
        listed = walk.findings.safe_children(series_group, series_base, entries)
    plate_images: tuple[str, ...] = ()
    if "plate" in ome:
        # The plate takes precedence: its fields are walked once, as the plate's; series
        # entries naming them are not visited again (that would repeat every finding).
        wells = await visit_plate(walk, group, ome, base)
        plate_images = tuple(join_node(path, field) for path, well in wells.items()
                             if well.is_well for field in well.images)
    if "plate" not in ome and (series is None or "series" not in series):
        images = await _probe_numbered_images(walk, group.node)
    else:
        known = set(plate_images)
        paths = [p for p in listed if p not in known]
        summaries = await gather_bounded(
            paths, lambda p: visit_child_image(walk, join_node(group.node, p),
                                               probe_labels=True),
            walk.options.concurrency)
        images = dict(zip(paths, summaries, strict=True))
    ctx = Bioformats2rawContext(group.node, walk.version.id, ome, series, xml, images,
                                plate_images, xml_unreadable)
    walk.findings.run_rules(Subject.BIOFORMATS2RAW_NODE, ctx, group.node,
                            location=(group.document, base))


async def _probe_numbered_images(walk: Walk, node: str) -> dict[str, ImageSummary]:
    # Without a series list, images live in consecutive groups 0, 1, 2, ...: the only
    # way to find how many is to look, a batch at a time, until one is missing. Groups
    # are opened first and walked only up to the first gap, so that groups past it
    # (not part of the collection) are not checked; batches grow, so that a large
    # collection costs few round trips and a single image few wasted requests.
    images: dict[str, ImageSummary] = {}
    start, batch = 0, 8
    while True:
        names = [str(i) for i in range(start, start + batch)]
        groups = await gather_bounded(
            names, lambda n: walk.layout.open_group(join_node(node, n), probe=True), batch)
        present: list[Group] = []
        for found in groups:
            if found is None:
                break
            present.append(found)
        summaries = await gather_bounded(
            present, lambda g: visit_opened_image(walk, g, probe_labels=True),
            walk.options.concurrency)
        images.update(zip(names, summaries, strict=False))
        if len(present) < batch:
            return images
        start += batch
        batch = min(batch * 2, max(8, walk.options.concurrency))
