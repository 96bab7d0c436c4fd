"""Rules on labels groups that need the label images."""

from __future__ import annotations

from collections.abc import Iterator

from validator.model import Severity
from validator.rules.context import LabelsContext
from validator.rules.registry import Subject, Violation, rule


@rule(
    "labels.paths.exist",
    severity=Severity.ERROR,
    subject=Subject.LABELS_NODE,
    anchor="labels-md",
    summary="Every path the labels group lists is an existing label image (a multiscales group).",
)
def label_paths_exist(ctx: LabelsContext) -> Iterator[Violation]:
    """The OME-Zarr Metadata in the `zarr.json` file associated with the "labels" group MUST
    contain a JSON object with the key `labels`, whose value is a JSON array of paths to the
    labeled multiscale image(s)."""
    labels = ctx.ome.get("labels")
    if not isinstance(labels, list):
        return
    for i, path in enumerate(labels):
        summary = ctx.labels.get(path) if isinstance(path, str) else None
        if summary is None:
            continue
        if not summary.exists:
            yield Violation(f"label image {path!r} is listed but does not exist", ("labels", i))
        elif not summary.is_image:
            yield Violation(f"{path!r} exists but is not a multiscales image", ("labels", i))
