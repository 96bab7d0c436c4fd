"""NGFF 0.6: what transformations name in other groups, checked with those groups read.

A 0.6 transformation may keep its parameters in a Zarr array (``path`` of an affine or a
rotation), its vector field in a multiscale group (``path`` of a
``coordinates``/``displacements``), and link coordinate systems of other groups (``path`` of
an ``input``/``output``: a label image of an image, an image of a scene). One document cannot
tell whether those exist and fit; the walk reads their metadata (never their data) and these
rules receive it (``Subject.LINKS_NODE``, a :class:`~validator.rules.context.LinksContext`).
Paths in violations start at the OME metadata object of the group whose transformations name
the other group.

Choices where the text leaves room (spec lines of ``../shared/ngff/dev/spec.md``):

* **What a ``path`` is relative to.** Every ``path`` (parameters, fields, ``input``/``output``)
  is relative to the group whose metadata holds the transformation: lines 474-475 read an
  omitted path as "the same `zarr.json` file", the label example names
  ``labels/cell_segmentation`` from its image (line 484 and
  ``examples/multiscales_strict/multiscales_reference_to_label.json``), the field example
  names ``coordinateTransformations/displacementField`` from the image holding the
  transformation (lines 1137-1145), and the scene layout keeps parameter arrays in a
  ``coordinateTransformations`` group beside the images, below the scene (lines 154-166).
  "In this (or another) container" (line 1079) is not followed: a path leaving the dataset is
  ``hierarchy.path.escapes-root``.
* **Where a field's vector axis goes.** Line 1114 calls it "(last axis)"; line 1116 says it
  "MUST be inserted after a time axis (if present) and before the spatial axes", and the
  spec's own field (``displacements/displacement_field.json``) puts it first. The axis is
  found here by its ``type``, wherever it is; its place is the axes-order rule's
  (``multiscales.axes.order`` ranks it with channel and custom axes, as line 1116 says).
* **The graph of a scene** (lines 490-496) is made of the scene's systems, the systems of
  every image a scene transformation names, and the links of those images' own
  transformations. Images below the scene that no transformation names are not read (the
  walk does not list directories), so they are not part of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from validator.model import Severity
from validator.rules.context import ArrayInfo, AxisKinds, ImageSummary, LinksContext
from validator.rules.coordinate_systems import Reference, reference, systems_by_name
from validator.rules.multiscale_links import intrinsic_system
from validator.rules.registry import Subject, Violation, rule
from validator.rules.transformations import Placed, iter_multiscales, iter_placed

V06 = ("0.6",)
T = TypeVar("T")
Path = tuple[str | int, ...]
#: Transformations whose ``path`` names a multiscale group holding a vector field, and the
#: axis type of the vector dimension of each.
FIELD_TYPES: Mapping[str, str] = {"coordinates": "coordinate", "displacements": "displacement"}
#: Transformations whose ``path`` names a parameter array. A scale or translation by ``path``
#: is the schema's error (``transformations.{scale,translation}.parameters``: their sections
#: define only the JSON array, as the official cases bad_{scale,translate}_path_not_allowed
#: say), so its path is not followed.
PARAMETER_TYPES = frozenset({"affine", "rotation"})


# -- what the walk reads (pure helpers, also used by the walk) ---------------------------------


def _placed_paths(ome: Mapping[str, Any]) -> Iterator[tuple[Placed, str, bool]]:
    """``(transformation, path, is_field)`` for every transformation of the document that
    keeps its parameters (``is_field``: its vector field) at a ``path``."""
    for p in iter_placed(ome):
        path = p.transform.get("path")
        kind = p.type if isinstance(p.type, str) else None  # a list or an object: the schema's
        if isinstance(path, str) and (kind in PARAMETER_TYPES or kind in FIELD_TYPES):
            yield p, path, kind in FIELD_TYPES


def parameter_paths(ome: Mapping[str, Any]) -> Iterator[tuple[Path, str, bool]]:
    """``(pointer tokens of the path, path, is_field)`` for every transformation of the
    document that keeps its parameters (``is_field``: its vector field) at a ``path``."""
    for p, path, is_field in _placed_paths(ome):
        yield (*p.path, "path"), path, is_field


def _placed_targets(ome: Mapping[str, Any]) -> Iterator[tuple[Placed, str, Reference, str]]:
    """``(transformation, end, reference, its path)`` for every ``input``/``output`` of a
    multiscale's own or a scene's transformation that names a system of another group."""
    for p in iter_placed(ome):
        if p.context not in ("multiscale", "scene"):
            continue
        for end in ("input", "output"):
            ref = reference(p.transform.get(end))
            if ref is not None and ref.well_formed and ref.path is not None:
                yield p, end, ref, ref.path


def target_paths(ome: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """``(pointer tokens, path)`` of every ``input``/``output`` of a multiscale's own or a
    scene's transformation that names a system of another group."""
    for p, end, _, path in _placed_targets(ome):
        yield (*p.path, end, "path"), path


