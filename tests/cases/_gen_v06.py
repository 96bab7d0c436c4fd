"""Generate the NGFF 0.6 rule cases that one document decides.

    python -m tests.cases._gen_v06

Writes ``tests/cases/<rule>/{pass,fail}-0.6[-what].json`` for every 0.6 rule checkable on one
attributes document: coordinate systems, transformations, scenes, the 0.6 image schema, and
the rules 0.6 shares with 0.5 (plates, wells, labels, omero, bioformats2raw), whose 0.5
mutations (``_gen_hcs_labels``, ``_gen_images``) are replayed on 0.6 documents. Each case
mutates one thing of a valid document; the pointers in ``expect`` are written here by hand,
never taken from the validator. Replaces the 0.6 cases this script wrote before; the other
generators leave 0.6 files alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.casekit import image_tree, write_case
from tests.cases import _gen_hcs_labels as hcs
from tests.cases import _gen_images as images

V = "0.6"
CASES = Path(__file__).parent
Doc = dict[str, Any]
Mutation = Callable[[Doc], Any]

# -- valid documents (OME metadata objects, without "version") -------------------------------

Y = {"name": "y", "type": "space", "unit": "micrometer"}
X = {"name": "x", "type": "space", "unit": "micrometer"}
Z = {"name": "z", "type": "space", "unit": "micrometer"}
T = {"name": "t", "type": "time", "unit": "second"}
C = {"name": "c", "type": "channel", "discrete": True}


def system(name: str, axes: list[Doc]) -> Doc:
    return {"name": name, "axes": copy.deepcopy(axes)}


def image() -> Doc:
    """A 2D image, two levels (a scale; a scale then a translation), a second system linked
    to the intrinsic one, omero: every MUST and SHOULD met."""
    return {
        "multiscales": [{
            "name": "image",
            "type": "gaussian",
            "metadata": {"method": "skimage.transform.pyramid_gaussian"},
            "coordinateSystems": [system("physical", [Y, X]), system("world", [Y, X])],
            "datasets": [
                {"path": "0", "coordinateTransformations": [
                    {"type": "scale", "scale": [0.5, 0.5], "input": {"path": "0"},
                     "output": {"name": "physical"}}]},
                {"path": "1", "coordinateTransformations": [
                    {"type": "sequence", "input": {"path": "1"}, "output": {"name": "physical"},
                     "transformations": [{"type": "scale", "scale": [1.0, 1.0]},
                                         {"type": "translation", "translation": [0.25, 0.25]}]}]},
            ],
            "coordinateTransformations": [
                {"type": "translation", "translation": [10.0, 20.0],
                 "input": {"name": "physical"}, "output": {"name": "world"}}],
        }],
        "omero": {"channels": [copy.deepcopy(images.CHANNEL)],
                  "rdefs": {"defaultZ": 0, "model": "color"}},
    }


def scene(*transforms: Doc, systems: list[Doc] | None = None) -> Doc:
    """A scene with systems "a", "b" (2D), "c3" (3D), "d4" (4D) and the given transforms
    (default: a translation from tile_0's "physical" to "a")."""
    if systems is None:
        systems = [system("a", [Y, X]), system("b", [Y, X]), system("c3", [Z, Y, X]),
                   system("d4", [C, Z, Y, X])]
    if not transforms:
        transforms = ({"type": "translation", "translation": [0.0, 348.0],
                       "input": {"path": "tile_0", "name": "physical"},
                       "output": {"name": "a"}},)
    return {"scene": {"coordinateSystems": systems,
                      "coordinateTransformations": list(copy.deepcopy(transforms))}}


def t(kind: str, src: str = "a", dst: str = "b", **params: Any) -> Doc:
    return {"type": kind, "input": {"name": src}, "output": {"name": dst}, **params}


VALID: dict[str, Callable[[], Doc]] = {
    "image": image,
    "scene": scene,
    **{kind: (lambda kind=kind: {kind: hcs.VALID[kind]("0.6")})
       for kind in ("plate", "well", "image-label", "labels")},
    "bf2raw": lambda: {"bioformats2raw.layout": 3},
    "series": lambda: {"series": ["0", "1"]},
}


def attributes(ome: Doc) -> Doc:
    return {"ome": {"version": V, **ome}}


def ptr(*tokens: str | int) -> str:
    return "/ome" + "".join(f"/{token}" for token in tokens)


# -- mutations ------------------------------------------------------------------------------

MS = ("multiscales", 0)
CS = (*MS, "coordinateSystems")
DS = (*MS, "datasets")
OWN = (*MS, "coordinateTransformations")
SC = ("scene", "coordinateTransformations")


def _ms(ome: Doc) -> Doc:
    ms: Doc = ome["multiscales"][0]
    return ms


def _ct(ome: Doc, j: int) -> Doc:
    transform: Doc = _ms(ome)["datasets"][j]["coordinateTransformations"][0]
    return transform


def edit(func: Callable[[Doc], Any]) -> Mutation:
    def mutate(ome: Doc) -> Doc:
        func(ome)
        return ome

    return mutate


def world_axes(axes: list[Doc]) -> Mutation:
    """Give the second system other axes, and drop the transformation that links it."""
    def mutate(ome: Doc) -> None:
        _ms(ome)["coordinateSystems"][1]["axes"] = copy.deepcopy(axes)
        del _ms(ome)["coordinateTransformations"]

    return edit(mutate)


def own(transform: Doc) -> Mutation:
    return edit(lambda ome: _ms(ome).__setitem__("coordinateTransformations",
                                                  [copy.deepcopy(transform)]))


def in_scene(*transforms: Doc, systems: list[Doc] | None = None) -> Mutation:
    return lambda _ome: scene(*transforms, systems=systems)


def scene_system_axes(axes: list[Doc]) -> Mutation:
    return edit(lambda ome: ome["scene"]["coordinateSystems"][0].__setitem__(
        "axes", copy.deepcopy(axes)))


def replace(value: Doc) -> Mutation:
    return lambda _ome: copy.deepcopy(value)


IDENTITY_TO_LABEL = {"type": "identity", "input": {"name": "physical"},
                     "output": {"name": "physical", "path": "labels/cells"}}
SEQ = {"type": "sequence", "input": {"name": "physical"},
       "output": {"name": "physical", "path": "labels/cells"},
       "transformations": [{"type": "scale", "scale": [2.0, 2.0]},
                           {"type": "translation", "translation": [1.0, 1.0]}]}

# (rule, what, family, mutation, pointer tokens after /ome, severity)
Case = tuple[str, str, str, Mutation, tuple[str | int, ...], str]

FAILS: list[Case] = [
    # the envelope
    ("ome.version.value", "rc1", "image", lambda o: o, ("version",), "error"),  # see main()
    ("ome.version.required", "missing", "image", lambda o: o, (), "error"),
    ("ome.namespace.required", "bare", "image", lambda o: o, (), "error"),
    ("ome.version.pre-release", "dev3", "image", lambda o: o, ("version",), "warning"),
    ("ome.coordinate-metadata.placement", "systems-in-ome", "scene",
     lambda o: {"coordinateSystems": o["scene"]["coordinateSystems"]}, (), "error"),
    # coordinate systems and axes
    ("coordinate-systems.value.list", "object", "image",
     edit(lambda o: _ms(o).__setitem__("coordinateSystems", {})), (*CS,), "error"),
    ("coordinate-systems.value.list", "scene-string", "scene",
     edit(lambda o: o["scene"].__setitem__("coordinateSystems", "a")),
     ("scene", "coordinateSystems"), "error"),
    ("coordinate-systems.name.required", "empty", "scene",
     edit(lambda o: o["scene"]["coordinateSystems"][1].__setitem__("name", "")),
     ("scene", "coordinateSystems", 1, "name"), "error"),
    ("coordinate-systems.axes.required", "missing", "scene",
     edit(lambda o: o["scene"]["coordinateSystems"][1].pop("axes")),
     ("scene", "coordinateSystems", 1), "error"),
    ("coordinate-systems.axes.list", "string", "scene",
     edit(lambda o: o["scene"]["coordinateSystems"][1].__setitem__("axes", "yx")),
     ("scene", "coordinateSystems", 1, "axes"), "error"),
    ("coordinate-systems.axes.name-required", "empty", "scene",
     scene_system_axes([{**Y, "name": ""}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "name"), "error"),
    ("coordinate-systems.axes.type-present", "missing", "scene",
     scene_system_axes([{"name": "y", "unit": "micrometer"}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0), "warning"),
    ("coordinate-systems.axes.type-string", "number", "scene",
     scene_system_axes([{**Y, "type": 5}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "type"), "error"),
    ("coordinate-systems.axes.type-known", "angle", "scene",
     scene_system_axes([{"name": "a", "type": "angle"}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "type"), "warning"),
    ("coordinate-systems.axes.discrete-boolean", "string", "scene",
     scene_system_axes([{**Y, "discrete": "no"}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "discrete"), "error"),
    ("coordinate-systems.axes.long-name-string", "number", "scene",
     scene_system_axes([{**Y, "longName": 1}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "longName"), "error"),
    ("coordinate-systems.axes.unit-present", "space", "scene",
     scene_system_axes([{"name": "y", "type": "space"}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0), "info"),
    ("coordinate-systems.axes.unit-known", "micron", "scene",
     scene_system_axes([{**Y, "unit": "micron"}, X]),
     ("scene", "coordinateSystems", 0, "axes", 0, "unit"), "warning"),
    ("coordinate-systems.name.unique", "image", "image",
     edit(lambda o: _ms(o)["coordinateSystems"][1].__setitem__("name", "physical")),
     (*CS, 1, "name"), "error"),
    ("coordinate-systems.name.unique", "scene", "scene",
     edit(lambda o: o["scene"]["coordinateSystems"][1].__setitem__("name", "a")),
     ("scene", "coordinateSystems", 1, "name"), "error"),
    ("coordinate-systems.axes.unique-names", "image", "image",
     edit(lambda o: _ms(o)["coordinateSystems"][0].__setitem__(
         "axes", [Y, {**Y, "unit": "nanometer"}])),
     (*CS, 0, "axes", 1, "name"), "error"),
    ("coordinate-systems.axes.unique-names", "scene", "scene", scene_system_axes([X, X]),
     ("scene", "coordinateSystems", 0, "axes", 1, "name"), "error"),
    # the conditions on the axes of a multiscale's systems
    ("multiscales.axes.count", "one", "image", world_axes([X]), (*CS, 1, "axes"), "error"),
    ("multiscales.axes.count", "six", "image",
     world_axes([{"name": "a", "type": "angle"}, T, C, Z, Y, X]), (*CS, 1, "axes"), "error"),
    ("multiscales.axes.space-count", "one", "image", world_axes([T, X]), (*CS, 1, "axes"),
     "error"),
    ("multiscales.axes.space-count", "untyped", "image",
     world_axes([{"name": "y"}, {"name": "x"}]), (*CS, 1, "axes"), "error"),
    ("multiscales.axes.time-count", "two", "image",
     world_axes([T, {**T, "name": "t2"}, Y, X]), (*CS, 1, "axes"), "error"),
    ("multiscales.axes.channel-count", "channel-and-custom", "image",
     world_axes([C, {"name": "a", "type": "angle"}, Y, X]), (*CS, 1, "axes"), "error"),
    ("multiscales.axes.order", "channel-last", "image", world_axes([Y, X, C]),
     (*CS, 1, "axes", 2, "type"), "error"),
    ("multiscales.axes.order", "displacement-after-space", "image",
     world_axes([Y, X, {"name": "v", "type": "displacement", "discrete": True}]),
     (*CS, 1, "axes", 2, "type"), "error"),
    ("multiscales.axes.zyx-order", "xyz", "image", world_axes([X, Y, Z]),
     (*CS, 1, "axes", 0, "name"), "warning"),
    # the multiscale object
    ("multiscales.coordinate-systems.required", "missing", "image",
     edit(lambda o: _ms(o).pop("coordinateSystems")), (*MS,), "error"),
    ("multiscales.coordinate-systems.non-empty", "empty", "image",
     edit(lambda o: _ms(o).__setitem__("coordinateSystems", [])), (*CS,), "error"),
    # datasets' transformations
    ("multiscales.datasets.transformation-single", "two", "image",
     edit(lambda o: _ms(o)["datasets"][0]["coordinateTransformations"].append(_ct(o, 0))),
     (*DS, 0, "coordinateTransformations"), "error"),
    ("multiscales.datasets.transformation-single", "none", "image",
     edit(lambda o: _ms(o)["datasets"][0].__setitem__("coordinateTransformations", [])),
     (*DS, 0, "coordinateTransformations"), "error"),
    ("multiscales.datasets.transformation-type", "translation", "image",
     edit(lambda o: _ct(o, 0).update({"type": "translation", "translation": [1.0, 1.0]})),
     (*DS, 0, "coordinateTransformations", 0, "type"), "error"),
    ("multiscales.datasets.transformation-type", "translation-then-scale", "image",
     edit(lambda o: _ct(o, 1)["transformations"].reverse()),
     (*DS, 1, "coordinateTransformations", 0, "transformations", 0, "type"), "error"),
    ("multiscales.datasets.transformation-type", "three-steps", "image",
     edit(lambda o: _ct(o, 1)["transformations"].append({"type": "identity"})),
     (*DS, 1, "coordinateTransformations", 0, "transformations"), "error"),
    ("multiscales.datasets.input-path", "missing-input", "image",
     edit(lambda o: _ct(o, 0).pop("input")), (*DS, 0, "coordinateTransformations", 0), "error"),
    ("multiscales.datasets.input-path", "name-only", "image",
     edit(lambda o: _ct(o, 0).__setitem__("input", {"name": "0"})),
     (*DS, 0, "coordinateTransformations", 0, "input"), "error"),
    ("multiscales.datasets.input-name-omitted", "named", "image",
     edit(lambda o: _ct(o, 0)["input"].__setitem__("name", "array")),
     (*DS, 0, "coordinateTransformations", 0, "input"), "warning"),
    ("multiscales.datasets.input-matches-path", "other-level", "image",
     edit(lambda o: _ct(o, 1)["input"].__setitem__("path", "0")),
     (*DS, 1, "coordinateTransformations", 0, "input", "path"), "error"),
    ("multiscales.datasets.output-name", "path-only", "image",
     edit(lambda o: _ct(o, 0).__setitem__("output", {"path": "physical"})),
     (*DS, 0, "coordinateTransformations", 0, "output"), "error"),
    ("multiscales.datasets.output-path-omitted", "with-path", "image",
     edit(lambda o: _ct(o, 0)["output"].__setitem__("path", "other")),
     (*DS, 0, "coordinateTransformations", 0, "output"), "warning"),
    ("multiscales.datasets.output-known", "unknown", "image",
     edit(lambda o: [_ct(o, j)["output"].__setitem__("name", "nowhere") for j in (0, 1)]
          and _ms(o).pop("coordinateTransformations")),
     (*DS, 0, "coordinateTransformations", 0, "output", "name"), "error"),
    ("multiscales.datasets.output-same", "second-level", "image",
     edit(lambda o: _ct(o, 1)["output"].__setitem__("name", "world")),
     (*DS, 1, "coordinateTransformations", 0, "output", "name"), "error"),
    ("multiscales.datasets.scale-order", "sequence-smaller", "image",
     edit(lambda o: _ct(o, 1)["transformations"][0].__setitem__("scale", [0.25, 0.25])),
     (*DS, 1, "coordinateTransformations", 0, "transformations", 0, "scale"), "error"),
    ("multiscales.datasets.scale-order", "one-axis", "image",
     edit(lambda o: _ct(o, 0).__setitem__("scale", [0.5, 2.0])),
     (*DS, 1, "coordinateTransformations", 0, "transformations", 0, "scale"), "error"),
    # the multiscale's own transformations
    ("multiscales.transformations.input-output", "no-output", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0].pop("output")), (*OWN, 0), "error"),
    ("multiscales.transformations.input-output", "no-name", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0].__setitem__("input", {})),
     (*OWN, 0, "input"), "error"),
    ("multiscales.transformations.intrinsic-end", "world-to-world", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0].__setitem__(
         "input", {"name": "world"})), (*OWN, 0), "error"),
    ("multiscales.transformations.intrinsic-end", "intrinsic-with-path", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0]["input"].__setitem__(
         "path", "labels/cells")), (*OWN, 0), "error"),
    ("multiscales.transformations.other-end", "unknown-name", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0]["output"].__setitem__(
         "name", "elsewhere")), (*OWN, 0, "output", "name"), "error"),
    ("multiscales.transformations.other-end", "not-a-label", "image",
     own({**IDENTITY_TO_LABEL, "output": {"name": "physical", "path": "../other"}}),
     (*OWN, 0, "output", "path"), "error"),
    ("multiscales.transformations.label-link-type", "affine", "image",
     own({**IDENTITY_TO_LABEL, "type": "affine", "affine": [[1, 0, 0], [0, 1, 0]]}),
     (*OWN, 0, "type"), "error"),
    ("multiscales.transformations.label-link-type", "sequence-translation-scale", "image",
     own({**SEQ, "transformations": list(reversed(SEQ["transformations"]))}),
     (*OWN, 0, "type"), "error"),
    # transformations: shape
    ("transformations.value.list", "object", "image",
     edit(lambda o: _ms(o).__setitem__("coordinateTransformations", {})), (*OWN,), "error"),
    ("transformations.value.list", "scene-object", "scene",
     edit(lambda o: o["scene"].__setitem__("coordinateTransformations", {})), (*SC,), "error"),
    ("transformations.type.required", "missing", "scene",
     in_scene({"input": {"name": "a"}, "output": {"name": "b"}}), (*SC, 0), "error"),
    ("transformations.type.known", "warp", "scene", in_scene(t("warp")), (*SC, 0, "type"),
     "error"),
    ("transformations.name.string", "number", "scene", in_scene(t("identity", name=5)),
     (*SC, 0, "name"), "error"),
    ("transformations.input-output.object", "string", "scene",
     in_scene({**t("identity"), "input": "a"}), (*SC, 0, "input"), "error"),
    ("transformations.input-output.object", "nested-name-number", "scene",
     in_scene(t("sequence", transformations=[{"type": "identity", "input": {"name": 1}}])),
     (*SC, 0, "transformations", 0, "input", "name"), "error"),
    ("transformations.map-axis.parameters", "missing", "scene", in_scene(t("mapAxis")),
     (*SC, 0), "error"),
    ("transformations.map-axis.parameters", "float", "scene",
     in_scene(t("mapAxis", mapAxis=[0.5, 1])), (*SC, 0, "mapAxis", 0), "error"),
    ("transformations.project-axis.parameters", "neither", "scene",
     in_scene(t("projectAxis")), (*SC, 0), "error"),
    ("transformations.translation.parameters", "path", "scene",
     in_scene(t("translation", path="coordinateTransformations/shift")), (*SC, 0), "error"),
    ("transformations.scale.parameters", "string-entry", "scene",
     in_scene(t("scale", scale=[1.0, "2"])), (*SC, 0, "scale", 1), "error"),
    ("transformations.scale.non-zero", "zero", "scene", in_scene(t("scale", scale=[0, 1.0])),
     (*SC, 0, "scale", 0), "warning"),
    ("transformations.affine.parameters", "neither", "scene", in_scene(t("affine")),
     (*SC, 0), "error"),
    ("transformations.affine.parameters", "both", "scene",
     in_scene(t("affine", affine=[[1, 0, 0], [0, 1, 0]], path="params")), (*SC, 0), "error"),
    ("transformations.rotation.parameters", "flat", "scene",
     in_scene(t("rotation", rotation=[0, 1])), (*SC, 0, "rotation", 0), "error"),
    ("transformations.sequence.parameters", "missing", "scene", in_scene(t("sequence")),
     (*SC, 0), "error"),
    ("transformations.sequence.non-empty", "empty", "scene",
     in_scene(t("sequence", transformations=[])), (*SC, 0, "transformations"), "error"),
    ("transformations.field.parameters", "no-path", "scene",
     in_scene(t("displacements", interpolation="linear")), (*SC, 0), "error"),
    ("transformations.field.parameters", "interpolation-number", "scene",
     in_scene(t("coordinates", path="fields/c", interpolation=1)),
     (*SC, 0, "interpolation"), "error"),
    ("transformations.bijection.parameters", "no-inverse", "scene",
     in_scene(t("bijection", forward={"type": "identity"})), (*SC, 0), "error"),
    ("transformations.by-dimension.parameters", "no-transformation", "scene",
     in_scene(t("byDimension", transformations=[{"inputAxes": [0, 1], "outputAxes": [0, 1]}])),
     (*SC, 0, "transformations", 0), "error"),
    ("transformations.by-dimension.parameters", "named-axes", "scene",
     in_scene(t("byDimension", transformations=[{"transformation": {"type": "identity"},
                                                 "inputAxes": ["y", "x"],
                                                 "outputAxes": [0, 1]}])),
     (*SC, 0, "transformations", 0, "inputAxes", 0), "error"),
    # transformations: parameters against dimensionality
    ("transformations.identity.dimensions", "2d-to-3d", "scene", in_scene(t("identity", "a", "c3")),
     (*SC, 0), "error"),
    ("transformations.scale.length", "three-for-two", "scene",
     in_scene(t("scale", scale=[1.0, 1.0, 1.0])), (*SC, 0, "scale"), "error"),
    ("transformations.scale.length", "dataset", "image",
     edit(lambda o: _ct(o, 0).__setitem__("scale", [0.5, 0.5, 1.0])),
     (*DS, 0, "coordinateTransformations", 0, "scale"), "error"),
    ("transformations.scale.length", "in-sequence", "image",
     edit(lambda o: _ct(o, 1)["transformations"][0].__setitem__("scale", [1.0])),
     (*DS, 1, "coordinateTransformations", 0, "transformations", 0, "scale"), "error"),
    ("transformations.translation.length", "one-for-two", "scene",
     in_scene(t("translation", translation=[1.0])), (*SC, 0, "translation"), "error"),
    ("transformations.translation.length", "2d-to-3d", "scene",
     in_scene(t("translation", "a", "c3", translation=[1.0, 1.0])), (*SC, 0, "translation"),
     "error"),
    ("transformations.map-axis.permutation", "repeated", "scene",
     in_scene(t("mapAxis", mapAxis=[0, 0])), (*SC, 0, "mapAxis"), "error"),
    ("transformations.map-axis.permutation", "out-of-range", "scene",
     in_scene(t("mapAxis", mapAxis=[0, 2])), (*SC, 0, "mapAxis"), "error"),
    ("transformations.map-axis.permutation", "too-long", "scene",
     in_scene(t("mapAxis", mapAxis=[0, 1, 2])), (*SC, 0, "mapAxis"), "error"),
    ("transformations.project-axis.unique", "created-twice", "scene",
     in_scene(t("projectAxis", "a", "d4", createdOutputs=[0, 0])),
     (*SC, 0, "createdOutputs", 1), "error"),
    ("transformations.project-axis.indices-in-range", "dropped", "scene",
     in_scene(t("projectAxis", droppedInputs=[2], createdOutputs=[0])),
     (*SC, 0, "droppedInputs", 0), "error"),
    ("transformations.project-axis.indices-in-range", "created", "scene",
     in_scene(t("projectAxis", "a", "c3", createdOutputs=[3])),
     (*SC, 0, "createdOutputs", 0), "error"),
    ("transformations.project-axis.dimensions", "one-short", "scene",
     in_scene(t("projectAxis", "a", "d4", createdOutputs=[0])), (*SC, 0), "error"),
    ("transformations.affine.shape", "columns", "scene",
     in_scene(t("affine", affine=[[1, 0], [0, 1]])), (*SC, 0, "affine"), "error"),
    ("transformations.affine.shape", "rows", "scene",
     in_scene(t("affine", "a", "c3", affine=[[1, 0, 0], [0, 1, 0]])), (*SC, 0, "affine"),
     "error"),
    ("transformations.affine.shape", "ragged", "scene",
     in_scene({"type": "affine", "input": {"name": "a", "path": "tile"},
               "output": {"name": "b"}, "affine": [[1, 0, 0], [0, 1]]}),
     (*SC, 0, "affine"), "error"),
    ("transformations.rotation.shape", "2x3", "scene",
     in_scene(t("rotation", rotation=[[1, 0, 0], [0, 1, 0]])), (*SC, 0, "rotation"), "error"),
    ("transformations.rotation.shape", "2d-to-3d", "scene",
     in_scene(t("rotation", "a", "c3", rotation=[[1, 0], [0, 1]])), (*SC, 0, "rotation"),
     "error"),
    ("transformations.rotation.orthonormal", "shear", "scene",
     in_scene(t("rotation", rotation=[[1, 1], [0, 1]])), (*SC, 0, "rotation"), "error"),
    ("transformations.rotation.orthonormal", "reflection", "scene",
     in_scene(t("rotation", rotation=[[0, 1], [1, 0]])), (*SC, 0, "rotation"), "error"),
    ("transformations.by-dimension.output-axes", "out-of-range", "scene",
     in_scene(t("byDimension", transformations=[
         {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [0],
          "outputAxes": [0]},
         {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [1],
          "outputAxes": [2]}])),
     (*SC, 0, "transformations", 1, "outputAxes", 0), "error"),
    ("transformations.by-dimension.output-axes", "twice", "scene",
     in_scene(t("byDimension", transformations=[
         {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [0],
          "outputAxes": [1]},
         {"transformation": {"type": "translation", "translation": [1.0]}, "inputAxes": [1],
          "outputAxes": [1]}])),
     (*SC, 0, "transformations", 1, "outputAxes", 0), "error"),
    ("transformations.by-dimension.input-axes", "out-of-range", "scene",
     in_scene(t("byDimension", transformations=[
         {"transformation": {"type": "identity"}, "inputAxes": [0, 5],
          "outputAxes": [0, 1]}])),
     (*SC, 0, "transformations", 0, "inputAxes", 1), "error"),
    ("transformations.bijection.dimensions", "2d-to-3d", "scene",
     in_scene(t("bijection", "a", "c3", forward={"type": "identity"},
                inverse={"type": "identity"})), (*SC, 0), "error"),
    ("transformations.bijection.dimensions", "forward-output", "scene",
     in_scene(t("bijection", forward={"type": "identity", "output": {"name": "c3"}},
                inverse={"type": "identity"})), (*SC, 0, "forward", "output"), "error"),
    # scenes
    ("scene.value.object", "list", "scene", lambda o: {"scene": []}, ("scene",), "error"),
    ("scene.transformations.required", "missing", "scene",
     edit(lambda o: o["scene"].pop("coordinateTransformations")), ("scene",), "error"),
    ("scene.transformations.input-output", "no-input", "scene",
     in_scene({"type": "identity", "output": {"name": "a"}}), (*SC, 0), "error"),
    ("scene.transformations.input-output", "path-only", "scene",
     in_scene({"type": "identity", "input": {"path": "tile_0"}, "output": {"name": "a"}}),
     (*SC, 0, "input"), "error"),
    ("scene.transformations.name-known", "unknown", "scene",
     in_scene({"type": "identity", "input": {"path": "tile_0", "name": "physical"},
               "output": {"name": "nowhere"}}), (*SC, 0, "output", "name"), "error"),
    ("scene.transformations.name-known", "null-path", "scene",
     in_scene({"type": "identity", "input": {"path": None, "name": "physical"},
               "output": {"name": "a"}}), (*SC, 0, "input", "name"), "error"),
    # 0.6's node-name rule for field paths
    ("well.images.path-node-name", "dots", "well",
     edit(lambda o: o["well"]["images"][1].__setitem__("path", "..")),
     ("well", "images", 1, "path"), "error"),
    ("well.images.path-node-name", "reserved", "well",
     edit(lambda o: o["well"]["images"][1].__setitem__("path", "__meta")),
     ("well", "images", 1, "path"), "error"),
    ("well.images.path-node-name", "slash", "well",
     edit(lambda o: o["well"]["images"][1].__setitem__("path", "a/b")),
     ("well", "images", 1, "path"), "error"),
    # bioformats2raw, series, labels groups
    ("bf2raw.layout.value", "two", "bf2raw", lambda o: {"bioformats2raw.layout": 2},
     ("bioformats2raw.layout",), "error"),
    ("series.value.list", "string", "series", lambda o: {"series": "0"}, ("series",), "error"),
    ("series.paths.unique", "repeated", "series", lambda o: {"series": ["0", "1", "0"]},
     ("series", 2), "error"),
    ("labels.group.not-image", "multiscales", "image",
     edit(lambda o: o.__setitem__("labels", ["cells"])), ("labels",), "warning"),
]

