"""Generate the rule cases of images: multiscales, axes, transformations, omero, arrays.

    python -m tests.cases._gen_images

Writes ``tests/cases/<rule>/{pass,fail}-<version>[-what].json`` for every rule whose id starts
with ``multiscales.``, ``omero.``, ``image.`` or ``array.`` (schema rules included), replacing
the cases of those rules this script wrote before (the hand-written cases of
multiscales.datasets.path-exists are kept). Rules that one document decides get single
documents (``"document"``); rules that need arrays get small trees built with
:mod:`tests.casekit`. Each case mutates one thing of a valid document or tree; the pointers
in ``expect`` are written out here by hand, never taken from the validator.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.casekit import AXES_2D, AXES_5D, image_tree, multiscale, ome_of, write_case

VERSIONS = ("0.4", "0.5")
CASES = Path(__file__).parent
PREFIXES = ("multiscales.", "omero.", "image.", "array.")
KEEP = {"multiscales.datasets.path-exists"}  # hand-written cases
Doc = dict[str, Any]
Tree = dict[str, Any]
Mutation = Callable[[Doc, str], None]
TreeMutation = Callable[[Tree, str], None]

CHANNEL = {"label": "DAPI", "active": True, "color": "0000FF",
           "window": {"min": 0, "max": 255, "start": 0, "end": 200}}
AXES_3D = AXES_5D[2:]
AXES_CYX = [AXES_5D[1], *AXES_2D]

# -- valid documents ------------------------------------------------------------------------


def clean_multiscale(version: str, axes: list[Doc] | None = None, levels: int = 2) -> Doc:
    """A multiscale with every SHOULD met (type and metadata too)."""
    ms = multiscale(version, axes if axes is not None else AXES_2D, levels)
    ms["type"] = "gaussian"
    ms["metadata"] = {"method": "skimage.transform.pyramid_gaussian"}
    return ms


def clean_ome(version: str, axes: list[Doc] | None = None, omero: bool = True) -> Doc:
    ome: Doc = {"multiscales": [clean_multiscale(version, axes)]}
    if omero:
        ome["omero"] = {"channels": [copy.deepcopy(CHANNEL)],
                        "rdefs": {"defaultZ": 0, "model": "color"}}
    return ome


def attributes(version: str, ome: Doc) -> Doc:
    return {"ome": {"version": "0.5", **ome}} if version == "0.5" else ome


def doc_pointer(version: str, *tokens: str | int) -> str:
    """A pointer into a document case (relative to the attributes object)."""
    body = "".join(f"/{t}" for t in tokens)
    return f"/ome{body}" if version == "0.5" else body


def tree_pointer(version: str, *tokens: str | int) -> str:
    """A pointer into the root group's metadata document of a tree case."""
    body = "".join(f"/{t}" for t in tokens)
    return f"/attributes/ome{body}" if version == "0.5" else body


def array_file(version: str) -> str:
    return "zarr.json" if version == "0.5" else ".zarray"


def clean_tree(version: str, axes: list[Doc] | None = None, omero: bool = True,
               **kwargs: Any) -> Tree:
    tree = image_tree(version, axes=axes, **kwargs)
    ome = ome_of(tree, "", version)
    ms = ome["multiscales"][0]
    ms["type"] = "gaussian"
    ms["metadata"] = {"method": "skimage.transform.pyramid_gaussian"}
    if omero:
        channels = 1
        if axes is not None:
            for k, axis in enumerate(axes):
                if axis.get("type") == "channel":
                    channels = _array(tree, "0", version)["shape"][k]
        ome["omero"] = {"channels": [copy.deepcopy(CHANNEL) for _ in range(channels)]}
    return tree


def _array(tree: Tree, node: str, version: str) -> Doc:
    doc: Doc = tree[f"{node}/{array_file(version)}"]
    return doc


def _ms(ome: Doc) -> Doc:
    ms: Doc = ome["multiscales"][0]
    return ms


def _ds(ome: Doc, j: int) -> Doc:
    ds: Doc = _ms(ome)["datasets"][j]
    return ds


# -- document cases -------------------------------------------------------------------------
# (rule, what, mutation of the OME metadata object, expected pointer tokens, severity)

DocCase = tuple[str, str, Mutation, tuple[str | int, ...], str]


