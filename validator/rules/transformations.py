"""NGFF 0.6 coordinate transformations (RFC-5): parameters against dimensionality, and the
constraints of each place a transformation can be stored.

The schemas check one transformation's shape: its type, that the parameters of its type are
present and of the right JSON types, and that the transformations of each context have the
``input``/``output`` they need (``schemas/0.6/common.json`` and ``image.json``, rules
``transformations.*`` and ``multiscales.datasets.*``). These rules relate a transformation to
the coordinate systems it names, and the transformations of a multiscale to each other.

Where the dimensionality comes from ("Input and output dimensionality may be determined by the
coordinate system referred to by the ``input`` and ``output`` fields"):

* a top-level transformation (a dataset's, a multiscale's, a scene's) whose ``input`` or
  ``output`` names a coordinate system of the same document without a ``path`` has that
  system's number of axes; a dataset's ``input`` is its array (unknown in one document), and a
  reference with a ``path`` names a system in another group (checked in a walk, not here);
* a transformation inside a ``sequence`` has no coordinate systems of its own: its dimensions
  are known only when every transformation of the sequence keeps the dimensionality (identity,
  scale, translation, rotation, mapAxis, displacements), or from its own ``input``/``output``;
* a ``byDimension`` child has ``len(inputAxes)`` inputs and ``len(outputAxes)`` outputs ("The
  ``inputAxes`` and ``outputAxes`` arrays of each item MUST have the same length as that
  transformation's parameter arrays");
* a ``bijection``'s ``forward`` maps its input to its output, its ``inverse`` back.

Checks receive the whole OME object (``Subject.OME``); paths start at it.
:func:`iter_placed` is pure and also serves node-level rules (parameters stored by ``path``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.coordinate_systems import (
    Reference,
    reference,
    systems_by_name,
)
from validator.rules.plate import is_int
from validator.rules.registry import Subject, Violation, rule

V06 = ("0.6",)
Path = tuple[str | int, ...]
Systems = Mapping[str, list[Any] | None]
#: Transformation types whose output has as many dimensions as their input.
DIMENSION_PRESERVING = frozenset(
    {"identity", "scale", "translation", "rotation", "mapAxis", "displacements"}
)
#: How far a rotation matrix may be from orthonormal with determinant 1: each entry of
#: R*R^T - I, and det(R) - 1, within this absolute tolerance. Four decimal places of a cosine
#: (0.7071 for 45°) pass; a matrix that is not a rotation is off by far more.
ROTATION_TOLERANCE = 1e-4


@dataclass(frozen=True, slots=True)
class Placed:
    """A transformation where it stands: its path from the OME object, its context, and the
    input/output dimensionality when one document tells it (else ``None``)."""

    transform: Mapping[str, Any]
    path: Path
    context: str  # "dataset", "multiscale", "scene" or "nested"
    n_in: int | None
    n_out: int | None
    systems: Systems = field(default_factory=dict, compare=False)

    @property
    def type(self) -> Any:
        return self.transform.get("type")

    @property
    def mismatched(self) -> bool:
        """Input and output dimensionality are both known and differ."""
        return self.n_in is not None and self.n_out is not None and self.n_in != self.n_out

    @property
    def n(self) -> int | None:
        """The dimensionality of a transformation whose input and output must agree: the
        input's where known, else the output's."""
        return self.n_in if self.n_in is not None else self.n_out

    def maps(self, what: str) -> str:
        """``"<what> maps N axes to M axes"``, for a :attr:`mismatched` transformation."""
        return f"{what} maps {_axes(self.n_in or 0)} to {_axes(self.n_out or 0)}"


def _dims(ref: Reference | None, systems: Systems) -> int | None:
    if ref is None or not ref.local or ref.name is None:
        return None
    axes = systems.get(ref.name)
    return len(axes) if axes is not None else None


def _own_dims(t: Mapping[str, Any], systems: Systems, n_in: int | None,
              n_out: int | None) -> tuple[int | None, int | None]:
    """A nested transformation's own ``input``/``output``, where given, win."""
    own_in = _dims(reference(t.get("input")), systems)
    own_out = _dims(reference(t.get("output")), systems)
    return (own_in if own_in is not None else n_in, own_out if own_out is not None else n_out)