# Passing variants beyond the clean document: (rule, what, family, mutation)
PASSES: list[tuple[str, str, str, Mutation]] = [
    ("ome.version.value", "rc0", "image", lambda o: o),  # version set below
    ("multiscales.axes.space-count", "array-system", "image",
     world_axes([{"name": "i", "type": "array", "discrete": True},
                 {"name": "j", "type": "array", "discrete": True}])),
    ("multiscales.axes.channel-count", "displacement", "image",
     world_axes([C, {"name": "v", "type": "displacement", "discrete": True}, Y, X])),
    ("multiscales.axes.order", "tczyx", "image", world_axes([T, C, Z, Y, X])),
    ("multiscales.axes.zyx-order", "zyx", "image", world_axes([Z, Y, X])),
    ("multiscales.datasets.transformation-type", "identity", "image",
     edit(lambda o: _ms(o)["datasets"][0].__setitem__("coordinateTransformations", [
         {"type": "identity", "input": {"path": "0"}, "output": {"name": "physical"}}]))),
    ("multiscales.transformations.other-end", "label", "image", own(IDENTITY_TO_LABEL)),
    ("multiscales.datasets.scale-order", "equal", "image",
     edit(lambda o: _ct(o, 0).__setitem__("scale", [1.0, 1.0]))),
    ("multiscales.transformations.intrinsic-end", "null-path", "image",
     edit(lambda o: _ms(o)["coordinateTransformations"][0]["input"].__setitem__("path", None))),
    ("multiscales.transformations.label-link-type", "sequence", "image", own(SEQ)),
    ("multiscales.transformations.label-link-type", "scale", "image",
     own({**IDENTITY_TO_LABEL, "type": "scale", "scale": [2.0, 2.0]})),
    ("transformations.map-axis.permutation", "swap", "scene",
     in_scene(t("mapAxis", mapAxis=[1, 0]))),
    ("transformations.project-axis.dimensions", "drop-and-create", "scene",
     in_scene(t("projectAxis", "d4", "c3", droppedInputs=[0]),
              t("projectAxis", "a", "c3", createdOutputs=[0]))),
    ("transformations.affine.shape", "2d-to-3d", "scene",
     in_scene(t("affine", "a", "c3", affine=[[0, 0, 1], [1, 0, 0], [0, 1, 0]]))),
    ("transformations.affine.shape", "by-path", "scene",
     in_scene(t("affine", path="coordinateTransformations/affine"))),
    ("transformations.rotation.orthonormal", "45-degrees", "scene",
     in_scene(t("rotation", rotation=[[0.7071, -0.7071], [0.7071, 0.7071]]))),
    ("transformations.rotation.orthonormal", "3d", "scene",
     in_scene(t("rotation", "c3", "c3", rotation=[[0, -1, 0], [1, 0, 0], [0, 0, 1]]))),
    ("transformations.by-dimension.output-axes", "split", "scene",
     in_scene(t("byDimension", transformations=[
         {"transformation": {"type": "scale", "scale": [2.0]}, "inputAxes": [0],
          "outputAxes": [0]},
         {"transformation": {"type": "translation", "translation": [-10.0]},
          "inputAxes": [1], "outputAxes": [1]}]))),
    ("transformations.bijection.dimensions", "verbose", "scene",
     in_scene(t("bijection", forward={"type": "identity", "input": {"name": "a"},
                                      "output": {"name": "b"}},
                inverse={"type": "identity", "input": {"name": "b"},
                         "output": {"name": "a"}}))),
    ("transformations.scale.length", "sequence-with-affine", "scene",
     in_scene(t("sequence", "a", "c3", transformations=[
         {"type": "scale", "scale": [2.0, 2.0]},
         {"type": "affine", "affine": [[0, 0, 1], [1, 0, 0], [0, 1, 0]]}]))),
    ("scene.transformations.name-known", "image-system", "scene",
     in_scene({"type": "identity", "input": {"path": "tile_0", "name": "physical"},
               "output": {"path": "tile_1", "name": "physical"}})),
    ("well.images.path-node-name", "special-characters", "well",
     edit(lambda o: o["well"]["images"][1].__setitem__("path", "0_a-b.image"))),
]