def _set_axes(axes: list[Doc]) -> Mutation:
    """Replace the axes (and make the scale vectors fit them)."""

    def mutate(ome: Doc, version: str) -> None:
        ms = _ms(ome)
        ms["axes"] = copy.deepcopy(axes)
        for ds in ms["datasets"]:
            ds["coordinateTransformations"] = [{"type": "scale", "scale": [1.0] * len(axes)}]

    return mutate


def _do(func: Callable[[Doc], None]) -> Mutation:
    def mutate(ome: Doc, version: str) -> None:
        func(ome)

    return mutate


def _transforms(j: int, transforms: Any) -> Mutation:
    return _do(lambda ome: _ds(ome, j).__setitem__("coordinateTransformations",
                                                   copy.deepcopy(transforms)))


def _ms_set(key: str, value: Any) -> Mutation:
    return _do(lambda ome: _ms(ome).__setitem__(key, value))


def _ms_del(key: str) -> Mutation:
    return _do(lambda ome: _ms(ome).pop(key))


def _axis_set(k: int, key: str, value: Any) -> Mutation:
    return _do(lambda ome: _ms(ome)["axes"][k].__setitem__(key, value))


def _axis_del(k: int, key: str) -> Mutation:
    return _do(lambda ome: _ms(ome)["axes"][k].pop(key))


def _channel(func: Callable[[Doc], None]) -> Mutation:
    return _do(lambda ome: func(ome["omero"]["channels"][0]))


def _omero(value: Any) -> Mutation:
    return _do(lambda ome: ome.__setitem__("omero", value))


def _chain(*mutations: Mutation) -> Mutation:
    def mutate(ome: Doc, version: str) -> None:
        for m in mutations:
            m(ome, version)

    return mutate


SCALE = {"type": "scale", "scale": [1.0, 1.0]}
SCALE2 = {"type": "scale", "scale": [2.0, 2.0]}
TRANSLATION = {"type": "translation", "translation": [0.5, 0.5]}
CUSTOM = {"name": "a", "type": "angle"}
UNTYPED = {"name": "a"}
Y, X = AXES_2D
Z = AXES_5D[2]
T = AXES_5D[0]
C = AXES_5D[1]
CT = ("multiscales", 0, "datasets", 0, "coordinateTransformations")

