"""Rules on label images: the ``image-label`` metadata and the label arrays.

The shape of ``image-label`` (colors, rgba, properties, source) is checked by the label
schema. These rules check label values repeated across entries, the form of ``source.image``,
and (in a walk) the data type of the label image's arrays.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext, ImageContext
from validator.rules.multiscales import iter_datasets
from validator.rules.plate import repeated_entries
from validator.rules.registry import Subject, Violation, rule

# The integer data types the 0.5 spec lists for label images.
INTEGER_DTYPES = frozenset(
    {"uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"}
)


@rule(
    "image-label.colors.unique-values",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_LABEL,
    anchor="labels-md",
    anchors={"0.4": "label-md"},
    summary="No two entries of 'colors' have the same label-value.",
    versions=("0.4", "0.5", "0.6"),
)
def colors_label_value_unique(image_label: Any, ctx: DocContext) -> Iterator[Violation]:
    """All the values under the `label-value` key MUST be unique. (0.4; 0.5: the `colors`
    array "contains one JSON object for each unique custom label".)

    Compared by label-value, so entries that differ otherwise (e.g. in their rgba) count as
    duplicates too; JSON Schema's ``uniqueItems`` could only see exact copies."""
    colors = image_label.get("colors") if isinstance(image_label, Mapping) else None
    for i, value, first in repeated_entries(colors, "label-value", kind=int, skip_copies=False):
        yield Violation(f"label-value {value} is already used by colors[{first}]",
                        ("colors", i, "label-value"))


@rule(
    "image-label.properties.label-value-unique",
    severity=Severity.WARNING,
    subject=Subject.IMAGE_LABEL,
    anchor="labels-md",
    anchors={"0.4": "label-md"},
    summary="No two entries of 'properties' have the same label-value.",
    versions=("0.4", "0.5", "0.6"),
)
def properties_label_value_unique(image_label: Any, ctx: DocContext) -> Iterator[Violation]:
    """Like the `colors` key, the value of the `properties` key MUST be an array of JSON
    objects describing the set of unique possible pixel values. (0.4: "a list of JSON objects
    which also describes the unique label values".)

    Decision: the spec states uniqueness of properties only by describing them as "unique"
    label values; a warning, not an error."""
    properties = image_label.get("properties") if isinstance(image_label, Mapping) else None
    for i, value, first in repeated_entries(properties, "label-value", kind=int,
                                            skip_copies=False):
        yield Violation(f"label-value {value} is already used by properties[{first}]",
                        ("properties", i, "label-value"))


@rule(
    "image-label.source.relative",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_LABEL,
    anchor="labels-md",
    anchors={"0.4": "label-md"},
    summary="source.image is a relative path (not an absolute path or a URL).",
    versions=("0.4", "0.5", "0.6"),
)
def source_relative(image_label: Any, ctx: DocContext) -> Iterator[Violation]:
    """This object MAY include a key `image`, whose value MUST be a string specifying the
    relative path to a Zarr image group."""
    source = image_label.get("source") if isinstance(image_label, Mapping) else None
    image = source.get("image") if isinstance(source, Mapping) else None
    if not isinstance(image, str):
        return  # absent, or not a string: the schema
    if image.startswith("/") or "://" in image or image.startswith("\\"):
        yield Violation(f"source.image {image!r} is not a relative path", ("source", "image"))


@rule(
    "image-label.arrays.integer",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="labels-md",
    anchors={"0.4": "label-md"},
    summary="The arrays of a label image have an integer data type (error in 0.5; a warning "
    "in 0.4, where only the layout says so).",
    versions=("0.4", "0.5", "0.6"),
)
def arrays_integer(ctx: ImageContext) -> Iterator[Violation]:
    """The pixels of the label images MUST be integer data types, i.e. one of [`uint8`,
    `int8`, `uint16`, `int16`, `uint32`, `int32`, `uint64`, `int64`]. (0.5.) 0.4 says only, in
    the layout: "Each multiscale level is stored as a separate Zarr array, as above, but only
    integer values are supported."

    Checked on groups with "image-label" metadata; a label image that lacks it is reported by
    labels.paths.image-label. Arrays of unknown data type are left to the array rules."""
    if "image-label" not in ctx.ome:
        return
    severity = Severity.WARNING if ctx.version == "0.4" else None
    reported: set[str] = set()
    for _i, _ms, _j, path in iter_datasets(ctx.ome):
        info = ctx.arrays.get(path) if isinstance(path, str) else None
        if info is None or info.dtype is None or info.node in reported:
            continue
        reported.add(info.node)
        if info.dtype not in INTEGER_DTYPES:
            where = ("data_type",) if info.zarr_format == 3 else ("dtype",)
            yield Violation(f"label array {path!r} has data type {info.dtype}; label images "
                            "must have an integer data type", where, node=info.node,
                            severity=severity)
