"""NGFF 0.6: where the transformations of a multiscale lead.

A dataset's transformation maps its array to the multiscale's "intrinsic" coordinate system,
the same for every level; the multiscale's own transformations link that system with its
other systems or with a label image's. The schema checks that the ``input``/``output``
objects are there (``multiscales.datasets.input-path``, ``.output-name``,
``multiscales.transformations.input-output``); these rules check what they name. Checks get
one multiscales list (``Subject.MULTISCALES``); paths start at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.coordinate_systems import Reference, reference, systems_by_name
from validator.rules.registry import Subject, Violation, rule
from validator.rules.transformations import (
    iter_dataset_transforms,
    iter_own_transforms,
    mappings,
)

V06 = ("0.6",)
Path = tuple[str | int, ...]


def _dataset_outputs(ms: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """``(pointer tokens from the multiscale, name)`` of every level's transformation whose
    ``output`` names a coordinate system."""
    for j, _dataset, k, t in iter_dataset_transforms(ms):
        ref = reference(t.get("output"))
        if ref is not None and ref.well_formed and ref.name is not None:
            yield ("datasets", j, "coordinateTransformations", k, "output", "name"), ref.name


def intrinsic_system(ms: Mapping[str, Any]) -> str | None:
    """The name of a multiscale's "intrinsic" coordinate system: the ``output`` name of the
    first dataset transformation that has one ("the coordinate system that is referenced by
    all multiscale coordinate transformations under `datasets` as their `output`")."""
    return next((name for _, name in _dataset_outputs(ms)), None)


def image_axes(ms: Mapping[str, Any]) -> list[Any] | None:
    """The axes of a multiscale image, one per array dimension: up to 0.5 its ``axes``; from
    0.6 the axes of its intrinsic coordinate system ("The length of axes MUST be equal to the
    number of dimensions of the arrays that contain the image data")."""
    axes = ms.get("axes")
    if isinstance(axes, list):
        return axes
    intrinsic = intrinsic_system(ms)
    if intrinsic is None:
        return None
    return systems_by_name(ms.get("coordinateSystems")).get(intrinsic)


@rule(
    "multiscales.datasets.input-matches-path",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="The input path of a dataset's transformation is the dataset's path.",
    versions=V06,
)
def input_matches_path(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `input` object MUST specify a `path` field matching the `path` field of the
    dataset.

    The spec's own complete example (multiscales_strict/multiscales_example, also the official
    case strict/valid/image/multiscales_example) has a level with ``path`` "1" and input
    ``path`` "s1": the text wins (an upstream erratum, listed in tests/test_official_suites.py)."""
    for i, ms in mappings(multiscales):
        for j, dataset, k, t in iter_dataset_transforms(ms):
            ref = reference(t.get("input"))
            path = dataset.get("path")
            if ref is None or ref.path is None or not isinstance(path, str):
                continue
            if ref.path != path:
                yield Violation(f"the input path {ref.path!r} is not the dataset's path {path!r}",
                                (i, "datasets", j, "coordinateTransformations", k, "input",
                                 "path"))


@rule(
    "multiscales.datasets.output-known",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="The output of a dataset's transformation names a coordinate system of the "
    "multiscale.",
    versions=V06,
)
def output_known(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `name` field of `output` MUST be the `name` of a coordinate system.

    The coordinate system must be one of the multiscale's own ``coordinateSystems``: the
    output is the multiscale's "intrinsic" system."""
    for i, ms in mappings(multiscales):
        systems = systems_by_name(ms.get("coordinateSystems"))
        if not isinstance(ms.get("coordinateSystems"), list):
            continue  # multiscales.coordinate-systems.required reports it
        for where, name in _dataset_outputs(ms):
            if name not in systems:
                yield Violation(f"the output {name!r} names no coordinate system of this "
                                f"multiscale ({_known(systems)})", (i, *where))


def _known(systems: Mapping[str, Any]) -> str:
    return "it has " + ", ".join(map(repr, systems)) if systems else "it has none"


@rule(
    "multiscales.datasets.output-same",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="Every level's transformation has the same output: the intrinsic coordinate "
    "system.",
    versions=V06,
)
def output_same(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `output` of the transformation MUST be the "intrinsic" coordinate system. [...] It
    MUST be the same value for every resolution level in a single multiscales.

    The first level's output is the intrinsic system; each level naming another is
    reported."""
    for i, ms in mappings(multiscales):
        intrinsic = intrinsic_system(ms)
        if intrinsic is None:
            continue
        for where, name in _dataset_outputs(ms):
            if name != intrinsic:
                yield Violation(
                    f"the output {name!r} differs from the first level's {intrinsic!r}; "
                    "every level must map to the same (intrinsic) coordinate system",
                    (i, *where))


def _ends(t: Mapping[str, Any]) -> tuple[Reference | None, Reference | None]:
    return reference(t.get("input")), reference(t.get("output"))


def _is_intrinsic(ref: Reference | None, intrinsic: str) -> bool:
    return ref is not None and ref.local and ref.name == intrinsic


def _other_end(t: Mapping[str, Any], intrinsic: str) -> tuple[str, Reference | None] | None:
    """The end that is not the intrinsic system (``None`` when neither end is)."""
    source, target = _ends(t)
    if _is_intrinsic(source, intrinsic):
        return "output", target
    if _is_intrinsic(target, intrinsic):
        return "input", source
    return None


@rule(
    "multiscales.transformations.intrinsic-end",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="One end of each of a multiscale's own transformations is its intrinsic coordinate "
    "system.",
    versions=V06,
)
def intrinsic_end(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """One of `input` or `output` MUST reference the "intrinsic" coordinate system by `name`
    (`path` MAY be omitted or null).

    The intrinsic system is the datasets' output; a multiscale whose datasets name none is
    not checked. The official strict case strict/valid/image/image_omero links "intrinsic"
    (a system it does not define; its intrinsic system is "physical") to "world": the text
    wins (an upstream erratum, listed in tests/test_official_suites.py)."""
    for i, ms in mappings(multiscales):
        intrinsic = intrinsic_system(ms)
        if intrinsic is None:
            continue
        for k, t in iter_own_transforms(ms):
            source, target = _ends(t)
            if source is None or target is None:
                continue  # multiscales.transformations.input-output reports it
            if _other_end(t, intrinsic) is None:
                yield Violation(
                    f"neither the input nor the output is the intrinsic coordinate system "
                    f"{intrinsic!r} (named without a path)",
                    (i, "coordinateTransformations", k))


@rule(
    "multiscales.transformations.other-end",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="The other end of a multiscale's own transformation is one of its coordinate "
    "systems, or a system of a label image below its labels group.",
    versions=V06,
)
def other_end(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """The other of `input` or `output` MUST reference either: A named coordinate system in
    the same multiscales group (by `name`, `path` MAY be omitted or null), or A named
    coordinate system in a child labels group (by `name` and `path`).

    Without a path the name must be one of the multiscale's systems. With a path it must lead
    into the image's ``labels`` group ("labels/<label image>", as in the spec's example);
    whether that label image defines the name is checked in a walk."""
    for i, ms in mappings(multiscales):
        intrinsic = intrinsic_system(ms)
        if intrinsic is None:
            continue
        systems = systems_by_name(ms.get("coordinateSystems"))
        for k, t in iter_own_transforms(ms):
            found = _other_end(t, intrinsic)
            if found is None:
                continue
            end, ref = found
            if ref is None or not ref.well_formed or ref.name is None:
                continue
            if ref.path is None and ref.name not in systems:
                yield Violation(f"the {end} {ref.name!r} names no coordinate system of this "
                                f"multiscale ({_known(systems)})",
                                (i, "coordinateTransformations", k, end, "name"))
            elif ref.path is not None and not _label_path(ref.path):
                yield Violation(f"the {end} path {ref.path!r} does not lead to a label image "
                                "in this image's 'labels' group",
                                (i, "coordinateTransformations", k, end, "path"))


def _label_path(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) >= 2 and parts[0] == "labels" and all(p not in ("", ".", "..")
                                                             for p in parts)


def _is_type(value: Any, kind: str) -> bool:
    return isinstance(value, Mapping) and value.get("type") == kind


@rule(
    "multiscales.transformations.label-link-type",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscales-md",
    summary="A transformation to a label image's coordinate system is an identity, a scale, a "
    "translation, or a sequence of a scale and a translation.",
    versions=V06,
)
def label_link_type(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """When referencing a coordinate system in a child labels group, the transformation MUST
    be one of `identity`, `scale`, or `translation`.

    The labels section says of the same transformation: "This transformation, if specified,
    MUST be one of identity, scale, a translation or a sequence of a scale and a translation
    transformation". The spec contradicts itself; the wider list is taken (a scale followed by
    a translation is what every dataset transformation may be, and rejecting it would reject
    data one section of the spec allows)."""
    for i, ms in mappings(multiscales):
        intrinsic = intrinsic_system(ms)
        if intrinsic is None:
            continue
        for k, t in iter_own_transforms(ms):
            found = _other_end(t, intrinsic)
            if found is None or found[1] is None or found[1].path is None:
                continue
            kind = t.get("type")
            steps = t.get("transformations")
            if kind in _LINK_TYPES or (
                kind == "sequence" and isinstance(steps, list) and len(steps) == 2
                and _is_type(steps[0], "scale") and _is_type(steps[1], "translation")
            ):
                continue
            yield Violation(f"a {kind!r} transformation links to the label image "
                            f"{found[1].path!r}; only identity, scale, translation or a "
                            "sequence of a scale and a translation may",
                            (i, "coordinateTransformations", k, "type"))


_LINK_TYPES = ("identity", "scale", "translation")
