"""NGFF 0.6 coordinate systems (RFC-5): where they are, how references to them resolve, and
the rules that compare systems or axes with each other.

Coordinate systems are defined in two places of one document: each multiscale's
``coordinateSystems`` and the scene's ``coordinateSystems``. The shape of one system and one
axis is the schemas' (``schemas/0.6/common.json``, rules ``coordinate-systems.*`` and
``multiscales.axes.*``); the rules here check what one entry cannot tell alone. Their checks
receive the whole OME metadata object (``Subject.OME``), so paths start at it.

The helpers (:func:`iter_systems`, :func:`systems_by_name`, :func:`reference`) are pure and
also serve rules that need other documents (a scene's images, a label image's systems).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.plate import repeated_entries
from validator.rules.registry import Subject, Violation, rule

V06 = ("0.6",)
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Reference:
    """The ``input`` or ``output`` of a transformation: a system's name, and the path of the
    group that defines it (``None`` when omitted or null: the same document)."""

    name: str | None
    path: str | None
    #: False when the value is not an object or its name/path have the wrong type (the
    #: schema reports that); such a reference resolves to nothing.
    well_formed: bool = True

    @property
    def local(self) -> bool:
        return self.well_formed and self.path is None


def reference(value: Any) -> Reference | None:
    """The reference an ``input``/``output`` value makes, or ``None`` when it is absent."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return Reference(None, None, well_formed=False)
    name, path = value.get("name"), value.get("path")
    ok = (name is None or isinstance(name, str)) and (path is None or isinstance(path, str))
    return Reference(name if isinstance(name, str) else None,
                     path if isinstance(path, str) else None, well_formed=ok)


def iter_systems(ome: Mapping[str, Any]) -> Iterator[tuple[Path, list[Any]]]:
    """``(path of the list, list)`` for every ``coordinateSystems`` list of the document: each
    multiscale's, then the scene's."""
    multiscales = ome.get("multiscales")
    if isinstance(multiscales, list):
        for i, ms in enumerate(multiscales):
            if isinstance(ms, Mapping) and isinstance(ms.get("coordinateSystems"), list):
                yield ("multiscales", i, "coordinateSystems"), ms["coordinateSystems"]
    scene = ome.get("scene")
    if isinstance(scene, Mapping) and isinstance(scene.get("coordinateSystems"), list):
        yield ("scene", "coordinateSystems"), scene["coordinateSystems"]


def systems_by_name(systems: Any) -> dict[str, list[Any] | None]:
    """A coordinateSystems list as ``{name: axes}`` (axes ``None`` when not a list). The first
    system of a repeated name wins (the repeat is coordinate-systems.name.unique's)."""
    found: dict[str, list[Any] | None] = {}
    if not isinstance(systems, list):
        return found
    for system in systems:
        if isinstance(system, Mapping) and isinstance(system.get("name"), str):
            axes = system.get("axes")
            found.setdefault(system["name"], axes if isinstance(axes, list) else None)
    return found


def iter_axis_lists(ome: Mapping[str, Any]) -> Iterator[tuple[Path, list[Any]]]:
    """``(path of the axes list, axes)`` of every coordinate system of the document."""
    for path, systems in iter_systems(ome):
        for k, system in enumerate(systems):
            if isinstance(system, Mapping) and isinstance(system.get("axes"), list):
                yield (*path, k, "axes"), system["axes"]


@rule(
    "coordinate-systems.name.unique",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="coordinate-systems-md",
    summary="No two coordinate systems of one coordinateSystems list have the same name.",
    versions=V06,
)
def system_names_unique(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """[Every coordinate system] MUST contain the field `name`. The value MUST be a non-empty
    string that is unique among all entries in a `coordinateSystems` array.

    Applies to each multiscale's list and to the scene's list; systems are compared by name
    only, so exact copies are reported too (the schema has no ``uniqueItems`` for it)."""
    for path, systems in iter_systems(ome):
        for k, name, first in repeated_entries(systems, "name", kind=str, skip_copies=False):
            yield Violation(f"coordinate system name {name!r} is already the name of "
                            f"coordinate system {first}", (*path, k, "name"))


@rule(
    "coordinate-systems.axes.unique-names",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="axes-md",
    summary="No two axes of one coordinate system have the same name.",
    versions=V06,
)
def axis_names_unique(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The values in the `name` fields MUST be unique within the same coordinate system.

    Every coordinate system of the document (multiscales and scene); axes are compared by
    name, so axes that differ otherwise and exact copies are both reported."""
    for path, axes in iter_axis_lists(ome):
        for k, name, first in repeated_entries(axes, "name", kind=str, skip_copies=False):
            yield Violation(f"axis name {name!r} is already the name of axis {first}",
                            (*path, k, "name"))