def qualified(ref: Reference) -> str:
    """A system as a node of the transformations graph: its name, or ``"<path>#<name>"`` for
    a system of another group."""
    return f"{ref.name}" if ref.path is None else f"{ref.path.strip('/')}#{ref.name}"


def axis_kinds(axes: list[Any] | None) -> AxisKinds:
    """The ``type`` and ``discrete`` of every axis of a system."""
    if axes is None:
        return ()
    return tuple(
        (a.get("type") if isinstance(a.get("type"), str) else None,
         a.get("discrete") if isinstance(a.get("discrete"), bool) else None)
        if isinstance(a, Mapping) else (None, None)
        for a in axes
    )


def coordinate_summary(
    ome: Mapping[str, Any],
) -> tuple[dict[str, AxisKinds], str | None, tuple[tuple[str, str], ...]]:
    """An image's systems, its intrinsic system and its own links (for
    :class:`~validator.rules.context.ImageSummary`)."""
    systems: dict[str, AxisKinds] = {}
    intrinsic: str | None = None
    links: list[tuple[str, str]] = []
    for _, ms in iter_multiscales(ome):
        for name, axes in systems_by_name(ms.get("coordinateSystems")).items():
            systems.setdefault(name, axis_kinds(axes))
        if intrinsic is None:
            intrinsic = intrinsic_system(ms)
        links.extend(_links(ms.get("coordinateTransformations")))
    return systems, intrinsic, tuple(links)


def _links(transforms: Any) -> Iterator[tuple[str, str]]:
    for t in transforms if isinstance(transforms, list) else []:
        if not isinstance(t, Mapping):
            continue
        source, target = reference(t.get("input")), reference(t.get("output"))
        if (source is not None and target is not None and source.well_formed
                and target.well_formed and source.name is not None and target.name is not None):
            yield qualified(source), qualified(target)


# -- helpers of the rules ----------------------------------------------------------------------


def _dims(ref: Reference | None, p: Placed, ctx: LinksContext) -> int | None:
    """How many axes the system a reference names has: one of this document's, or one of the
    group read at its path."""
    if ref is None or not ref.well_formed or ref.name is None:
        return None
    if ref.path is None:
        axes = p.systems.get(ref.name)
        return len(axes) if axes is not None else None
    target = ctx.targets.get(ref.path)
    system = target.systems.get(ref.name) if target is not None else None
    return len(system) if system is not None else None


def _in_out(p: Placed, ctx: LinksContext) -> tuple[int | None, int | None]:
    n_in, n_out = p.n_in, p.n_out
    if p.context in ("multiscale", "scene"):
        if n_in is None:
            n_in = _dims(reference(p.transform.get("input")), p, ctx)
        if n_out is None:
            n_out = _dims(reference(p.transform.get("output")), p, ctx)
    return n_in, n_out


def _stored(ctx: LinksContext, read: Mapping[str, T],
            fields: bool) -> Iterator[tuple[Placed, Path, str, T]]:
    """Transformations with parameters (``fields``: vector fields) at a path that was read:
    ``(transformation, pointer tokens of its path, path, what was read there)``."""
    for p, path, is_field in _placed_paths(ctx.ome):
        key = path.removesuffix("/")
        if is_field == fields and (key in read or path in read):
            yield p, (*p.path, "path"), key, read[key] if key in read else read[path]


def _parameter_arrays(ctx: LinksContext) -> Iterator[tuple[Placed, Path, str, ArrayInfo | None]]:
    """Affines and rotations whose parameter array path was read, with the array there."""
    return _stored(ctx, ctx.arrays, fields=False)