DOC_FAILS: list[DocCase] = [
    # schema: multiscales
    ("multiscales.value.list", "object", _do(lambda o: o.__setitem__("multiscales", {})),
     ("multiscales",), "error"),
    ("multiscales.value.non-empty", "empty", _do(lambda o: o.__setitem__("multiscales", [])),
     ("multiscales",), "error"),
    ("multiscales.axes.required", "missing", _ms_del("axes"), ("multiscales", 0), "error"),
    ("multiscales.datasets.required", "missing", _ms_del("datasets"), ("multiscales", 0),
     "error"),
    ("multiscales.datasets.list", "string", _ms_set("datasets", "0"),
     ("multiscales", 0, "datasets"), "error"),
    ("multiscales.datasets.non-empty", "empty", _ms_set("datasets", []),
     ("multiscales", 0, "datasets"), "error"),
    ("multiscales.datasets.path-required", "missing", _do(lambda o: _ds(o, 1).pop("path")),
     ("multiscales", 0, "datasets", 1), "error"),
    ("multiscales.datasets.transformations-required", "missing",
     _do(lambda o: _ds(o, 1).pop("coordinateTransformations")),
     ("multiscales", 0, "datasets", 1), "error"),
    ("multiscales.name.present", "missing", _ms_del("name"), ("multiscales", 0), "warning"),
    ("multiscales.name.string", "number", _ms_set("name", 5), ("multiscales", 0, "name"),
     "error"),
    ("multiscales.type.present", "missing", _ms_del("type"), ("multiscales", 0), "warning"),
    ("multiscales.type.string", "number", _ms_set("type", 5), ("multiscales", 0, "type"),
     "error"),
    ("multiscales.metadata.present", "missing", _ms_del("metadata"), ("multiscales", 0),
     "warning"),
    ("multiscales.metadata.object", "string", _ms_set("metadata", "gaussian"),
     ("multiscales", 0, "metadata"), "error"),
    # schema: axes
    ("multiscales.axes.list", "string", _ms_set("axes", "yx"), ("multiscales", 0, "axes"),
     "error"),
    ("multiscales.axes.count", "one", _set_axes([X]), ("multiscales", 0, "axes"), "error"),
    ("multiscales.axes.count", "six", _set_axes([CUSTOM, T, C, Z, Y, X]),
     ("multiscales", 0, "axes"), "error"),
    ("multiscales.axes.space-count", "one", _set_axes([T, X]), ("multiscales", 0, "axes"),
     "error"),
    ("multiscales.axes.space-count", "four", _set_axes([{**Z, "name": "w"}, Z, Y, X]),
     ("multiscales", 0, "axes"), "error"),
    ("multiscales.axes.time-count", "two", _set_axes([T, {**T, "name": "t2"}, Y, X]),
     ("multiscales", 0, "axes"), "error"),
    ("multiscales.axes.channel-count", "channel-and-custom", _set_axes([C, CUSTOM, Y, X]),
     ("multiscales", 0, "axes"), "error"),
    ("multiscales.axes.unique-names", "copies", _set_axes([Y, Y]),
     ("multiscales", 0, "axes", 1, "name"), "error"),
    ("multiscales.axes.name-required", "missing", _set_axes([UNTYPED, Y, {"type": "space"}]),
     ("multiscales", 0, "axes", 2), "error"),
    ("multiscales.axes.name-required", "number", _set_axes([UNTYPED, Y, {**X, "name": 3}]),
     ("multiscales", 0, "axes", 2, "name"), "error"),
    ("multiscales.axes.type-present", "missing", _set_axes([UNTYPED, Y, X]),
     ("multiscales", 0, "axes", 0), "warning"),
    ("multiscales.axes.type-string", "number", _set_axes([{"name": "a", "type": 5}, Y, X]),
     ("multiscales", 0, "axes", 0, "type"), "error"),
    ("multiscales.axes.type-known", "custom", _set_axes([CUSTOM, Y, X]),
     ("multiscales", 0, "axes", 0, "type"), "warning"),
    ("multiscales.axes.unit-known", "space", _axis_set(0, "unit", "micron"),
     ("multiscales", 0, "axes", 0, "unit"), "warning"),
    ("multiscales.axes.unit-known", "time", _set_axes([{**T, "unit": "micrometer"}, Y, X]),
     ("multiscales", 0, "axes", 0, "unit"), "warning"),
    ("multiscales.axes.unit-present", "space", _axis_del(1, "unit"),
     ("multiscales", 0, "axes", 1), "info"),
    # schema: transformations
    ("multiscales.transformations.list", "object", _transforms(0, SCALE),
     CT, "error"),
    ("multiscales.transformations.one-scale", "two", _transforms(0, [SCALE, SCALE]), CT,
     "error"),
    ("multiscales.transformations.one-scale", "none", _transforms(0, [TRANSLATION]), CT,
     "error"),
    ("multiscales.transformations.one-scale", "multiscale-level",
     _ms_set("coordinateTransformations", [TRANSLATION]),
     ("multiscales", 0, "coordinateTransformations"), "error"),
    ("multiscales.transformations.max-one-translation", "two",
     _transforms(0, [SCALE, TRANSLATION, TRANSLATION]), CT, "error"),
    ("multiscales.transformations.type-required", "missing",
     _transforms(0, [SCALE, {"translation": [0.5, 0.5]}]), (*CT, 1), "error"),
    ("multiscales.transformations.type-allowed", "identity",
     _transforms(0, [SCALE, {"type": "identity"}]), (*CT, 1, "type"), "error"),
    ("multiscales.transformations.scale-vector", "string",
     _transforms(0, [{"type": "scale", "scale": "1"}]), (*CT, 0, "scale"), "error"),
    ("multiscales.transformations.scale-vector", "missing",
     _transforms(0, [{"type": "scale"}]), (*CT, 0), "error"),
    ("multiscales.transformations.translation-vector", "string-entry",
     _transforms(0, [SCALE, {"type": "translation", "translation": [0, "a"]}]),
     (*CT, 1, "translation", 1), "error"),
    # python: axes
    ("multiscales.axes.unique-names", "differ-in-unit",
     _set_axes([Y, {**Y, "unit": "nanometer"}]), ("multiscales", 0, "axes", 1, "name"),
     "error"),
    ("multiscales.axes.order", "channel-last", _set_axes([Y, X, C]),
     ("multiscales", 0, "axes", 2, "type"), "error"),
    ("multiscales.axes.order", "time-after-channel", _set_axes([C, T, Y, X]),
     ("multiscales", 0, "axes", 1, "type"), "error"),
    ("multiscales.axes.order", "untyped-after-space", _set_axes([Y, X, UNTYPED]),
     ("multiscales", 0, "axes", 2), "error"),
    ("multiscales.axes.zyx-order", "xyz", _set_axes([X, Y, Z]),
     ("multiscales", 0, "axes", 0, "name"), "warning"),
    # python: transformations
    ("multiscales.transformations.translation-after-scale", "dataset",
     _transforms(0, [TRANSLATION, SCALE]), (*CT, 0, "type"), "error"),
    ("multiscales.transformations.translation-after-scale", "multiscale-level",
     _ms_set("coordinateTransformations", [TRANSLATION, SCALE]),
     ("multiscales", 0, "coordinateTransformations", 0, "type"), "error"),
    ("multiscales.transformations.length-matches-axes", "scale",
     _transforms(1, [{"type": "scale", "scale": [2.0, 2.0, 2.0]}]),
     ("multiscales", 0, "datasets", 1, "coordinateTransformations", 0, "scale"), "error"),
    ("multiscales.transformations.length-matches-axes", "multiscale-translation",
     _ms_set("coordinateTransformations", [SCALE, {"type": "translation", "translation": [1]}]),
     ("multiscales", 0, "coordinateTransformations", 1, "translation"), "error"),
    ("multiscales.datasets.scale-order", "swapped",
     _chain(_transforms(0, [SCALE2]), _transforms(1, [SCALE])),
     ("multiscales", 0, "datasets", 1, "coordinateTransformations", 0, "scale"), "error"),
    ("multiscales.datasets.scale-order", "one-axis",
     _chain(_transforms(1, [{"type": "scale", "scale": [2.0, 0.5]}])),
     ("multiscales", 0, "datasets", 1, "coordinateTransformations", 0, "scale"), "error"),
    ("multiscales.datasets.path-unique", "repeated", _do(lambda o: _ds(o, 1).__setitem__(
        "path", "0")), ("multiscales", 0, "datasets", 1, "path"), "error"),
    # schema: omero
    ("omero.value.object", "list", _omero([CHANNEL]), ("omero",), "error"),
    ("omero.channels.required", "missing", _omero({"rdefs": {"model": "color"}}), ("omero",),
     "error"),
    ("omero.channels.list", "object", _omero({"channels": CHANNEL}), ("omero", "channels"),
     "error"),
    ("omero.channels.color-hex", "name", _channel(lambda c: c.__setitem__("color", "blue")),
     ("omero", "channels", 0, "color"), "error"),
    ("omero.channels.color-hex", "number", _channel(lambda c: c.__setitem__("color", 255)),
     ("omero", "channels", 0, "color"), "error"),
    ("omero.window.object", "list", _channel(lambda c: c.__setitem__("window", [0, 255])),
     ("omero", "channels", 0, "window"), "error"),
    ("omero.window.min-max", "missing-max", _channel(lambda c: c["window"].pop("max")),
     ("omero", "channels", 0, "window"), "error"),
    ("omero.window.start-end", "string-start",
     _channel(lambda c: c["window"].__setitem__("start", "0")),
     ("omero", "channels", 0, "window", "start"), "error"),
    ("omero.rdefs.model", "rgb", _do(lambda o: o["omero"]["rdefs"].__setitem__("model", "rgb")),
     ("omero", "rdefs", "model"), "warning"),
]