# Rules 0.6 shares with 0.5 whose 0.5 mutations replay on 0.6 documents.
_NOT_IN_06 = {"plate.version.string", "well.version.string", "image-label.version.string",
              "well.images.path-alphanumeric"}
_IMAGE_RULES_FROM_05 = {
    "multiscales.value.list", "multiscales.value.non-empty", "multiscales.datasets.required",
    "multiscales.datasets.list", "multiscales.datasets.non-empty",
    "multiscales.datasets.path-required", "multiscales.datasets.transformations-required",
    "multiscales.name.present", "multiscales.name.string", "multiscales.type.present",
    "multiscales.type.string", "multiscales.metadata.present", "multiscales.metadata.object",
    "multiscales.datasets.path-unique",
}


def replayed() -> list[Case]:
    """The 0.5 document cases of the rules 0.6 keeps, as 0.6 cases."""
    cases: list[Case] = []
    for rule, what, versions, kind, mutate, tokens, severity in hcs.DOC_CASES:
        if "0.5" not in versions or rule in _NOT_IN_06:
            continue

        def on_kind(ome: Doc, kind: str = kind, mutate: Mutation = mutate) -> Doc:
            return {kind: mutate(ome[kind])}

        cases.append((rule, what, kind, on_kind, (kind, *tokens), severity or "error"))
    for rule, what, mutate05, tokens, severity in [*images.DOC_FAILS, *images.DOC_FAILS_05]:
        if rule in _IMAGE_RULES_FROM_05 or rule.startswith("omero."):

            def on_image(ome: Doc, mutate05: Any = mutate05) -> Doc:
                mutate05(ome, V)
                return ome

            cases.append((rule, what, "image", on_image, tokens, severity))
    return cases


