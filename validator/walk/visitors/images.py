"""Visitor of an image (a ``multiscales`` group): its arrays, then its ``labels`` group, then
(0.6) what its transformations name in other groups (:mod:`~validator.walk.visitors.links`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.document import declared_version
from validator.model import NodeKind, join_node
from validator.rules import ArrayInfo, ImageContext, ImageSummary, Subject
from validator.rules.links import coordinate_summary
from validator.rules.multiscale_links import image_axes
from validator.walk.reading import gather_bounded, gather_pair
from validator.walk.visitors import labels, links
from validator.walk.visitors.arrays import visit_array

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


async def visit_image(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str, *, probe_labels: bool = True,
    label: bool = False,
) -> ImageSummary:
    """Check an image group whose OME metadata is read: every dataset's array and (with
    ``probe_labels``) the ``labels`` group beside them, read together, then the image rules."""
    walk.visit_node(group.node, NodeKind.LABEL_IMAGE if label else NodeKind.IMAGE)
    entries: list[tuple[tuple[str | int, ...], Any]] = []
    multiscales = ome.get("multiscales")
    if isinstance(multiscales, list):
        for i, ms in enumerate(multiscales):
            if not isinstance(ms, Mapping):
                continue
            datasets = ms.get("datasets")
            if isinstance(datasets, list):
                entries.extend(
                    (("multiscales", i, "datasets", j, "path"), d.get("path"))
                    for j, d in enumerate(datasets) if isinstance(d, Mapping)
                )
    paths = walk.findings.safe_children(group, base, entries)
    arrays_read = gather_bounded(
        paths, lambda p: visit_array(walk, join_node(group.node, p)), walk.options.concurrency
    )
    labels_group: Group | None = None
    if probe_labels:
        # No metadata names an image's labels group: it is looked for alongside the arrays,
        # so that it costs a request (a 404 where there is none) but no round trip.
        infos, labels_group = await gather_pair(
            arrays_read, walk.layout.open_group(join_node(group.node, "labels"), probe=True))
    else:
        infos = await arrays_read
    arrays = dict(zip(paths, infos, strict=True))
    labels_summary: ImageSummary | None = None
    summary = image_summary(group.node, ome, arrays)
    label_images: dict[str, ImageSummary] = {}
    if labels_group is not None:
        labels_summary, label_images = await visit_labels_group(walk, labels_group, summary)
    if walk.version.linked_transformations:
        await links.check_links(walk, group, ome, base, "image", known=label_images,
                                known_arrays=arrays)
    ctx = ImageContext(group.node, walk.version.id, ome, arrays, labels_summary)
    walk.findings.run_rules(Subject.IMAGE_NODE, ctx, group.node,
                            location=(group.document, base))
    return summary


async def visit_labels_group(
    walk: Walk, group: Group, summary: ImageSummary
) -> tuple[ImageSummary, dict[str, ImageSummary]]:
    """Check the ``labels`` group found inside the image of ``summary``; returns its summary
    and those of the label images it lists (by path relative to the image)."""
    node = group.node
    _, ome, base = await walk.check_group(group)
    if "labels" not in ome:
        return ImageSummary(node=node, exists=True, is_group=True), {}
    found = await labels.visit_labels(walk, group, ome, base, parent=summary)
    return (ImageSummary(node=node, exists=True, is_group=True),
            {f"labels/{path}": label for path, label in found.items()})


async def visit_child_image(walk: Walk, node: str, *, label: bool = False,
                            probe_labels: bool = False) -> ImageSummary:
    """Open and check an image a parent names (a label, a field, a series entry)."""
    group = await walk.layout.open_group(node)
    if group is None:
        return ImageSummary(node=node, exists=False)
    if not group.readable:
        return ImageSummary(node=node, exists=True, readable=False)
    return await visit_opened_image(walk, group, label=label, probe_labels=probe_labels)


async def visit_opened_image(walk: Walk, group: Group, *, label: bool = False,
                             probe_labels: bool = False) -> ImageSummary:
    """What :func:`visit_child_image` does once the group is open."""
    _, ome, base = await walk.check_group(group)
    if "multiscales" not in ome:
        return ImageSummary(node=group.node, exists=True,
                            is_group=group.node not in walk.layout.array_nodes,
                            is_label="image-label" in ome)
    return await visit_image(walk, group, ome, base, probe_labels=probe_labels, label=label)


def image_summary(
    node: str, ome: Mapping[str, Any], arrays: Mapping[str, ArrayInfo | None]
) -> ImageSummary:
    multiscales = ome.get("multiscales")
    first = multiscales[0] if isinstance(multiscales, list) and multiscales else {}
    first = first if isinstance(first, Mapping) else {}
    datasets = first.get("datasets")
    n_datasets = len(datasets) if isinstance(datasets, list) else 0
    axes = image_axes(first)
    names: list[str] = []
    if isinstance(axes, list):
        for axis in axes:
            if isinstance(axis, Mapping) and isinstance(axis.get("name"), str):
                names.append(axis["name"])
            elif isinstance(axis, str):
                names.append(axis)
    ndims = Counter(a.ndim for a in arrays.values() if a is not None and a.ndim is not None)
    ndim = ndims.most_common(1)[0][0] if ndims else None
    level0 = datasets[0] if isinstance(datasets, list) and datasets else None
    first_path = level0.get("path") if isinstance(level0, Mapping) else None
    first_array = arrays.get(first_path) if isinstance(first_path, str) else None
    image_label = ome.get("image-label")
    source = image_label.get("source") if isinstance(image_label, Mapping) else None
    source_image = source.get("image") if isinstance(source, Mapping) else None
    systems, intrinsic, own_links = coordinate_summary(ome)
    # A label image listed by a labels group is not is_label for that: the labels rules need
    # to tell a listed label image without "image-label" metadata from one with it.
    return ImageSummary(
        node=node, exists=True, is_group=True, is_image=True,
        is_label="image-label" in ome, version=declared_version_of(ome),
        datasets=n_datasets, ndim=ndim, axes=tuple(names),
        shape=first_array.shape if first_array is not None else None,
        label_source=source_image if isinstance(source_image, str) else None,
        systems=systems, intrinsic=intrinsic, links=own_links,
    )


def declared_version_of(ome: Mapping[str, Any]) -> str | None:
    version = ome.get("version")
    if version is not None:
        return str(version)
    return declared_version(ome)