# 0.4 only
DOC_FAILS_04: list[DocCase] = [
    ("omero.channels.color-required", "missing", _channel(lambda c: c.pop("color")),
     ("omero", "channels", 0), "error"),
    ("omero.window.required", "missing", _channel(lambda c: c.pop("window")),
     ("omero", "channels", 0), "error"),
    ("multiscales.version.present", "missing", _ms_del("version"), ("multiscales", 0),
     "warning"),
    ("multiscales.version.value", "0.3", _ms_set("version", "0.3"),
     ("multiscales", 0, "version"), "error"),
]

# 0.5 only: the 0.5 text says MUST, the official 0.5 schema does not require them: warnings
DOC_FAILS_05: list[DocCase] = [
    ("omero.channels.color-present", "missing", _channel(lambda c: c.pop("color")),
     ("omero", "channels", 0), "warning"),
    ("omero.window.present", "missing", _channel(lambda c: c.pop("window")),
     ("omero", "channels", 0), "warning"),
]

# Passing variants beyond the clean document: (rule, what, mutation)
DOC_PASSES: list[tuple[str, str, Mutation]] = [
    ("multiscales.axes.count", "five", _set_axes(AXES_5D)),
    ("multiscales.axes.order", "tczyx", _set_axes(AXES_5D)),
    ("multiscales.axes.order", "untyped-first", _set_axes([UNTYPED, Y, X])),
    ("multiscales.axes.channel-count", "custom", _set_axes([CUSTOM, Y, X])),
    ("multiscales.axes.zyx-order", "zyx", _set_axes([Z, Y, X])),
    ("multiscales.axes.zyx-order", "other-names",
     _set_axes([{**Z, "name": "a"}, {**Y, "name": "b"}, {**X, "name": "c"}])),
    ("multiscales.axes.unique-names", "distinct", _set_axes(AXES_5D)),
    ("multiscales.axes.unit-known", "time", _set_axes([{**T, "unit": "millisecond"}, Y, X])),
    ("multiscales.transformations.translation-after-scale", "scale-first",
     _transforms(0, [SCALE, TRANSLATION])),
    ("multiscales.transformations.max-one-translation", "one",
     _transforms(0, [SCALE, TRANSLATION])),
    ("multiscales.transformations.length-matches-axes", "multiscale-level",
     _ms_set("coordinateTransformations", [SCALE, TRANSLATION])),
    ("multiscales.datasets.scale-order", "equal",
     _chain(_transforms(0, [SCALE2]), _transforms(1, [SCALE2]))),
    ("multiscales.datasets.scale-order", "mirrored",
     _chain(_transforms(1, [{"type": "scale", "scale": [-2.0, 2.0]}]))),
    ("omero.rdefs.model", "greyscale",
     _do(lambda o: o["omero"]["rdefs"].__setitem__("model", "greyscale"))),
]