def _fields(ctx: LinksContext) -> Iterator[tuple[Placed, Path, str, ImageSummary]]:
    """Coordinates and displacements whose field path was read, with the group there."""
    return _stored(ctx, ctx.fields, fields=True)


def _shape(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape)) if shape else "a scalar"


def _vector_axis(field: ImageSummary, kind: str) -> tuple[int, AxisKinds] | None:
    """The index of the vector axis of a field (the one axis of the transformation's vector
    type in its intrinsic system) and the system's axes."""
    system = field.systems.get(field.intrinsic or "")
    if system is None:
        return None
    found = [i for i, (axis_type, _) in enumerate(system) if axis_type == FIELD_TYPES[kind]]
    return (found[0], system) if len(found) == 1 else None


# -- parameter arrays --------------------------------------------------------------------------


@rule(
    "transformations.parameters.array",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coord-trafo-md",
    summary="An affine's or a rotation's parameters stored by path are a Zarr array there.",
    versions=V06,
)
def parameters_array(ctx: LinksContext) -> Iterator[Violation]:
    """[affine:] 2D affine transformation matrix stored either with JSON (`affine`) or as a
    Zarr array at a location in this container (`path`). [...] **path**: The path to a
    Zarr-array containing the affine parameters. [rotation, likewise:] **path**: The path to
    an array containing the affine parameters."""
    for p, tokens, path, info in _parameter_arrays(ctx):
        if info is None:
            yield Violation(f"the {p.type} parameters are stored at {path!r}, but no Zarr "
                            "array is there", tokens)


@rule(
    "transformations.parameters.shape",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coord-trafo-md",
    summary="A parameter array has the shape its transformation needs: M x (N+1) (affine), "
    "N x N (rotation).",
    versions=V06,
)
def parameters_shape(ctx: LinksContext) -> Iterator[Violation]:
    """[affine:] The array at this path MUST be 2D whose shape MUST be `(M)x(N+1)`.
    [rotation:] The array at this path MUST be 2D whose shape MUST be `N x N`.

    N and M are the axis counts of the input and output systems, where the metadata read
    tells them; when they are unknown only the number of dimensions is checked."""
    for p, tokens, path, info in _parameter_arrays(ctx):
        if info is None or info.shape is None:
            continue
        n_in, n_out = _in_out(p, ctx)
        shape = info.shape
        expected: tuple[int | None, ...]
        if p.type == "affine":
            expected = (n_out, None if n_in is None else n_in + 1)
        else:
            n = n_in if n_in is not None else n_out
            expected = (n, n)
        if len(shape) != len(expected) or any(
                e is not None and s != e for s, e in zip(shape, expected, strict=False)):
            want = " x ".join("?" if e is None else str(e) for e in expected)
            yield Violation(f"the {p.type} parameter array {path!r} has shape {_shape(shape)}; "
                            f"it must be {want}", tokens)


# -- vector fields -----------------------------------------------------------------------------


@rule(
    "transformations.field.multiscale",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coordinates-displacements-md",
    summary="The path of a coordinates or displacements transformation names a multiscale "
    "image group.",
    versions=V06,
)
def field_multiscale(ctx: LinksContext) -> Iterator[Violation]:
    """`coordinates` and `displacements` transformations store a vector field of arbitrary
    sampling density in an ome-zarr [multiscale group](#multiscales-md) [...] The multiscale
    group at `path` MUST satisfy: [...]"""
    for p, tokens, path, field in _fields(ctx):
        if not field.readable:
            continue
        if not field.exists:
            what = "nothing is there"
        elif not field.is_group:
            what = "an array is there, not a group"
        elif not field.is_image:
            what = "the group there has no multiscales metadata"
        else:
            continue
        yield Violation(f"the {p.type} field is at {path!r}, but {what}", tokens)


