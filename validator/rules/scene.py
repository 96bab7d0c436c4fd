"""NGFF 0.6 scenes: what one scene document can tell about the systems it links.

The schema checks the scene's shape (``scene.*`` in ``schemas/0.6/scene.json``). Whether a
``path`` leads to a multiscale image that defines the named system needs that image's document
(a walk rule). Checks get the scene object (``Subject.SCENE``); paths start at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.coordinate_systems import reference, systems_by_name
from validator.rules.registry import Subject, Violation, rule
from validator.rules.transformations import mappings


@rule(
    "scene.transformations.name-known",
    severity=Severity.ERROR,
    subject=Subject.SCENE,
    anchor="scene-md",
    summary="A scene transformation's input or output without a path names one of the scene's "
    "own coordinate systems.",
    versions=("0.6",),
)
def name_known(scene: Any, ctx: DocContext) -> Iterator[Violation]:
    """If `name` refers to a coordinate system in the `scene` object, the `path` value MAY be
    omitted or null. If `name` refers to a coordinate system in the multiscale image subgroup
    specified by `path`, both `path` and `name` MUST be provided.

    So a name without a path (or with a null path) must be one of the scene's own
    ``coordinateSystems``."""
    if not isinstance(scene, Mapping):
        return
    systems = systems_by_name(scene.get("coordinateSystems"))
    for k, t in mappings(scene.get("coordinateTransformations")):
        for end in ("input", "output"):
            ref = reference(t.get(end))
            if ref is None or not ref.local or ref.name is None:
                continue
            if ref.name not in systems:
                have = ", ".join(map(repr, systems)) or "none"
                yield Violation(f"the {end} {ref.name!r} has no path, so it must be one of the "
                                f"scene's coordinate systems (it has {have})",
                                ("coordinateTransformations", k, end, "name"))