def write_document_cases(written: set[Path]) -> None:
    fails: list[tuple[DocCase, tuple[str, ...]]] = [(c, VERSIONS) for c in DOC_FAILS]
    fails += [(c, ("0.4",)) for c in DOC_FAILS_04]
    fails += [(c, ("0.5",)) for c in DOC_FAILS_05]
    for (rule, what, mutate, tokens, severity), versions in fails:
        for version in versions:
            ome = clean_ome(version)
            mutate(ome, version)
            level = severity
            expect = {"rule": rule, "node": "", "pointer": doc_pointer(version, *tokens),
                      "severity": level}
            written.add(write_case(rule, f"fail-{version}-{what}", version, {
                "description": f"{rule}: {what}",
                "document": attributes(version, ome),
                "expect": [expect],
                "valid": level != "error",
            }))
    rules = {(c[0], v) for c, vs in fails for v in vs}
    for rule, version in sorted(rules):
        written.add(write_case(rule, f"pass-{version}", version, {
            "description": "a valid image with every SHOULD met",
            "document": attributes(version, clean_ome(version)),
            "valid": True,
        }))
    for rule, what, mutate in DOC_PASSES:
        for version in VERSIONS:
            ome = clean_ome(version)
            mutate(ome, version)
            written.add(write_case(rule, f"pass-{version}-{what}", version, {
                "description": f"{rule}: {what}",
                "document": attributes(version, ome),
                "valid": True,
            }))


# -- tree cases -----------------------------------------------------------------------------
# (rule, what, tree builder, mutation, expected [(node, pointer tokens, in array doc)],
#  severity, versions)

TreeCase = tuple[str, str, Callable[[str], Tree], TreeMutation,
                 list[tuple[str, tuple[str | int, ...], bool]], str, tuple[str, ...]]


def _arr(node: str, func: Callable[[Doc], None]) -> TreeMutation:
    def mutate(tree: Tree, version: str) -> None:
        func(_array(tree, node, version))

    return mutate


def _arr_set(node: str, key: str, value: Any) -> TreeMutation:
    return _arr(node, lambda doc: doc.__setitem__(key, value))