def _top(t: Any, path: Path, context: str, systems: Systems,
         n_in: int | None = None) -> Iterator[Placed]:
    if not isinstance(t, Mapping):
        return
    if context != "dataset":
        n_in = _dims(reference(t.get("input")), systems)
    n_out = _dims(reference(t.get("output")), systems)
    yield from _nested(Placed(t, path, context, n_in, n_out, systems))


def _nested(p: Placed) -> Iterator[Placed]:
    yield p
    t, kind = p.transform, p.type
    children: list[tuple[Any, Path, int | None, int | None]] = []
    if kind == "sequence" and isinstance(t.get("transformations"), list):
        steps = t["transformations"]
        keeps = all(isinstance(s, Mapping) and s.get("type") in DIMENSION_PRESERVING
                    for s in steps)
        n = p.n
        if p.mismatched:
            n = None  # the sequence itself is inconsistent; its steps cannot be judged
        for k, step in enumerate(steps):
            dim = n if keeps else None
            children.append((step, (*p.path, "transformations", k), dim, dim))
    elif kind == "bijection":
        children.append((t.get("forward"), (*p.path, "forward"), p.n_in, p.n_out))
        children.append((t.get("inverse"), (*p.path, "inverse"), p.n_out, p.n_in))
    elif kind == "byDimension" and isinstance(t.get("transformations"), list):
        for k, item in enumerate(t["transformations"]):
            if not isinstance(item, Mapping):
                continue
            ins, outs = item.get("inputAxes"), item.get("outputAxes")
            children.append((item.get("transformation"),
                             (*p.path, "transformations", k, "transformation"),
                             len(ins) if isinstance(ins, list) else None,
                             len(outs) if isinstance(outs, list) else None))
    for child, path, n_in, n_out in children:
        if isinstance(child, Mapping):
            n_in, n_out = _own_dims(child, p.systems, n_in, n_out)
            yield from _nested(Placed(child, path, "nested", n_in, n_out, p.systems))


