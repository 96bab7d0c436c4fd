"""Rules on multiscale images: datasets against each other and against their arrays.

The shape of the multiscales metadata is the image schema's (rules ``multiscales.*``); axes
and coordinate transformations have their own modules (:mod:`validator.rules.axes`,
:mod:`validator.rules.transforms`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import ArrayInfo, DocContext, ImageContext
from validator.rules.multiscale_links import image_axes
from validator.rules.plate import repeated_entries
from validator.rules.registry import Subject, Violation, rule


def iter_datasets(ome: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any], int, Any]]:
    """``(multiscale index, multiscale, dataset index, path)`` for every dataset entry."""
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        if not isinstance(ms, Mapping) or not isinstance(ms.get("datasets"), list):
            continue
        for j, dataset in enumerate(ms["datasets"]):
            if isinstance(dataset, Mapping):
                yield i, ms, j, dataset.get("path")


def axis_names(multiscale: Mapping[str, Any]) -> list[str] | None:
    """The axis names of a multiscale (0.4 and 0.5 axes are objects with a name; 0.6: those
    of its intrinsic coordinate system)."""
    axes = image_axes(multiscale)
    if not isinstance(axes, list):
        return None
    names = []
    for axis in axes:
        if isinstance(axis, Mapping) and isinstance(axis.get("name"), str):
            names.append(axis["name"])
        else:
            return None
    return names


@rule(
    "multiscales.datasets.path-exists",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="Every dataset path names an existing Zarr array.",
    versions=("0.4", "0.5", "0.6"),
)
def dataset_path_exists(ctx: ImageContext) -> Iterator[Violation]:
    """Each dictionary in "datasets" MUST contain the field "path", whose value contains the
    path to the array for this resolution relative to the current zarr group."""
    for i, _ms, j, path in iter_datasets(ctx.ome):
        if isinstance(path, str) and path in ctx.arrays and ctx.arrays[path] is None:
            yield Violation(
                f"dataset path {path!r} does not name a Zarr array",
                ("multiscales", i, "datasets", j, "path"),
            )


@rule(
    "multiscales.axes.count-matches-ndim",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="The number of axes equals the number of dimensions of every dataset array.",
    versions=("0.4", "0.5", "0.6"),
)
def axes_count_matches_ndim(ctx: ImageContext) -> Iterator[Violation]:
    """The length of "axes" must be between 2 and 5 and MUST be equal to the dimensionality of
    the zarr arrays storing the image data (see "datasets:path")."""
    for i, ms, j, path in iter_datasets(ctx.ome):
        axes = image_axes(ms)
        info = ctx.arrays.get(path) if isinstance(path, str) else None
        if info is None or info.ndim is None or not isinstance(axes, list):
            continue
        if len(axes) != info.ndim:
            yield Violation(
                f"{len(axes)} axes, but array {path!r} has {info.ndim} dimensions "
                f"(shape {list(info.shape or ())})",
                ("multiscales", i, "datasets", j, "path"),
            )


@rule(
    "multiscales.dimension-names.match-axes",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="axes-md",
    summary="Each level's zarr.json has dimension_names equal to the axis names (0.5).",
    versions=("0.5",),
)
def dimension_names_match_axes(ctx: ImageContext) -> Iterator[Violation]:
    """The "dimension_names" attribute MUST be included in the `zarr.json` of the Zarr array of
    a multiscale level and MUST match the names in the "axes" metadata."""
    reported: set[str] = set()
    for _i, ms, _j, path in iter_datasets(ctx.ome):
        info = ctx.arrays.get(path) if isinstance(path, str) else None
        names = axis_names(ms)
        if info is None or info.zarr_format != 3 or names is None or info.node in reported:
            continue
        reported.add(info.node)
        if info.dimension_names is None:
            yield Violation(
                f"the array has no dimension_names; they must be {names}",
                (),
                node=info.node,
            )
        elif list(info.dimension_names) != names:
            yield Violation(
                f"dimension_names {list(info.dimension_names)} do not match the axis names "
                f"{names}",
                ("dimension_names",),
                node=info.node,
            )


@rule(
    "multiscales.dimension-names.match-intrinsic",
    severity=Severity.WARNING,
    subject=Subject.IMAGE_NODE,
    anchor="multiscales-md",
    summary="A level's dimension_names, where given, are the intrinsic coordinate system's "
    "axis names (0.6; a warning).",
    versions=("0.6",),
)
def dimension_names_match_intrinsic(ctx: ImageContext) -> Iterator[Violation]:
    """The number of dimensions and order MUST correspond to number and order of `axes`.

    0.6 dropped 0.5's "The "dimension_names" attribute MUST be included in the `zarr.json` of
    the Zarr array of a multiscale level and MUST match the names in the "axes" metadata": a
    0.6 array needs no dimension_names, and axis names are arbitrary. Names that are given and
    differ from the intrinsic system's axis names are still the likeliest sign of dimensions
    in another order than the axes: a warning, once per array."""
    reported: set[str] = set()
    for _i, ms, _j, path in iter_datasets(ctx.ome):
        info = ctx.arrays.get(path) if isinstance(path, str) else None
        names = axis_names(ms)
        if info is None or info.dimension_names is None or names is None:
            continue
        given = list(info.dimension_names)
        if info.node in reported or all(name is None for name in given) or given == names:
            continue
        reported.add(info.node)
        yield Violation(
            f"dimension_names {given} differ from the intrinsic coordinate system's axis names "
            f"{names}; the dimensions must be in the order of the axes",
            ("dimension_names",),
            node=info.node,
        )


@rule(
    "multiscales.datasets.path-unique",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    summary="No two datasets of a multiscale name the same path.",
    versions=("0.4", "0.5", "0.6"),
)
def dataset_path_unique(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """Each "multiscales" dictionary MUST contain the field "datasets", which is a list of
    dictionaries describing the arrays storing the individual resolution levels. [...] The
    "path"s MUST be ordered from largest (i.e. highest resolution) to smallest.

    The spec has no sentence saying "unique", but a path named twice makes one array two
    resolution levels, with two pixel sizes or a level that is not smaller than the one
    before: an error. Exact copies of an earlier dataset are reported here too (the schema
    has no ``uniqueItems`` on datasets)."""
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        if not isinstance(ms, Mapping):
            continue
        datasets = ms.get("datasets")
        for j, path, first in repeated_entries(datasets, "path", kind=str, skip_copies=False):
            yield Violation(f"dataset path {path!r} is already used by datasets[{first}]",
                            (i, "datasets", j, "path"))


def _levels(
    ctx: ImageContext,
) -> Iterator[tuple[int, Mapping[str, Any], list[tuple[int, ArrayInfo]]]]:
    """``(multiscale index, multiscale, [(dataset index, array)])`` for the arrays found."""
    multiscales = ctx.ome.get("multiscales")
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        if not isinstance(ms, Mapping) or not isinstance(ms.get("datasets"), list):
            continue
        found = []
        for j, dataset in enumerate(ms["datasets"]):
            path = dataset.get("path") if isinstance(dataset, Mapping) else None
            info = ctx.arrays.get(path) if isinstance(path, str) else None
            if info is not None:
                found.append((j, info))
        yield i, ms, found


@rule(
    "multiscales.datasets.same-ndim",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="Every level of a multiscale has the same number of dimensions.",
    versions=("0.4", "0.5", "0.6"),
)
def datasets_same_ndim(ctx: ImageContext) -> Iterator[Violation]:
    """Each "datasets" dictionary MUST have the same number of dimensions and MUST NOT have
    more than 5 dimensions.

    When the multiscale has a list of axes, multiscales.axes.count-matches-ndim already
    reports every level whose dimensionality differs from the number of axes, which covers
    levels that differ from each other; this rule then stays silent (one problem, one
    finding) and speaks only when there are no axes to compare with."""
    for i, ms, levels in _levels(ctx):
        if isinstance(image_axes(ms), list):
            continue
        known = [(j, info) for j, info in levels if info.ndim is not None]
        if not known:
            continue
        j0, first = known[0]
        for j, info in known[1:]:
            if info.ndim != first.ndim:
                yield Violation(
                    f"level {j} has {info.ndim} dimensions but level {j0} has {first.ndim}",
                    ("multiscales", i, "datasets", j, "path"),
                )


@rule(
    "multiscales.datasets.max-ndim",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="No level of a multiscale has more than 5 dimensions.",
    versions=("0.4", "0.5", "0.6"),
)
def datasets_max_ndim(ctx: ImageContext) -> Iterator[Violation]:
    """Each "datasets" dictionary MUST have the same number of dimensions and MUST NOT have
    more than 5 dimensions.

    Reported only where multiscales.axes.count-matches-ndim is not already reporting the
    level (that is, when there are no axes, or as many axes as dimensions: then the schema
    rule multiscales.axes.count reports the axes and this rule the array)."""
    for i, ms, levels in _levels(ctx):
        axes = image_axes(ms)
        for j, info in levels:
            if info.ndim is None or info.ndim <= 5:
                continue
            if isinstance(axes, list) and len(axes) != info.ndim:
                continue
            yield Violation(
                f"the array of level {j} has {info.ndim} dimensions (shape "
                f"{list(info.shape or ())}); at most 5 are allowed",
                ("multiscales", i, "datasets", j, "path"),
            )


@rule(
    "multiscales.datasets.shape-order",
    severity=Severity.ERROR,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="Datasets go from highest to lowest resolution: no dimension of the arrays grows "
    "from one level to the next.",
    versions=("0.4", "0.5", "0.6"),
)
def datasets_shape_order(ctx: ImageContext) -> Iterator[Violation]:
    """The "path"s MUST be ordered from largest (i.e. highest resolution) to smallest.

    Each level is compared with the previous level found with the same number of
    dimensions; a level larger than it along any dimension is reported (equal sizes are
    fine: not every axis is downsampled)."""
    for i, _ms, levels in _levels(ctx):
        previous: tuple[int, ArrayInfo] | None = None
        for j, info in levels:
            if info.shape is None:
                continue
            if previous is not None and previous[1].ndim == info.ndim:
                before = previous[1].shape or ()
                larger = [k for k, (a, b) in enumerate(zip(before, info.shape, strict=True))
                          if b > a]
                if larger:
                    yield Violation(
                        f"level {j} (shape {list(info.shape)}) is larger than level "
                        f"{previous[0]} (shape {list(before)}) along dimension"
                        f"{'s' if len(larger) > 1 else ''} {', '.join(map(str, larger))}: "
                        "levels must go from largest to smallest",
                        ("multiscales", i, "datasets", j, "path"),
                    )
            previous = (j, info)


@rule(
    "multiscales.datasets.same-dtype",
    severity=Severity.WARNING,
    subject=Subject.IMAGE_NODE,
    anchor="multiscale-md",
    summary="Every level of a multiscale has the same data type (a warning: the spec does "
    "not say so).",
    versions=("0.4", "0.5", "0.6"),
)
def datasets_same_dtype(ctx: ImageContext) -> Iterator[Violation]:
    """Each "multiscales" dictionary MUST contain the field "datasets", which is a list of
    dictionaries describing the arrays storing the individual resolution levels.

    The spec does not require the levels to share a data type. The levels are versions of
    one image, though, and readers (and label images, whose values are object ids) assume
    one type for the pyramid: a level with another type is a warning. Types are compared by
    their normalised name (``<u2`` and ``>u2`` are both uint16)."""
    for i, _ms, levels in _levels(ctx):
        if not levels:
            continue
        j0, first = levels[0]
        expected = _dtype_key(first)
        for j, info in levels[1:]:
            if _dtype_key(info) != expected:
                yield Violation(
                    f"level {j} has data type {_dtype_text(info)} but level {j0} has "
                    f"{_dtype_text(first)}",
                    ("multiscales", i, "datasets", j, "path"),
                )


def _dtype_key(info: ArrayInfo) -> str:
    return info.dtype if info.dtype is not None else repr(info.raw_dtype)


def _dtype_text(info: ArrayInfo) -> str:
    return info.dtype if info.dtype is not None else json_text(info.raw_dtype)


def json_text(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