def _arr_del(node: str, key: str) -> TreeMutation:
    return _arr(node, lambda doc: doc.pop(key))


def _shape(node: str, shape: list[int]) -> TreeMutation:
    """Give the array another shape (chunks and dimension names follow)."""

    def mutate(tree: Tree, version: str) -> None:
        doc = _array(tree, node, version)
        doc["shape"] = shape
        if version == "0.5":
            doc["chunk_grid"]["configuration"]["chunk_shape"] = shape
            names = doc["dimension_names"]
            doc["dimension_names"] = (["w"] * (len(shape) - len(names)) + names)[-len(shape):]
        else:
            doc["chunks"] = shape

    return mutate


def _root(func: Callable[[Doc], None]) -> TreeMutation:
    def mutate(tree: Tree, version: str) -> None:
        func(ome_of(tree, "", version))

    return mutate


def _tchain(*mutations: TreeMutation) -> TreeMutation:
    def mutate(tree: Tree, version: str) -> None:
        for m in mutations:
            m(tree, version)

    return mutate


def _no_axes(ome: Doc) -> None:
    ms = _ms(ome)
    del ms["axes"]


def _dtype(node: str, dtype: str) -> TreeMutation:
    def mutate(tree: Tree, version: str) -> None:
        doc = _array(tree, node, version)
        if version == "0.5":
            doc["data_type"] = dtype
        else:
            doc["dtype"] = {"uint8": "|u1", "uint16": "<u2", "float32": "<f4"}[dtype]

    return mutate


def _chunks(node: str, chunks: Any) -> TreeMutation:
    def mutate(tree: Tree, version: str) -> None:
        doc = _array(tree, node, version)
        if version == "0.5":
            doc["chunk_grid"]["configuration"]["chunk_shape"] = chunks
        else:
            doc["chunks"] = chunks

    return mutate


def _six_d(tree: Tree, version: str) -> None:
    ome = ome_of(tree, "", version)
    _no_axes(ome)
    for j, size in enumerate((64, 32)):
        _ds(ome, j)["coordinateTransformations"] = [
            {"type": "scale", "scale": [1.0] * 4 + [float(2**j)] * 2}]
        _shape(str(j), [2, 2, 2, 2, size, size])(tree, version)


def _noop(tree: Tree, version: str) -> None:
    return None


def _image(version: str) -> Tree:
    return clean_tree(version)


def _image_5d(version: str) -> Tree:
    return clean_tree(version, axes=AXES_5D)


def _float_image(version: str) -> Tree:
    tree = clean_tree(version, dtype="float32")
    for node in ("0", "1"):
        _array(tree, node, version)["fill_value"] = "NaN"
    return tree


def _channels(n: int) -> TreeMutation:
    return _root(lambda ome: ome["omero"].__setitem__(
        "channels", [copy.deepcopy(CHANNEL) for _ in range(n)]))


ARRAY_0 = "0"
BOTH = VERSIONS
CHUNK_PATH = {"0.4": ("chunks",), "0.5": ("chunk_grid", "configuration", "chunk_shape")}