# Rules about the Zarr v3 documents, the walk and reading, which 0.6 shares with 0.5 (same
# Zarr format, same layout): their 0.5 cases are replayed with the metadata made 0.6.
_WALK_PREFIXES = ("array.", "hierarchy.", "io.", "zarr.")
# The walk rules of images, labels, plates, wells and bioformats2raw collections, whose text
# 0.6 keeps: their 0.5 trees replay as 0.6 trees.
_WALK_RULES = {
    "bf2raw.images.consecutive", "bf2raw.ome-xml.image-count", "bf2raw.ome-xml.metadata-only",
    "bf2raw.ome-xml.present", "bf2raw.ome-xml.valid", "bf2raw.plate.series",
    "image-label.arrays.integer", "image-label.source.resolves",
    "labels.datasets.count-matches-parent", "labels.paths.exist", "labels.paths.image-label",
    "labels.shape.matches-parent", "multiscales.axes.count-matches-ndim",
    "multiscales.datasets.max-ndim", "multiscales.datasets.path-exists",
    "multiscales.datasets.same-dtype", "multiscales.datasets.same-ndim",
    "multiscales.datasets.shape-order", "omero.channels.count-matches-axis",
    "plate.acquisitions.maximumfieldcount-respected", "plate.field-count.matches-wells",
    "plate.rows.group-exists", "plate.wells.exist", "series.images.exist",
    "well.images.acquisition-known", "well.images.acquisition-required", "well.images.exist",
}