@rule(
    "transformations.field.dimensions",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coordinates-displacements-md",
    summary="A coordinates or displacements field has one dimension more than the input "
    "coordinate system.",
    versions=V06,
)
def field_dimensions(ctx: LinksContext) -> Iterator[Violation]:
    """**Dimensionality**: If the input coordinate system has `N` axes, the multiscale image
    at location `path` MUST have `N+1` dimensions.

    The field's dimensions are those of its arrays (its first level), else of its intrinsic
    coordinate system."""
    for p, tokens, path, field in _fields(ctx):
        if not field.is_image:
            continue
        n_in, _ = _in_out(p, ctx)
        system = field.systems.get(field.intrinsic or "")
        ndim = field.ndim if field.ndim is not None else (
            len(system) if system is not None else None)
        if n_in is not None and ndim is not None and ndim != n_in + 1:
            yield Violation(f"the {p.type} field {path!r} has {ndim} dimensions; the input "
                            f"coordinate system has {n_in} axes, so it must have {n_in + 1}",
                            tokens)


@rule(
    "transformations.field.vector-axis",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coordinates-displacements-md",
    summary="A field's vector dimension is one axis of type displacement (coordinate) with "
    "discrete: true.",
    versions=V06,
)
def field_vector_axis(ctx: LinksContext) -> Iterator[Violation]:
    """The array containing the coordinates or displacements MUST: [...] specify
    `"type": "displacement"` or `"type": "coordinate"` depending on the type of
    transformation and `"discrete": true` in the multiscale image's axes metadata for the
    dimension corresponding to the coordinate or displacement vector.

    The axes are those of the field's intrinsic coordinate system (the output of its dataset
    transformations)."""
    for p, tokens, path, field in _fields(ctx):
        system = field.systems.get(field.intrinsic or "")
        if not field.is_image or system is None:
            continue
        kind = FIELD_TYPES[str(p.type)]
        count = sum(1 for axis_type, _ in system if axis_type == kind)
        if count != 1:
            yield Violation(f"the {p.type} field {path!r} must have exactly one axis of type "
                            f"{kind!r} in its coordinate system {field.intrinsic!r}; it has "
                            f"{count}", tokens)
            continue
        found = _vector_axis(field, str(p.type))
        if found is not None and found[1][found[0]][1] is not True:
            yield Violation(f"the {kind} axis of the field {path!r} must say "
                            "\"discrete\": true", tokens)


@rule(
    "transformations.field.vector-length",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coordinates-displacements-md",
    summary="A coordinates field's vector has M entries (output axes), a displacements "
    "field's N (input axes).",
    versions=V06,
)
def field_vector_length(ctx: LinksContext) -> Iterator[Violation]:
    """For `coordinates` transformations, the length of the array along the `coordinate`
    dimension (last axis) MUST equal `M`, the number of axes in the output coordinate system.
    For `displacements` transformations, the length of the array along the `displacement`
    dimension (last axis) MUST equal `N`, the number of axes in the input (and output)
    coordinate system.

    The vector dimension is the axis of that type, wherever it is (see the module notes)."""
    for p, tokens, path, field in _fields(ctx):
        found = _vector_axis(field, str(p.type))
        if not field.is_image or found is None or field.shape is None:
            continue
        index, system = found
        if len(field.shape) != len(system):
            continue  # the axes do not fit the array: multiscales.axes.count-matches-ndim's
        n_in, n_out = _in_out(p, ctx)
        want, which = (n_out, "output") if p.type == "coordinates" else (n_in, "input")
        if want is not None and field.shape[index] != want:
            yield Violation(f"the {p.type} field {path!r} holds vectors of "
                            f"{field.shape[index]} entries; the {which} coordinate system has "
                            f"{want} axes", tokens)


# -- systems of other groups -------------------------------------------------------------------


def _resolve(ref: Reference, target: ImageSummary | None) -> str | None:
    """Why a reference to a system of another group does not resolve (``None``: it does)."""
    if target is None or not target.readable:
        return None  # not followed (unsafe), or unreadable: reported already
    if not target.exists:
        return "nothing is there"
    if not target.is_image:
        return "the group there is not a multiscale image"
    if ref.name is not None and ref.name not in target.systems:
        have = ", ".join(map(repr, target.systems)) or "none"
        return f"that image has no coordinate system {ref.name!r} (it has {have})"
    return None


def _unresolved(ctx: LinksContext, context: str) -> Iterator[tuple[Path, str, str]]:
    for p, end, ref, path in _placed_targets(ctx.ome):
        if p.context != context:
            continue
        why = _resolve(ref, ctx.targets.get(path.removesuffix("/")))
        if why is not None:
            yield (*p.path, end, "path"), path, why