def mappings(value: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(index, item)`` of the objects in a list; nothing when ``value`` is not a list (the
    schema reports what is not an object)."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, Mapping):
                yield i, item


def iter_multiscales(ome: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    return mappings(ome.get("multiscales"))


def iter_own_transforms(ms: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """A multiscale's own (multiscales-level) transformations."""
    return mappings(ms.get("coordinateTransformations"))


def iter_dataset_transforms(
    ms: Mapping[str, Any],
) -> Iterator[tuple[int, Mapping[str, Any], int, Mapping[str, Any]]]:
    """``(dataset index, dataset, transformation index, transformation)``."""
    for j, dataset in mappings(ms.get("datasets")):
        for k, t in mappings(dataset.get("coordinateTransformations")):
            yield j, dataset, k, t


def iter_placed(ome: Mapping[str, Any]) -> Iterator[Placed]:
    """Every transformation of the document, nested ones included: datasets', multiscales'
    own, then the scene's."""
    for i, ms in iter_multiscales(ome):
        systems = systems_by_name(ms.get("coordinateSystems"))
        for j, _dataset, k, t in iter_dataset_transforms(ms):
            path = ("multiscales", i, "datasets", j, "coordinateTransformations", k)
            yield from _top(t, path, "dataset", systems)
        for k, t in iter_own_transforms(ms):
            yield from _top(t, ("multiscales", i, "coordinateTransformations", k),
                            "multiscale", systems)
    scene = ome.get("scene")
    if isinstance(scene, Mapping):
        systems = systems_by_name(scene.get("coordinateSystems"))
        for k, t in mappings(scene.get("coordinateTransformations")):
            yield from _top(t, ("scene", "coordinateTransformations", k), "scene", systems)


def _of_type(ome: Mapping[str, Any], *kinds: str) -> Iterator[Placed]:
    return (p for p in iter_placed(ome) if p.type in kinds)


def _axes(n: int) -> str:
    return f"{n} ax{'is' if n == 1 else 'es'}"


def _numbers(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)


def _matrix(value: Any) -> list[list[float]] | None:
    if isinstance(value, list) and value and all(_numbers(row) for row in value):
        return value
    return None


# -- parameters against dimensionality ------------------------------------------------------


@rule(
    "transformations.identity.dimensions",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="identity-md",
    summary="An identity transformation maps a coordinate system to one with as many axes.",
    versions=V06,
)
def identity_dimensions(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The parameter values (e.g., `scale` for a scale transformation) MUST be compatible with
    input and output space dimensionality (see details). [identity:] The position of the i-th
    axis of the output coordinate system is set to the position of the ith axis of the input
    coordinate system."""
    for p in _of_type(ome, "identity"):
        if p.mismatched:
            yield Violation(f"{p.maps('the identity')}; input "
                            "and output must have as many axes", p.path)


def _vector_length(kind: str) -> Callable[[Mapping[str, Any], DocContext], Iterator[Violation]]:
    def check(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
        for p in _of_type(ome, kind):
            values = p.transform.get(kind)
            if not isinstance(values, list):
                continue
            if p.mismatched:
                yield Violation(f"{p.maps('the ' + kind)}; input "
                                "and output dimensionality must be identical", (*p.path, kind))
                continue
            n = p.n
            if n is not None and len(values) != n:
                yield Violation(f"the {kind} vector has {len(values)} "
                                f"entr{'y' if len(values) == 1 else 'ies'} but the coordinate "
                                f"systems have {_axes(n)}", (*p.path, kind))

    return check


@rule(
    "transformations.scale.length",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="scale-md",
    summary="A scale vector has one entry per axis of its input and output coordinate systems.",
    versions=V06,
)
def scale_length(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """[scale:] Input and output dimensionality MUST be identical and MUST equal the the
    length of the `scale` array (N). [...] The array MUST have length `N`.

    For a dataset the input is its array, unknown in one document: the vector is compared
    with the output (intrinsic) coordinate system. The official case
    image/mismatch_axes_units (three axes, two scale entries) is listed as valid upstream; the
    text says otherwise and wins (tests/test_official_suites.py lists it as an erratum)."""
    return _vector_length("scale")(ome, ctx)


@rule(
    "transformations.translation.length",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="translation-md",
    summary="A translation vector has one entry per axis of its input and output coordinate "
    "systems.",
    versions=V06,
)
def translation_length(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """[translation:] Input and output dimensionality MUST be identical and MUST equal the the
    length of the `translation` array (N). [...] The array MUST have length `N`."""
    return _vector_length("translation")(ome, ctx)


@rule(
    "transformations.map-axis.permutation",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="mapaxis-md",
    summary="A mapAxis is a permutation of the input axis indices, as long as both coordinate "
    "systems.",
    versions=V06,
)
def map_axis_permutation(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The length of the array MUST equal the number of dimensions in both the input and
    output coordinate systems. Each integer in the array MUST be a valid zero-based index into
    the input coordinate system's axes (i.e., between 0 and N-1 for an N-dimensional input).
    Each index MUST appear exactly once in the array.

    Without known dimensions the array must still be a permutation of 0...len-1. One finding
    per transformation: the first problem found."""
    for p in _of_type(ome, "mapAxis"):
        values = p.transform.get("mapAxis")
        if not isinstance(values, list) or not all(is_int(v) for v in values):
            continue
        where = (*p.path, "mapAxis")
        if p.mismatched:
            yield Violation(f"{p.maps('mapAxis')}; both must "
                            "have as many axes as the array has entries", where)
            continue
        n = p.n
        if n is not None and len(values) != n:
            yield Violation(f"mapAxis has {len(values)} entries but the coordinate systems have "
                            f"{_axes(n)}", where)
            continue
        n = len(values) if n is None else n
        bad = [v for v in values if not 0 <= v < n]
        if bad:
            yield Violation(f"mapAxis index {bad[0]} is not an axis index (0 to {n - 1})", where)
        elif len(set(values)) != len(values):
            repeated = next(v for v in values if values.count(v) > 1)
            yield Violation(f"mapAxis index {repeated} appears more than once", where)


def _index_list(t: Mapping[str, Any], key: str) -> list[int] | None:
    value = t.get(key)
    if isinstance(value, list) and all(is_int(v) for v in value):
        return value
    return None


@rule(
    "transformations.project-axis.unique",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="projectaxis-md",
    summary="The indices of a projectAxis's droppedInputs, and of its createdOutputs, are "
    "unique.",
    versions=V06,
)
def project_axis_unique(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The values in the `createdOutputs` array MUST be unique. [...] The values in the
    `droppedInputs` array MUST be unique."""
    for p in _of_type(ome, "projectAxis"):
        for key in ("droppedInputs", "createdOutputs"):
            values = _index_list(p.transform, key)
            if values is None:
                continue
            for k, v in enumerate(values):
                if v in values[:k]:
                    yield Violation(f"index {v} appears more than once in {key}",
                                    (*p.path, key, k))


@rule(
    "transformations.project-axis.indices-in-range",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="projectaxis-md",
    summary="A projectAxis drops input axes that exist and creates output axes that exist.",
    versions=V06,
)
def project_axis_in_range(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """`droppedInputs`: JSON array of integers that indicate the index of the input coordinate
    vector at which dimensions are dropped. `createdOutputs`: [...] the index of the output
    coordinate vector at which new dimensions are added.

    An index is an index into the input (dropped) or output (created) coordinate vector:
    0 to N-1, 0 to M-1. Negative indices are reported even when the dimensions are unknown."""
    for p in _of_type(ome, "projectAxis"):
        for key, n, side in (("droppedInputs", p.n_in, "input"),
                             ("createdOutputs", p.n_out, "output")):
            for k, v in enumerate(_index_list(p.transform, key) or []):
                if v < 0 or (n is not None and v >= n):
                    span = f"0 to {n - 1}" if n is not None else "0 or more"
                    yield Violation(f"{key} index {v} is not an index of the {side} coordinate "
                                    f"vector ({span})", (*p.path, key, k))


@rule(
    "transformations.project-axis.dimensions",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="projectaxis-md",
    summary="A projectAxis from N to M axes drops and creates as many axes as N - dropped + "
    "created = M requires.",
    versions=V06,
)
def project_axis_dimensions(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """`projectAxis` transformations project input coordinates from `N` dimensions to `M`
    dimensions by adding or dropping dimensions at specified indices of the coordinate
    vector.

    Dropping d and creating c dimensions of an N-dimensional vector leaves N - d + c."""
    for p in _of_type(ome, "projectAxis"):
        if p.n_in is None or p.n_out is None:
            continue
        dropped = _index_list(p.transform, "droppedInputs")
        created = _index_list(p.transform, "createdOutputs")
        if dropped is None and "droppedInputs" in p.transform:
            continue
        if created is None and "createdOutputs" in p.transform:
            continue
        if dropped is None and created is None:
            continue  # transformations.project-axis.parameters reports it
        d, c = len(dropped or []), len(created or [])
        if p.n_in - d + c != p.n_out:
            yield Violation(f"dropping {d} and creating {c} of {_axes(p.n_in)} gives "
                            f"{p.n_in - d + c}, but the output has {_axes(p.n_out)}", p.path)


@rule(
    "transformations.affine.shape",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="affine-md",
    summary="An affine matrix from N to M axes has M rows of N+1 numbers.",
    versions=V06,
)
def affine_shape(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The matrix MUST be stored as 2D nested array (an array of arrays of numbers) where the
    outer array MUST be length `M` and the inner arrays MUST be length `N+1`.

    Without known dimensions the rows must at least have one length. A matrix stored by
    ``path`` is array metadata, checked in a walk."""
    for p in _of_type(ome, "affine"):
        matrix = _matrix(p.transform.get("affine"))
        if matrix is None:
            continue
        where = (*p.path, "affine")
        widths = sorted({len(row) for row in matrix})
        if p.n_out is not None and len(matrix) != p.n_out:
            yield Violation(f"the affine matrix has {len(matrix)} rows but the output has "
                            f"{_axes(p.n_out)}", where)
        elif p.n_in is not None and widths != [p.n_in + 1]:
            yield Violation(f"the affine matrix has rows of {_lengths(widths)} numbers but the "
                            f"input has {_axes(p.n_in)}: rows must have {p.n_in + 1}", where)
        elif len(widths) > 1:
            yield Violation(f"the rows of the affine matrix have different lengths "
                            f"({_lengths(widths)})", where)


def _lengths(widths: Sequence[int]) -> str:
    return " and ".join(map(str, widths))


@rule(
    "transformations.rotation.shape",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="rotation-md",
    summary="A rotation maps N axes to N axes with an NxN matrix.",
    versions=V06,
)
def rotation_shape(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """Input and output dimensionality (N) MUST be identical. Rotations are stored as `NxN`
    matrices [...] The matrix MUST be stored as a 2D nested array (an array of arrays of
    numbers) where the outer array MUST be length `N` and the inner arrays MUST be length `N`."""
    for p in _of_type(ome, "rotation"):
        where = (*p.path, "rotation")
        if p.mismatched:
            yield Violation(f"{p.maps('the rotation')}; input and "
                            "output dimensionality must be identical", where)
            continue
        matrix = _matrix(p.transform.get("rotation"))
        if matrix is None:
            continue
        n = p.n
        n = len(matrix) if n is None else n
        if len(matrix) != n or any(len(row) != n for row in matrix):
            shape = f"{len(matrix)}x{_lengths(sorted({len(row) for row in matrix}))}"
            yield Violation(f"the rotation matrix is {shape}; it must be {n}x{n}", where)


def rotation_problem(matrix: list[list[float]]) -> str | None:
    """Why a square matrix is not a rotation (orthonormal, determinant 1), or ``None``."""
    n = len(matrix)
    for i in range(n):
        for j in range(n):
            dot = sum(matrix[i][k] * matrix[j][k] for k in range(n))
            if abs(dot - (1.0 if i == j else 0.0)) > ROTATION_TOLERANCE:
                return (f"rows {i} and {j} are not orthonormal (their product is {dot:g})"
                        if i != j else f"row {i} does not have length 1 (squared {dot:g})")
    det = determinant(matrix)
    if abs(det - 1.0) > ROTATION_TOLERANCE:
        return f"its determinant is {det:g}, not 1 (a reflection)"
    return None


def determinant(matrix: Sequence[Sequence[float]]) -> float:
    """The determinant, by Gaussian elimination with partial pivoting."""
    rows = [list(map(float, row)) for row in matrix]
    n, det = len(rows), 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0.0:
            return 0.0
        if pivot != col:
            rows[col], rows[pivot] = rows[pivot], rows[col]
            det = -det
        det *= rows[col][col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            for c in range(col, n):
                rows[r][c] -= factor * rows[col][c]
    return det


@rule(
    "transformations.rotation.orthonormal",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="rotation-md",
    summary="A rotation matrix is orthonormal with determinant 1 (within 1e-4).",
    versions=V06,
)
def rotation_orthonormal(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """[Rotations] MUST have determinant equal to one, with orthonormal rows and columns.

    Checked on square matrices given inline, with an absolute tolerance of 1e-4 on each entry
    of R*R^T - I and on det(R) - 1 (:data:`ROTATION_TOLERANCE`): four decimals of a cosine
    pass. Orthonormal rows of a square matrix make its columns orthonormal too."""
    for p in _of_type(ome, "rotation"):
        matrix = _matrix(p.transform.get("rotation"))
        if matrix is None or any(len(row) != len(matrix) for row in matrix):
            continue
        problem = rotation_problem(matrix)
        if problem is not None:
            yield Violation(f"the matrix is not a rotation: {problem}", (*p.path, "rotation"))


def _by_dimension_items(p: Placed, key: str) -> Iterator[tuple[int, int, int]]:
    """``(item index, position, axis index)`` of every integer in the items' ``key`` lists."""
    items = p.transform.get("transformations")
    if not isinstance(items, list):
        return
    for k, item in enumerate(items):
        values = item.get(key) if isinstance(item, Mapping) else None
        if isinstance(values, list):
            for m, v in enumerate(values):
                if is_int(v):
                    yield k, m, v


@rule(
    "transformations.by-dimension.output-axes",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="bydimension-md",
    summary="Every output axis of a byDimension appears in exactly one item's outputAxes, and "
    "only those.",
    versions=V06,
)
def by_dimension_output_axes(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """Every axis index in the parent byDimension's `output` coordinate system MUST appear in
    exactly one child transformation's `outputAxes` array.

    An index that is not an axis of the output, or that appears a second time, is reported
    where it stands; an output axis that no item names is reported on the transformation.
    Without a known output only negative and repeated indices are reported."""
    for p in _of_type(ome, "byDimension"):
        seen: dict[int, int] = {}
        for k, m, v in _by_dimension_items(p, "outputAxes"):
            where = (*p.path, "transformations", k, "outputAxes", m)
            if v < 0 or (p.n_out is not None and v >= p.n_out):
                span = f"0 to {p.n_out - 1}" if p.n_out is not None else "0 or more"
                yield Violation(f"output axis {v} does not exist ({span})", where)
            elif v in seen:
                yield Violation(f"output axis {v} already appears in item {seen[v]}", where)
            else:
                seen[v] = k
        if p.n_out is not None and "transformations" in p.transform:
            missing = [v for v in range(p.n_out) if v not in seen]
            if missing and isinstance(p.transform.get("transformations"), list):
                yield Violation(f"output ax{'is' if len(missing) == 1 else 'es'} "
                                f"{', '.join(map(str, missing))} appear in no item's outputAxes",
                                p.path)


@rule(
    "transformations.by-dimension.input-axes",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="bydimension-md",
    summary="The inputAxes of a byDimension's items are axes of its input coordinate system.",
    versions=V06,
)
def by_dimension_input_axes(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """The integer values in these arrays correspond to the axis indices in the `byDimension`'s
    or its parent's `input` and `output` coordinate systems, respectively."""
    for p in _of_type(ome, "byDimension"):
        for k, m, v in _by_dimension_items(p, "inputAxes"):
            if v < 0 or (p.n_in is not None and v >= p.n_in):
                span = f"0 to {p.n_in - 1}" if p.n_in is not None else "0 or more"
                yield Violation(f"input axis {v} does not exist ({span})",
                                (*p.path, "transformations", k, "inputAxes", m))


@rule(
    "transformations.bijection.dimensions",
    severity=Severity.ERROR,
    subject=Subject.OME,
    anchor="bijection-md",
    summary="A bijection maps N axes to N axes, and its forward and inverse agree with it.",
    versions=V06,
)
def bijection_dimensions(ome: Mapping[str, Any], ctx: DocContext) -> Iterator[Violation]:
    """[A bijection's] input and output spaces MUST have equal dimension. The input and output
    dimensions for the both the forward and inverse transformations MUST match bijection's
    input and output space dimensions.

    The forward's and inverse's own ``input``/``output`` are compared where they name systems
    of this document."""
    for p in _of_type(ome, "bijection"):
        if p.mismatched:
            yield Violation(f"{p.maps('the bijection')}; its input "
                            "and output must have equal dimension", p.path)
            continue
        # (part, its end, the bijection's end it must match, that end's dimensionality)
        pairs = (("forward", "input", "input", p.n_in), ("forward", "output", "output", p.n_out),
                 ("inverse", "input", "output", p.n_out), ("inverse", "output", "input", p.n_in))
        for key, end, theirs, want in pairs:
            part = p.transform.get(key)
            got = _dims(reference(part.get(end)), p.systems) if isinstance(part, Mapping) else None
            if got is not None and want is not None and got != want:
                yield Violation(f"the {key} {end} has {_axes(got)} but the bijection's {theirs} "
                                f"has {_axes(want)}", (*p.path, key, end))