def image_06(ome: Doc) -> None:
    """Make a 0.5 OME metadata object 0.6 in place: version, and each multiscale's axes as its
    one coordinate system "physical", named by the datasets' transformations."""
    if ome.get("version") == "0.5":
        ome["version"] = V
    multiscales = ome.get("multiscales")
    if not isinstance(multiscales, list):
        return
    for ms in multiscales:
        if not isinstance(ms, dict) or "axes" not in ms:
            continue
        ms["coordinateSystems"] = [{"name": "physical", "axes": ms.pop("axes")}]
        for dataset in ms.get("datasets", []):
            for transform in dataset.get("coordinateTransformations", []):
                transform["input"] = {"path": dataset["path"]}
                transform["output"] = {"name": "physical"}


def as_06(value: Any) -> Any:
    """A 0.5 case's ``tree`` or ``document`` with every OME metadata object made 0.6."""
    if isinstance(value, dict):
        if isinstance(value.get("ome"), dict):
            image_06(value["ome"])
        for item in value.values():
            as_06(item)
    elif isinstance(value, list):
        for item in value:
            as_06(item)
    return value


def replay_walk_cases(written: set[Path]) -> None:
    for path in sorted(CASES.glob("*/*-0.5*.json")):
        rule = path.parent.name
        if not rule.startswith(_WALK_PREFIXES) and rule not in _WALK_RULES:
            continue
        case = as_06(hcs.json.loads(path.read_text()))
        del case["version"]
        name = path.stem.replace("-0.5", f"-{V}", 1)
        written.add(write_case(rule, name, V, case))