@rule(
    "multiscales.transformations.label-resolves",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="multiscales-md",
    summary="A multiscale transformation naming a label image's system (by path) leads to a "
    "label image that defines it.",
    versions=V06,
)
def label_resolves(ctx: LinksContext) -> Iterator[Violation]:
    """The other MUST reference a named coordinate system in the same multiscales group (by
    `name`, `path` MAY be omitted or null), or in a child [labels](#labels-md) group (by
    `name` and `path`)."""
    if ctx.kind != "image":
        return
    for tokens, path, why in _unresolved(ctx, "multiscale"):
        yield Violation(f"{path!r} should be a label image defining the system: {why}",
                        tokens)


@rule(
    "scene.paths.resolve",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="scene-md",
    summary="Every path of a scene transformation leads to a multiscale image below the scene "
    "that defines the named coordinate system.",
    versions=V06,
)
def scene_paths_resolve(ctx: LinksContext) -> Iterator[Violation]:
    """**path** Refers to the path of a multiscale image subgroup in the Zarr hierarchy.
    [...] If `name` refers to a coordinate system in the multiscale image subgroup specified
    by `path`, both `path` and `name` MUST be provided."""
    if ctx.kind != "scene":
        return
    for tokens, path, why in _unresolved(ctx, "scene"):
        yield Violation(f"{path!r} should be a multiscale image defining the system: {why}",
                        tokens)


# -- the transformations graph -----------------------------------------------------------------


def _components(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        for n in (a, b):
            parent.setdefault(n, n)
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for n in parent:
        groups.setdefault(find(n), []).append(n)
    return list(groups.values())


def _describe(components: list[list[str]]) -> str:
    return "; ".join("{" + ", ".join(sorted(c)) + "}" for c in components)


@rule(
    "transformations.graph.connected",
    severity=Severity.ERROR,
    subject=Subject.LINKS_NODE,
    anchor="coord-trafo-md",
    summary="The coordinate systems of a multiscale (of a scene and its images) are linked by "
    "transformations: the graph is connected.",
    versions=V06,
)
def graph_connected(ctx: LinksContext) -> Iterator[Violation]:
    """**Graph connectedness**: The coordinate systems defined in the multiscales metadata and
    the `scene` metadata combined with the coordinate transformations form a transformations
    graph. [...] The graph MUST be connected (but need not be complete): any two coordinate
    systems in the metadata MUST be linked by a path of one or more coordinate
    transformations.

    An image's graph is that of each multiscale: its systems, linked by its own
    transformations (label images' systems join it only when linked). A scene's graph is its
    systems and those of the images its transformations name, linked by the scene's and those
    images' own transformations (see the module notes)."""
    if ctx.kind == "image":
        for i, ms in iter_multiscales(ctx.ome):
            nodes = list(systems_by_name(ms.get("coordinateSystems")))
            parts = _components(nodes, list(_links(ms.get("coordinateTransformations"))))
            if len(parts) > 1:
                yield Violation("the coordinate systems of this multiscale are not all linked "
                                f"by its transformations: {_describe(parts)}",
                                ("multiscales", i, "coordinateSystems"))
        return
    scene = ctx.ome.get("scene")
    if not isinstance(scene, Mapping):
        return
    nodes = list(systems_by_name(scene.get("coordinateSystems")))
    edges = list(_links(scene.get("coordinateTransformations")))
    for path, image in ctx.targets.items():
        if not image.is_image:
            continue  # scene.paths.resolve's
        nodes.extend(f"{path}#{name}" for name in image.systems)
        edges.extend((_prefix(path, a), _prefix(path, b)) for a, b in image.links)
    parts = _components(nodes, edges)
    if len(parts) > 1:
        yield Violation("the coordinate systems of the scene and its images are not all linked "
                        f"by transformations: {_describe(parts)}",
                        ("scene", "coordinateTransformations"))


def _prefix(path: str, system: str) -> str:
    """A system of an image's own links, as a node of its scene's graph."""
    if "#" in system:
        inner, name = system.split("#", 1)
        return f"{path}/{inner}#{name}"
    return f"{path}#{system}"
