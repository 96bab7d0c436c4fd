"""Rules on wells that need their field images."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from validator.model import Severity
from validator.rules.context import WellContext
from validator.rules.registry import Subject, Violation, rule


@rule(
    "well.images.exist",
    severity=Severity.ERROR,
    subject=Subject.WELL_NODE,
    anchor="well-md",
    summary="Every field the well lists exists as a multiscales image group.",
)
def images_exist(ctx: WellContext) -> Iterator[Violation]:
    """Each image object MUST contain a `path` key whose value MUST be a string specifying the
    path to the field of view. (The field of view is an image: a group implementing
    "multiscales".)"""
    well = ctx.ome.get("well")
    images = well.get("images") if isinstance(well, Mapping) else None
    if not isinstance(images, list):
        return
    for i, image in enumerate(images):
        path = image.get("path") if isinstance(image, Mapping) else None
        summary = ctx.fields.get(path) if isinstance(path, str) else None
        if summary is None:
            continue
        if not summary.exists:
            yield Violation(f"field {path!r} is listed but does not exist",
                            ("well", "images", i, "path"))
        elif not summary.is_image:
            yield Violation(f"field {path!r} exists but has no \"multiscales\" metadata",
                            ("well", "images", i, "path"))
