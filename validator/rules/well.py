"""Rules on wells: repeated fields, acquisitions against the plate's, and the field images.

The shape of the well object is checked by the well schema. The acquisition rules need the
plate, so they run only in a walk that reached the well from its plate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext, WellContext
from validator.rules.plate import acquisition_ids, is_int, repeated_entries
from validator.rules.registry import Subject, Violation, rule


def _images(ome: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    well = ome.get("well")
    images = well.get("images") if isinstance(well, Mapping) else None
    if isinstance(images, list):
        for i, image in enumerate(images):
            if isinstance(image, Mapping):
                yield i, image


@rule(
    "well.images.unique-paths",
    severity=Severity.ERROR,
    subject=Subject.WELL,
    anchor="well-md",
    summary="No two fields of a well have the same path.",
    versions=("0.4", "0.5", "0.6"),
)
def images_path_unique(well: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `path` MUST contain only alphanumeric characters, MUST be case-sensitive, and MUST
    NOT be a duplicate of any other `path` in the `images` list.

    Compared by path, so fields that differ otherwise (e.g. in their acquisition) count too."""
    images = well.get("images") if isinstance(well, Mapping) else None
    for i, path, first in repeated_entries(images, "path", kind=str, skip_copies=False):
        yield Violation(f"field path {path!r} is already used by images[{first}]",
                        ("images", i, "path"))


@rule(
    "well.images.acquisition-required",
    severity=Severity.ERROR,
    subject=Subject.WELL_NODE,
    anchor="well-md",
    summary="When the plate has more than one acquisition, every field names its acquisition.",
    versions=("0.4", "0.5", "0.6"),
)
def acquisition_required(ctx: WellContext) -> Iterator[Violation]:
    """If multiple acquisitions were performed in the plate, it MUST contain an `acquisition`
    key whose value MUST be an integer identifying the acquisition which MUST match one of the
    acquisition JSON objects defined in the plate metadata.

    "Multiple acquisitions were performed" is read as: the plate lists more than one
    acquisition. Runs only when the well was reached from its plate."""
    plate = ctx.plate.get("acquisitions") if isinstance(ctx.plate, Mapping) else None
    if not isinstance(plate, list) or len(plate) < 2:
        return
    for i, image in _images(ctx.ome):
        if "acquisition" not in image:
            yield Violation(
                f"the plate has {len(plate)} acquisitions, but field {image.get('path')!r} "
                "does not say which one it belongs to",
                ("well", "images", i),
            )


@rule(
    "well.images.acquisition-known",
    severity=Severity.ERROR,
    subject=Subject.WELL_NODE,
    anchor="well-md",
    summary="A field's acquisition is the id of one of the plate's acquisitions (a warning "
    "when the plate lists none).",
    versions=("0.4", "0.5", "0.6"),
)
def acquisition_known(ctx: WellContext) -> Iterator[Violation]:
    """[...] it MUST contain an `acquisition` key whose value MUST be an integer identifying
    the acquisition which MUST match one of the acquisition JSON objects defined in the plate
    metadata.

    Decision: a field naming an acquisition of a plate that lists none is a warning (the
    sentence binds plates with multiple acquisitions; a reference to nothing is still
    suspect). Runs only when the well was reached from its plate."""
    if not isinstance(ctx.plate, Mapping):
        return
    listed = ctx.plate.get("acquisitions")
    none = not isinstance(listed, list) or not listed
    ids = set(acquisition_ids(ctx.plate) or [])  # a set: one lookup per field
    shown = sorted(ids)[:20]
    listing = f"{shown}" if len(ids) <= 20 else f"{shown[:-1]} ... ({len(ids)} ids)"
    for i, image in _images(ctx.ome):
        value = image.get("acquisition")
        if not is_int(value):
            continue  # absent (see acquisition-required) or not an integer (the schema)
        where = ("well", "images", i, "acquisition")
        if none:
            yield Violation(f"field {image.get('path')!r} names acquisition {value}, but the "
                            "plate defines no acquisitions", where, severity=Severity.WARNING)
        elif ids and value not in ids:
            yield Violation(f"acquisition {value} is not one of the plate's acquisition ids "
                            f"{listing}", where)


@rule(
    "well.images.exist",
    severity=Severity.ERROR,
    subject=Subject.WELL_NODE,
    anchor="well-md",
    summary="Every field the well lists exists as a multiscales image group.",
    versions=("0.4", "0.5", "0.6"),
)
def images_exist(ctx: WellContext) -> Iterator[Violation]:
    """Each image object MUST contain a `path` key whose value MUST be a string specifying the
    path to the field of view. (The field of view is an image: a group implementing
    "multiscales".)"""
    for i, image in _images(ctx.ome):
        path = image.get("path")
        summary = ctx.fields.get(path) if isinstance(path, str) else None
        if summary is None:
            continue
        if not summary.exists:
            yield Violation(f"field {path!r} is listed but does not exist",
                            ("well", "images", i, "path"))
        elif summary.readable and not summary.is_image:
            yield Violation(f"field {path!r} exists but has no \"multiscales\" metadata",
                            ("well", "images", i, "path"))
