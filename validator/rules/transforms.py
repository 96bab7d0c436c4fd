"""Rules on the ``coordinateTransformations`` of multiscales and of their datasets.

The image schema checks each list alone: transformation objects with a ``type``, only
``scale`` and ``translation``, exactly one ``scale``, at most one ``translation``, vectors of
numbers (rules ``multiscales.transformations.*``). These rules relate a list to its order, to
the axes, and the datasets' scales to each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.registry import Subject, Violation, rule

Path = tuple[str | int, ...]
_VECTOR_TYPES = ("scale", "translation")


def iter_transform_lists(
    multiscales: Any,
) -> Iterator[tuple[int, Mapping[str, Any], Path, list[Any]]]:
    """``(multiscale index, multiscale, path, list)`` of every coordinateTransformations list:
    the multiscale's own (if any), then each dataset's. ``path`` leads from the multiscales
    list to the transformations list."""
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        if not isinstance(ms, Mapping):
            continue
        own = ms.get("coordinateTransformations")
        if isinstance(own, list):
            yield i, ms, (i, "coordinateTransformations"), own
        datasets = ms.get("datasets")
        if not isinstance(datasets, list):
            continue
        for j, dataset in enumerate(datasets):
            if isinstance(dataset, Mapping):
                transforms = dataset.get("coordinateTransformations")
                if isinstance(transforms, list):
                    yield i, ms, (i, "datasets", j, "coordinateTransformations"), transforms


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def vector(transform: Any, kind: str) -> list[Any] | None:
    """The vector of a ``scale`` or ``translation`` transformation given inline, else None."""
    if not isinstance(transform, Mapping) or transform.get("type") != kind:
        return None
    value = transform.get(kind)
    return value if isinstance(value, list) else None


def dataset_scale(dataset: Any) -> tuple[Path, list[float]] | None:
    """``(path from the dataset's transformations list to the vector, scale vector)`` of a
    dataset's first inline ``scale``, when it is a list of numbers. From 0.6 the scale may be
    the first step of a ``sequence`` (a scale followed by a translation)."""
    if not isinstance(dataset, Mapping):
        return None
    transforms = dataset.get("coordinateTransformations")
    if not isinstance(transforms, list):
        return None
    for t, transform in enumerate(transforms):
        found: tuple[Path, list[Any] | None] = ((t, "scale"), vector(transform, "scale"))
        if isinstance(transform, Mapping) and transform.get("type") == "sequence":
            steps = transform.get("transformations")
            if isinstance(steps, list) and steps:
                found = ((t, "transformations", 0, "scale"), vector(steps[0], "scale"))
        path, scale = found
        if scale is not None:
            return (path, scale) if all(is_number(v) for v in scale) else None
    return None


@rule(
    "multiscales.transformations.translation-after-scale",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    summary="A translation comes after the scale in coordinateTransformations.",
    versions=("0.4", "0.5"),
)
def translation_after_scale(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """If `translation` is given it MUST be listed after `scale` to ensure that it is given in
    physical coordinates.

    For a multiscale's own list: "The transformations MUST follow the same rules about
    allowed types, order, etc. as in "datasets:coordinateTransformations"". A list without a
    scale is the schema's (multiscales.transformations.one-scale)."""
    for _i, _ms, path, transforms in iter_transform_lists(multiscales):
        types = [t.get("type") if isinstance(t, Mapping) else None for t in transforms]
        if "scale" not in types:
            continue
        first_scale = types.index("scale")
        for k, kind in enumerate(types[:first_scale]):
            if kind == "translation":
                yield Violation(
                    f"the translation (coordinateTransformations[{k}]) comes before the "
                    f"scale (coordinateTransformations[{first_scale}]); it must be listed "
                    "after it",
                    (*path, k, "type"),
                )


@rule(
    "multiscales.transformations.length-matches-axes",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    summary="Every scale and translation vector has one entry per axis.",
    versions=("0.4", "0.5"),
)
def vector_length_matches_axes(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The length of the `scale` and `translation` array MUST be the same as the length of
    "axes".

    Applies to the datasets' lists and to the multiscale's own list ("the same rules ... as
    in "datasets:coordinateTransformations""). Vectors stored by ``path`` are not read.

    An error in 0.4 too, as the 0.4 text says. The official 0.4 suite lists one document
    with three axes and a two-entry scale as valid (image_suite.json,
    valid/mismatch_axes_units.json, a units test in which the scale is incidental; the 0.5
    suite fixed it): an upstream erratum, listed as such in tests/test_official_suites.py."""
    for _i, ms, path, transforms in iter_transform_lists(multiscales):
        axes = ms.get("axes")
        if not isinstance(axes, list):
            continue
        for k, transform in enumerate(transforms):
            for kind in _VECTOR_TYPES:
                values = vector(transform, kind)
                if values is not None and len(values) != len(axes):
                    yield Violation(
                        f"the {kind} vector has {len(values)} "
                        f"entr{'y' if len(values) == 1 else 'ies'} but there are {len(axes)} axes",
                        (*path, k, kind),
                    )


@rule(
    "multiscales.datasets.scale-order",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    summary="Datasets go from highest to lowest resolution: no axis's scale decreases from "
    "one level to the next.",
    versions=("0.4", "0.5", "0.6"),
    anchors={"0.6": "multiscales-md"},
)
def datasets_scale_order(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The "path"s MUST be ordered from largest (i.e. highest resolution) to smallest.

    The ``scale`` of a level is its pixel size, so along every axis it must not shrink from
    one level to the next (equal is fine: an axis that is not downsampled keeps its scale).
    Magnitudes are compared, since a negative scale mirrors an axis without changing the
    resolution. The multiscale's own transformations apply to every level alike and do not
    change the order. Levels whose scale is stored by ``path``, or is not a list of numbers,
    are skipped. In 0.6 a level's scale may be the first step of its ``sequence``."""
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        datasets = ms.get("datasets") if isinstance(ms, Mapping) else None
        if not isinstance(datasets, list):
            continue
        previous: tuple[int, list[float]] | None = None
        for j, dataset in enumerate(datasets):
            found = dataset_scale(dataset)
            if found is None:
                continue  # compare the next level with the last one known
            tail, scale = found
            if previous is not None and len(previous[1]) == len(scale):
                smaller = [k for k, (a, b) in enumerate(zip(previous[1], scale, strict=True))
                           if abs(b) < abs(a)]
                if smaller:
                    yield Violation(
                        f"level {j} has a smaller scale than level {previous[0]} along "
                        f"{_axes_named(ms, smaller)} ({_pairs(previous[1], scale, smaller)}): "
                        "levels must go from highest to lowest resolution",
                        (i, "datasets", j, "coordinateTransformations", *tail),
                    )
            previous = (j, scale)


def _axes_named(ms: Mapping[str, Any], indices: list[int]) -> str:
    axes = ms.get("axes")
    names = []
    for k in indices:
        axis = axes[k] if isinstance(axes, list) and k < len(axes) else None
        name = axis.get("name") if isinstance(axis, Mapping) else None
        names.append(repr(name) if isinstance(name, str) else f"#{k}")
    return ("axis " if len(names) == 1 else "axes ") + ", ".join(names)


def _pairs(before: list[float], after: list[float], indices: list[int]) -> str:
    return ", ".join(f"{before[k]:g} → {after[k]:g}" for k in indices)