TREE_FAILS: list[TreeCase] = [
    ("multiscales.axes.count-matches-ndim", "3d-level", _image, _shape("1", [2, 32, 32]),
     [("", ("multiscales", 0, "datasets", 1, "path"), False)], "error", BOTH),
    ("multiscales.datasets.same-ndim", "no-axes", _image,
     _tchain(_root(_no_axes), _shape("1", [2, 32, 32])),
     [("", ("multiscales", 0, "datasets", 1, "path"), False)], "error", BOTH),
    ("multiscales.datasets.max-ndim", "6d", _image, _six_d,
     [("", ("multiscales", 0, "datasets", 0, "path"), False),
      ("", ("multiscales", 0, "datasets", 1, "path"), False)], "error", BOTH),
    ("multiscales.datasets.shape-order", "growing", _image, _shape("1", [128, 128]),
     [("", ("multiscales", 0, "datasets", 1, "path"), False)], "error", BOTH),
    ("multiscales.datasets.shape-order", "one-dimension", _image, _shape("1", [32, 65]),
     [("", ("multiscales", 0, "datasets", 1, "path"), False)], "error", BOTH),
    ("multiscales.datasets.same-dtype", "uint16-level", _image, _dtype("1", "uint16"),
     [("", ("multiscales", 0, "datasets", 1, "path"), False)], "warning", BOTH),
    ("multiscales.dimension-names.match-axes", "swapped", _image,
     _arr_set("0", "dimension_names", ["x", "y"]), [("0", ("dimension_names",), True)],
     "error", ("0.5",)),
    ("multiscales.dimension-names.match-axes", "missing", _image,
     _arr_del("1", "dimension_names"), [("1", (), True)], "error", ("0.5",)),
    ("omero.channels.count-matches-axis", "three-for-two", _image_5d, _channels(3),
     [("", ("omero", "channels"), False)], "warning", BOTH),
    # arrays
    ("array.metadata.required", "no-fill-value", _image, _arr_del("0", "fill_value"),
     [("0", (), True)], "error", BOTH),
    ("array.metadata.required", "no-order", _image, _arr_del("0", "order"),
     [("0", (), True)], "error", ("0.4",)),
    ("array.metadata.required", "no-codecs", _image, _arr_del("0", "codecs"),
     [("0", (), True)], "error", ("0.5",)),
    ("array.zarr-format.value", "wrong", _image,
     _arr("0", lambda d: d.__setitem__("zarr_format", 5 - d["zarr_format"])),
     [("0", ("zarr_format",), True)], "error", BOTH),
    ("array.shape.valid", "negative", _image, _arr_set("0", "shape", [64, -1]),
     [("0", ("shape",), True)], "error", BOTH),
    ("array.dtype.valid", "number", _image,
     lambda t, v: _arr_set("0", "data_type" if v == "0.5" else "dtype", 8)(t, v),
     [("0", ("<dtype>",), True)], "error", BOTH),
    ("array.dtype.valid", "numpy-name", _image, _arr_set("0", "dtype", "uint8"),
     [("0", ("dtype",), True)], "error", ("0.4",)),
    ("array.dtype.known", "string", _image, _arr_set("0", "data_type", "string"),
     [("0", ("data_type",), True)], "warning", ("0.5",)),
    ("array.fill-value.valid", "out-of-range", _image, _arr_set("0", "fill_value", 256),
     [("0", ("fill_value",), True)], "error", BOTH),
    ("array.fill-value.valid", "nan-for-integers", _image, _arr_set("0", "fill_value", "NaN"),
     [("0", ("fill_value",), True)], "error", BOTH),
    ("array.order.valid", "x", _image, _arr_set("0", "order", "X"),
     [("0", ("order",), True)], "error", ("0.4",)),
    ("array.compressor.valid", "no-id", _image,
     _arr_set("0", "compressor", {"name": "blosc"}), [("0", ("compressor",), True)], "error",
     ("0.4",)),
    ("array.filters.valid", "no-id", _image, _arr_set("0", "filters", [{"name": "delta"}]),
     [("0", ("filters", 0), True)], "error", ("0.4",)),
    ("array.dimension-separator.valid", "dash", _image,
     _arr_set("0", "dimension_separator", "-"), [("0", ("dimension_separator",), True)],
     "error", ("0.4",)),
    ("array.dimension-separator.nested", "dot", _image,
     _arr_set("0", "dimension_separator", "."), [("0", ("dimension_separator",), True)],
     "warning", ("0.4",)),
    ("array.dimension-separator.nested", "missing", _image,
     _arr_del("0", "dimension_separator"), [("0", (), True)], "warning", ("0.4",)),
    ("array.chunk-grid.valid", "no-configuration", _image,
     _arr_set("0", "chunk_grid", {"name": "regular"}), [("0", ("chunk_grid",), True)],
     "error", ("0.5",)),
    ("array.chunk-key-encoding.valid", "dash", _image,
     _arr_set("0", "chunk_key_encoding",
              {"name": "default", "configuration": {"separator": "-"}}),
     [("0", ("chunk_key_encoding", "configuration", "separator"), True)], "error", ("0.5",)),
    ("array.codecs.valid", "empty", _image, _arr_set("0", "codecs", []),
     [("0", ("codecs",), True)], "error", ("0.5",)),
    ("array.codecs.valid", "unnamed", _image,
     _arr_set("0", "codecs", [{"configuration": {"endian": "little"}}]),
     [("0", ("codecs", 0), True)], "error", ("0.5",)),
    ("array.dimension-names.valid", "short", _image, _arr_set("0", "dimension_names", ["y"]),
     [("0", ("dimension_names",), True)], "error", ("0.5",)),
    ("array.attributes.object", "list", _image, _arr_set("0", "attributes", []),
     [("0", ("attributes",), True)], "error", ("0.5",)),
]