def write_walk_version_cases(written: set[Path]) -> None:
    """A walked image whose root declares a 0.6 tag other than "0.6", or none at all.

    A missing ome.version is a walk case, as in 0.5: at the root nothing else gives the
    version (an error); a single document given its version from outside is judged as a
    group inside a hierarchy (hierarchy.version.present, a warning; issue 11)."""
    for rule, name, tag, expect in (
        ("ome.version.value", "pass-0.6-rc0-walk", "0.6rc0", []),
        ("ome.version.pre-release", "fail-0.6-dev-walk", "0.6.dev2",
         [{"rule": "ome.version.pre-release", "node": "", "pointer": "/attributes/ome/version",
           "severity": "warning"}]),
        ("ome.version.required", "fail-0.6-missing", None,
         [{"rule": "ome.version.required", "node": "", "pointer": "/attributes/ome",
           "severity": "error"}]),
    ):
        tree = as_06(image_tree("0.5"))
        multiscale = tree["zarr.json"]["attributes"]["ome"]["multiscales"][0]
        multiscale.update({"type": "gaussian", "metadata": {"method": "mean"}})
        if tag is None:
            del tree["zarr.json"]["attributes"]["ome"]["version"]
        else:
            tree["zarr.json"]["attributes"]["ome"]["version"] = tag
        described = f"declaring {tag!r}" if tag is not None else "whose root declares no version"
        case: Doc = {"description": f"a walked 0.6 image {described}", "tree": tree,
                     "valid": tag is not None}
        if expect:
            case["expect"] = expect
        written.add(write_case(rule, name, V, case))


