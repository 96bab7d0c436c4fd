"""Rules on labels groups: the label images they list, against the image they belong to.

Label images are reached from the labels group (``LABELS_NODE``), which knows the parent image
(``LabelsContext.parent``) and a summary of every listed label image. Findings about a label
image are reported on that image's own metadata document (``Violation.node``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext, ImageSummary, LabelsContext
from validator.rules.registry import Subject, Violation, rule


def _listed(ctx: LabelsContext) -> Iterator[tuple[int, str, ImageSummary]]:
    """``(index, path, summary)`` of every listed label image the walk found as an image."""
    labels = ctx.ome.get("labels")
    if not isinstance(labels, list):
        return
    for i, path in enumerate(labels):
        summary = ctx.labels.get(path) if isinstance(path, str) else None
        if summary is not None and summary.exists and summary.is_image:
            yield i, path, summary


@rule(
    "labels.paths.exist",
    severity=Severity.ERROR,
    subject=Subject.LABELS_NODE,
    anchor="labels-md",
    summary="Every path the labels group lists is an existing label image (a multiscales group).",
    versions=("0.4", "0.5", "0.6"),
)
def label_paths_exist(ctx: LabelsContext) -> Iterator[Violation]:
    """The OME-Zarr Metadata in the `zarr.json` file associated with the "labels" group MUST
    contain a JSON object with the key `labels`, whose value is a JSON array of paths to the
    labeled multiscale image(s). [...] The `zarr.json` file for the label image MUST implement
    the multiscales specification. (0.4: `image-label` groups MUST also contain
    `multiscales` metadata.)"""
    labels = ctx.ome.get("labels")
    if not isinstance(labels, list):
        return
    for i, path in enumerate(labels):
        summary = ctx.labels.get(path) if isinstance(path, str) else None
        if summary is None:
            continue
        if not summary.exists:
            yield Violation(f"label image {path!r} is listed but does not exist", ("labels", i))
        elif summary.readable and not summary.is_image:
            yield Violation(f"{path!r} exists but is not a multiscales image", ("labels", i))


@rule(
    "labels.paths.image-label",
    severity=Severity.WARNING,
    subject=Subject.LABELS_NODE,
    anchor="labels-md",
    summary="Every label image the labels group lists has 'image-label' metadata.",
    versions=("0.4", "0.5", "0.6"),
)
def label_paths_image_label(ctx: LabelsContext) -> Iterator[Violation]:
    """In addition to the `multiscales` key, the OME-Zarr Metadata in this image-level
    `zarr.json` file SHOULD contain another key, `image-label`, whose value is also a JSON
    object.

    0.4 says so only in the layout ("Metadata of the related image and as well as display
    information under the "image-label" key"); a warning in both versions."""
    for i, path, summary in _listed(ctx):
        if not summary.is_label:
            yield Violation(f"label image {path!r} is a multiscales image without "
                            "\"image-label\" metadata", ("labels", i))


@rule(
    "labels.datasets.count-matches-parent",
    severity=Severity.ERROR,
    subject=Subject.LABELS_NODE,
    anchor="labels-md",
    summary="A label image has as many multiscale levels (datasets) as the image it labels.",
    versions=("0.4", "0.5", "0.6"),
)
def datasets_count_matches_parent(ctx: LabelsContext) -> Iterator[Violation]:
    """Within the `multiscales` object, the JSON array associated with the `datasets` key MUST
    have the same number of entries (scale levels) as the original unlabeled image. (0.4:
    `image-label` groups MUST also contain `multiscales` metadata and the two "datasets"
    series MUST have the same number of entries.)

    The first multiscale of each is compared. Runs when the labels group was reached from
    its image."""
    parent = ctx.parent
    if parent is None or not parent.is_image or parent.datasets == 0:
        return
    for _i, path, summary in _listed(ctx):
        if summary.datasets and summary.datasets != parent.datasets:
            yield Violation(
                f"label image {path!r} has {summary.datasets} datasets, but the image it "
                f"labels has {parent.datasets}",
                ("multiscales", 0, "datasets"),
                node=summary.node,
            )


@rule(
    "labels.shape.matches-parent",
    severity=Severity.WARNING,
    subject=Subject.LABELS_NODE,
    anchor="image-layout",
    summary="Each dimension of a label image is the size of the image's dimension of the same "
    "axis, or 1.",
    versions=("0.4", "0.5", "0.6"),
)
def shape_matches_parent(ctx: LabelsContext) -> Iterator[Violation]:
    """Each dimension of the label should be either the same as the corresponding dimension of
    the image, or `1` if that dimension of the label is irrelevant. (Layout of both versions.)

    Decision: dimensions correspond by axis name, at the first (highest) resolution level;
    a label axis the image lacks is not compared (the spec does not say what it corresponds
    to). A warning: the sentence is a comment of the layout, in lower case."""
    parent = ctx.parent
    if parent is None or parent.shape is None or len(parent.axes) != len(parent.shape):
        return
    sizes = dict(zip(parent.axes, parent.shape, strict=True))
    for _i, path, summary in _listed(ctx):
        if summary.shape is None or len(summary.axes) != len(summary.shape):
            continue
        wrong = [f"{axis} is {size}, the image's is {sizes[axis]}"
                 for axis, size in zip(summary.axes, summary.shape, strict=True)
                 if axis in sizes and size not in (1, sizes[axis])]
        if wrong:
            yield Violation(
                f"label image {path!r} does not match the image it labels: {'; '.join(wrong)} "
                "(each should be the same or 1)",
                ("multiscales", 0, "datasets", 0, "path"),
                node=summary.node,
            )


def _resolve(node: str, relative: str) -> str | None:
    """``relative`` resolved against the group ``node``; ``None`` when it leaves the root."""
    joined = posixpath.normpath(posixpath.join(node or ".", relative))
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


@rule(
    "image-label.source.resolves",
    severity=Severity.WARNING,
    subject=Subject.LABELS_NODE,
    anchor="labels-md",
    summary="A label's source.image names the image the label belongs to (info when that "
    "cannot be verified without fetching it).",
    versions=("0.4", "0.5", "0.6"),
)
def source_resolves(ctx: LabelsContext) -> Iterator[Violation]:
    """This object MAY include a key `image`, whose value MUST be a string specifying the
    relative path to a Zarr image group. The default value is `../../` since most labeled
    images are stored in a "labels" group that is nested within the original image group.

    Decision: only a source.image that is written is checked (a nested label that relies on
    the default is not reported). It passes when it resolves to the image that holds the
    labels group; it is a warning when it resolves to the labels group or to the label image
    itself (neither is the original image); otherwise it is info, not verified: the walk
    fetches only what the metadata lists, and a path that leaves the validated hierarchy
    cannot be followed at all."""
    parent = ctx.parent
    for _i, _path, summary in _listed(ctx):
        source = summary.label_source
        if source is None or source.startswith("/") or "://" in source:
            continue  # absent; absolute paths and URLs: image-label.source.relative
        where = ("image-label", "source", "image")
        target = _resolve(summary.node, source)
        if target is not None and parent is not None and parent.is_image and (
            target == parent.node
        ):
            continue
        if target in (ctx.node, summary.node):
            what = "the labels group" if target == ctx.node else "the label image itself"
            yield Violation(f"source.image {source!r} resolves to {what}, not to the image "
                            "the label derives from", where, node=summary.node)
            continue
        detail = ("leaves the validated hierarchy" if target is None else
                  f"resolves to {target or '(the root)'!r}, which is not the image holding "
                  "this labels group")
        yield Violation(f"source.image {source!r} {detail}; it could not be verified",
                        where, node=summary.node, severity=Severity.INFO)


@rule(
    "labels.group.not-image",
    severity=Severity.WARNING,
    subject=Subject.LABELS,
    anchor="labels-md",
    summary="A labels group is not itself an image (no 'multiscales' beside 'labels').",
    versions=("0.5", "0.6"),
)
def labels_group_not_image(labels: Any, ctx: DocContext) -> Iterator[Violation]:
    """The "labels" group is not itself an image; it contains images.

    A group with both keys is walked as an image: its labels list is not followed. A warning:
    the sentence is descriptive (0.5 only; 0.4 says nothing of it)."""
    if isinstance(ctx.ome, Mapping) and "multiscales" in ctx.ome:
        yield Violation("this group has both \"labels\" and \"multiscales\": a labels group "
                        "is not an image, and its label images will not be checked")