CHUNK_FAILS: list[tuple[str, str, Any, str]] = [
    ("array.chunks.valid", "zero", [0, 64], "error"),
    ("array.chunks.ndim", "short", [64], "error"),
]

TREE_PASSES: list[tuple[str, str, Callable[[str], Tree], TreeMutation, tuple[str, ...]]] = [
    ("multiscales.axes.count-matches-ndim", "5d", _image_5d, _noop, BOTH),
    ("multiscales.datasets.shape-order", "equal-levels", _image, _shape("1", [64, 64]), BOTH),
    ("omero.channels.count-matches-axis", "two-for-two", _image_5d, _noop, BOTH),
    ("array.fill-value.valid", "nan-for-floats", _float_image, _noop, BOTH),
    ("array.compressor.valid", "blosc", _image,
     _arr_set("0", "compressor", {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1}),
     ("0.4",)),
    ("array.filters.valid", "delta", _image,
     _arr_set("0", "filters", [{"id": "delta", "dtype": "|u1"}]), ("0.4",)),
    ("array.chunk-grid.valid", "extension-grid", _image,
     _arr_set("0", "chunk_grid", {"name": "rectilinear", "configuration": {"chunk_shapes": []}}),
     ("0.5",)),
    ("array.dtype.known", "raw-bits", _image, _arr_set("0", "data_type", "r8"), ("0.5",)),
]


def _tree_expect(version: str, node: str, tokens: tuple[str | int, ...], in_array: bool,
                 rule: str, severity: str) -> Doc:
    if tokens == ("<dtype>",):
        tokens = ("data_type",) if version == "0.5" else ("dtype",)
    body = "".join(f"/{t}" for t in tokens)
    pointer = body if in_array else tree_pointer(version, *tokens)
    return {"rule": rule, "node": node, "pointer": pointer, "severity": severity}


def write_tree_cases(written: set[Path]) -> None:
    fails = list(TREE_FAILS)
    for rule, what, chunks, severity in CHUNK_FAILS:
        for version in VERSIONS:
            fails.append((rule, what, _image, _chunks(ARRAY_0, chunks),
                          [("0", CHUNK_PATH[version], True)], severity, (version,)))
    rules: set[tuple[str, str]] = set()
    for rule, what, build, mutate, expected, severity, versions in fails:
        for version in versions:
            tree = build(version)
            mutate(tree, version)
            expect = [_tree_expect(version, node, tokens, in_array, rule, severity)
                      for node, tokens, in_array in expected]
            written.add(write_case(rule, f"fail-{version}-{what}", version, {
                "description": f"{rule}: {what}",
                "tree": tree,
                "expect": expect,
                "valid": severity != "error",
            }))
            rules.add((rule, version))
    for rule, version in sorted(rules):
        written.add(write_case(rule, f"pass-{version}", version, {
            "description": "a valid image with every SHOULD met",
            "tree": clean_tree(version),
            "valid": True,
        }))
    for rule, what, build, mutate, versions in TREE_PASSES:
        for version in versions:
            tree = build(version)
            mutate(tree, version)
            written.add(write_case(rule, f"pass-{version}-{what}", version, {
                "description": f"{rule}: {what}",
                "tree": tree,
                "valid": True,
            }))


def main() -> None:
    for folder in CASES.iterdir():
        if folder.is_dir() and folder.name.startswith(PREFIXES) and folder.name not in KEEP:
            for old in folder.glob("*.json"):
                if old.stem.split("-")[1] in VERSIONS:  # 0.6 cases are _gen_v06's
                    old.unlink()
    written: set[Path] = set()
    write_document_cases(written)
    write_tree_cases(written)
    for folder in CASES.iterdir():
        if folder.is_dir() and folder.name.startswith(PREFIXES) and not any(folder.iterdir()):
            folder.rmdir()
    print(f"wrote {len(written)} cases")


if __name__ == "__main__":
    main()
