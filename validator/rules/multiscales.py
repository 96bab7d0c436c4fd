"""Rules on multiscale images that need the arrays: existence, dimensionality, names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import ImageContext
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
    """The axis names of a multiscale (0.4 and 0.5 axes are objects with a name)."""
    axes = multiscale.get("axes")
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
)
def axes_count_matches_ndim(ctx: ImageContext) -> Iterator[Violation]:
    """The length of "axes" must be between 2 and 5 and MUST be equal to the dimensionality of
    the zarr arrays storing the image data (see "datasets:path")."""
    for i, ms, j, path in iter_datasets(ctx.ome):
        axes = ms.get("axes")
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