def write_dimension_names_cases(written: set[Path]) -> None:
    """0.6 arrays need no dimension_names; names that contradict the axes are warned about."""
    rule = "multiscales.dimension-names.match-intrinsic"

    def clean() -> Doc:
        tree: Doc = as_06(image_tree("0.5"))
        multiscale = tree["zarr.json"]["attributes"]["ome"]["multiscales"][0]
        multiscale.update({"type": "gaussian", "metadata": {"method": "mean"}})
        return tree

    tree = clean()
    tree["0/zarr.json"]["dimension_names"] = ["x", "y"]
    written.add(write_case(rule, "fail-0.6-swapped", V, {
        "description": "level 0 names its dimensions x, y; the axes are y, x", "tree": tree,
        "expect": [{"rule": rule, "node": "0", "pointer": "/dimension_names",
                    "severity": "warning"}], "valid": True}))
    written.add(write_case(rule, "pass-0.6", V, {
        "description": "dimension_names equal to the axis names", "tree": clean(),
        "valid": True}))
    tree = clean()
    for level in ("0", "1"):
        del tree[f"{level}/zarr.json"]["dimension_names"]
    written.add(write_case(rule, "pass-0.6-without-names", V, {
        "description": "0.6 arrays without dimension_names", "tree": tree, "valid": True}))


def main() -> None:
    for path in CASES.glob("*/*-0.6*.json"):
        path.unlink()
    written: set[Path] = set()
    replay_walk_cases(written)
    write_walk_version_cases(written)
    write_dimension_names_cases(written)
    families: dict[str, str] = {}
    for rule, what, family, mutate, tokens, severity in [*replayed(), *FAILS]:
        ome = mutate(copy.deepcopy(VALID[family]()))
        document = attributes(ome)
        if rule == "ome.version.value":
            document["ome"]["version"] = "0.6rc1"
        if rule == "ome.version.pre-release":
            document["ome"]["version"] = "0.6.dev3"
        if rule == "ome.version.required":
            families.setdefault(rule, family)
            continue  # a walk case: see write_walk_version_cases
        pointer = ptr(*tokens)
        if rule == "ome.namespace.required":
            document, pointer = ome, ""  # the 0.4 layout: no "ome" object
        expect = {"rule": rule, "pointer": pointer, "severity": severity}
        case: Doc = {"description": f"{rule}: {what}", "document": document,
                     "expect": [expect]}
        if severity != "error":
            case["valid"] = True
        written.add(write_case(rule, f"fail-{V}-{what}", V, case))
        families.setdefault(rule, family)
    for rule, family in sorted(families.items()):
        written.add(write_case(rule, f"pass-{V}", V, {
            "description": f"a valid 0.6 {family} document",
            "document": attributes(VALID[family]()), "valid": True}))
    for rule, what, family, mutate in PASSES:
        document = attributes(mutate(copy.deepcopy(VALID[family]())))
        if rule == "ome.version.value":
            document["ome"]["version"] = "0.6rc0"
        written.add(write_case(rule, f"pass-{V}-{what}", V, {
            "description": f"{rule}: {what}", "document": document, "valid": True}))
    print(f"wrote {len(written)} cases")


if __name__ == "__main__":
    main()
