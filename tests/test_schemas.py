"""Unit tests of validator/schemas.py and of our schemas in schemas/<version>/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from validator import schemas
from validator.model import Severity
from validator.rules.registry import RULES
from validator.schemas import (
    KINDS,
    SUPPORTED_VERSIONS,
    SchemaViolation,
    registry,
    schema_dir,
    schema_id,
    schema_rules,
    schema_violations,
)

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
RULE_ID = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
ANCHORS = {
    "0.4": {
        "axes-md",
        "bf2raw",
        "trafo-md",
        "multiscale-md",
        "omero-md",
        "labels-md",
        "label-md",
        "plate-md",
        "well-md",
    },
    "0.5": {
        "axes-md",
        "bf2raw",
        "trafo-md",
        "multiscale-md",
        "omero-md",
        "labels-md",
        "plate-md",
        "well-md",
        "metadata",
    },
    "0.6": {
        "metadata",
        "coordinate-systems-md",
        "axes-md",
        "bf2raw",
        "coord-trafo-md",
        "transform-type-md",
        "input-output-md",
        "coord-trafo-constraints",
        "identity-md",
        "mapaxis-md",
        "projectaxis-md",
        "translation-md",
        "scale-md",
        "affine-md",
        "rotation-md",
        "sequence-md",
        "coordinates-displacements-md",
        "bydimension-md",
        "bijection-md",
        "multiscales-md",
        "omero-md",
        "labels-md",
        "plate-md",
        "well-md",
        "scene-md",
    },
}
# Keywords that can fail; every one of them must sit under an x-rule annotation.
ASSERTIONS = {
    "type",
    "required",
    "enum",
    "const",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minContains",
    "maxContains",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "dependentRequired",
    "additionalProperties",
    "multipleOf",
}
ANNOTATIONS = {"x-rule", "x-severity", "x-spec", "x-summary", "title", "description", "$comment"}
# The versions whose image layout (axes in the multiscale, scale/translation only) these
# tests describe; 0.6's coordinate systems and transformations: tests/test_schemas_06.py.
V45 = ("0.4", "0.5")
ENGINES = ["python"] + (["rs"] if schemas._RS is not None else [])


def schema_files() -> list[Any]:
    return [
        pytest.param(path, id=f"{path.parent.name}/{path.name}")
        for version in SUPPORTED_VERSIONS
        for path in sorted((schema_dir() / version).glob("*.json"))
    ]


def load(path: Any) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def wrap(version: str, key: str, value: Any) -> dict[str, Any]:
    """The attributes object holding ``value`` under ``key`` as ``version`` stores it."""
    return {key: value} if version == "0.4" else {"ome": {"version": version, key: value}}


def at(version: str, *path: str | int) -> tuple[str | int, ...]:
    return path if version == "0.4" else ("ome", *path)


def check(kind: str, version: str, attributes: Mapping[str, Any]) -> list[SchemaViolation]:
    """Run both engines; they must agree, and the public function must agree with them."""
    results = [schemas._violations(kind, version, attributes, engine) for engine in ENGINES]
    assert all(result == results[0] for result in results), results
    assert list(schema_violations(kind, version, attributes)) == results[0]
    return results[0]


def found(kind: str, version: str, attributes: Mapping[str, Any]) -> set[tuple[Any, ...]]:
    return {(v.rule, v.severity, v.path) for v in check(kind, version, attributes)}


# -- the schema files ----------------------------------------------------------------------


@pytest.mark.parametrize("path", schema_files())
def test_schema_is_valid_draft_2020_12(path: Any) -> None:
    document = load(path)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("path", schema_files())
def test_schema_id_is_ours_and_matches_its_file(path: Any) -> None:
    assert load(path)["$id"] == schema_id(path.stem, path.parent.name)
    assert schema_id(path.stem, path.parent.name).startswith(
        "https://ome-zarr-validator.dev/schemas/"
    )


def test_every_kind_has_a_schema_in_every_version() -> None:
    for version in SUPPORTED_VERSIONS:
        stems = {p.stem for p in (schema_dir() / version).glob("*.json")}
        expected = set(schemas._KINDS_BY_VERSION[version]) | {"common"}
        assert stems == expected


def test_schema_dir_is_the_checkout() -> None:
    assert schema_dir() == (
        __import__("pathlib").Path(schemas.__file__).resolve().parent.parent / "schemas"
    )


def nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every subschema-like mapping of a document, with its JSON pointer."""
    if isinstance(node, Mapping):
        yield pointer, node
        for key, value in node.items():
            yield from nodes(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, f"{pointer}/{index}")


@pytest.mark.parametrize("path", schema_files())
def test_annotations_are_complete(path: Any) -> None:
    version = path.parent.name
    for pointer, node in nodes(load(path)):
        if "x-severity" in node:
            assert "x-rule" in node, pointer
            assert node["x-severity"] in {"warning", "info"}, pointer
        if "x-rule" in node:
            assert RULE_ID.match(node["x-rule"]), pointer
            assert node.get("x-spec") in ANCHORS[version], pointer
            assert node.get("x-summary"), pointer


@pytest.mark.parametrize("path", schema_files())
def test_refs_stand_alone(path: Any) -> None:
    # The path walk in schemas.py relies on it: python-jsonschema leaves "$ref" out of schema
    # paths, so a node with "$ref" must not have keywords of its own.
    for pointer, node in nodes(load(path)):
        if isinstance(node.get("$ref"), str):
            assert set(node) - ANNOTATIONS == {"$ref"}, pointer


def test_all_ids_and_refs_resolve_offline() -> None:
    reg = registry()
    for version in SUPPORTED_VERSIONS:
        for path in sorted((schema_dir() / version).glob("*.json")):
            uri = schema_id(path.stem, version)
            resolver = reg.resolver(base_uri=uri)
            assert resolver.lookup(uri).contents == load(path)
            for pointer, node in nodes(load(path)):
                if isinstance(node.get("$ref"), str):
                    assert resolver.lookup(node["$ref"]).contents, pointer


def test_unknown_uris_do_not_resolve() -> None:
    from referencing.exceptions import Unresolvable

    with pytest.raises(Unresolvable):
        registry().resolver().lookup("https://ngff.openmicroscopy.org/0.4/schemas/image.schema")


def assertions_outside_rules(version: str, kind: str) -> list[str]:
    """Failing keywords reachable from a kind schema's root without a non-root x-rule."""
    bare: list[str] = []

    seen: set[tuple[int, bool]] = set()  # 0.6 transformations nest: refs are recursive

    def visit(node: Any, resolver: Any, ruled: bool, where: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, resolver, ruled, f"{where}/{i}")
            return
        if not isinstance(node, Mapping):
            return
        ruled = ruled or ("x-rule" in node and not node["x-rule"].endswith(".schema"))
        if isinstance(node.get("$ref"), str):
            resolved = resolver.lookup(node["$ref"])
            key = (id(resolved.contents), ruled)
            if key not in seen:
                seen.add(key)
                visit(resolved.contents, resolved.resolver, ruled, node["$ref"])
        if not ruled and ASSERTIONS & set(node):
            bare.append(where)
        for key, value in node.items():
            if key not in ANNOTATIONS and key not in {"$ref", "$defs", "enum", "const"}:
                visit(value, resolver, ruled, f"{where}/{key}")

    uri = schema_id(kind, version)
    resolver = registry().resolver(base_uri=uri)
    visit(resolver.lookup(uri).contents, resolver, False, uri)
    return bare


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_check_has_its_own_rule(version: str) -> None:
    for kind in schemas._KINDS_BY_VERSION[version]:
        assert assertions_outside_rules(version, kind) == [], kind


# -- the rule catalogue --------------------------------------------------------------------


def test_schema_rules_are_unique_and_well_formed() -> None:
    rules = schema_rules()
    ids = [r["id"] for r in rules]
    assert ids == sorted(set(ids))
    for entry in rules:
        assert RULE_ID.match(entry["id"]), entry
        assert isinstance(entry["severity"], Severity)
        assert entry["versions"] and set(entry["versions"]) <= set(SUPPORTED_VERSIONS)
        assert entry["anchor"] == entry["anchors"][max(entry["versions"])]
        assert entry["summary"]


def test_schema_rules_are_declared_in_the_registry() -> None:
    for entry in schema_rules():
        declared = RULES[entry["id"]]
        assert declared.check is None
        assert declared.severity is entry["severity"]
        assert declared.versions == frozenset(entry["versions"])


def test_schema_rules_severities() -> None:
    severities = {r["id"]: r["severity"] for r in schema_rules()}
    assert severities["multiscales.axes.count"] is ERROR
    assert severities["multiscales.name.present"] is WARNING
    assert severities["multiscales.axes.type-known"] is WARNING
    assert severities["multiscales.axes.unit-present"] is INFO
    assert severities["plate.field-count.present"] is INFO
    assert severities["plate.wells.path-format"] is ERROR


def test_versions_of_version_rules() -> None:
    versions = {r["id"]: r["versions"] for r in schema_rules()}
    assert versions["multiscales.version.present"] == ["0.4"]
    assert versions["well.version.string"] == ["0.5"]
    assert versions["ome.version.value"] == ["0.5", "0.6"]
    assert versions["ome.version.pre-release"] == ["0.6"]
    assert versions["well.images.path-alphanumeric"] == ["0.4", "0.5"]
    assert versions["well.images.path-node-name"] == ["0.6"]
    assert versions["plate.wells.path-format"] == ["0.4", "0.5", "0.6"]


def test_label_rules_link_to_each_versions_section() -> None:
    entry = next(r for r in schema_rules() if r["id"] == "image-label.colors.rgba-range")
    assert entry["anchors"] == {"0.4": "label-md", "0.5": "labels-md", "0.6": "labels-md"}


# -- running the schemas -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "version"), [
    (kind, version) for version in SUPPORTED_VERSIONS for kind in sorted(set(KINDS.values()))
    if kind != "scene" or version == "0.6"])
def test_a_kind_schema_ignores_attributes_without_its_key(kind: str, version: str) -> None:
    assert check(kind, version, {}) == []
    assert check(kind, version, {"something": "else", "ome": "not an object"}) == []


def test_unknown_kind_or_version() -> None:
    with pytest.raises(ValueError, match="kind"):
        list(schema_violations("scene", "0.5", {}))
    with pytest.raises(ValueError, match="version"):
        list(schema_violations("image", "0.3", {}))
    with pytest.raises(ValueError, match="kind"):
        list(schema_violations("ome", "0.4", {}))


def multiscale(version: str, /, **changes: Any) -> dict[str, Any]:
    """A multiscale that breaks no rule, MUST or SHOULD."""
    entry: dict[str, Any] = {
        "name": "example",
        "axes": [
            {"name": "t", "type": "time", "unit": "millisecond"},
            {"name": "c", "type": "channel"},
            {"name": "y", "type": "space", "unit": "micrometer"},
            {"name": "x", "type": "space", "unit": "micrometer"},
        ],
        "datasets": [
            {
                "path": "0",
                "coordinateTransformations": [
                    {"type": "scale", "scale": [1, 1, 0.5, 0.5]},
                    {"type": "translation", "translation": [0, 0, 10, 10]},
                ],
            },
            {
                "path": "1",
                "coordinateTransformations": [
                    {"type": "scale", "scale": [1, 1, 1, 1]},
                ],
            },
        ],
        "coordinateTransformations": [{"type": "scale", "scale": [0.1, 1, 1, 1]}],
        "type": "gaussian",
        "metadata": {"method": "skimage.transform.pyramid_gaussian"},
    }
    if version == "0.4":
        entry["version"] = "0.4"
    entry.update(changes)
    return wrap(version, "multiscales", [entry])


@pytest.mark.parametrize("version", V45)
def test_image_clean(version: str) -> None:
    assert check("image", version, multiscale(version)) == []


@pytest.mark.parametrize("version", V45)
def test_image_axes(version: str) -> None:
    axes = [
        {"name": "x", "type": "space", "unit": "micron"},
        {"name": "x", "type": "space", "unit": "micron"},
        {"name": "a", "type": "angle"},
        {"name": "b"},
        {"name": "t", "type": "time"},
        {"type": 5},
    ]
    m = ("multiscales", 0, "axes")
    assert found("image", version, multiscale(version, axes=axes)) == {
        ("multiscales.axes.count", ERROR, at(version, *m)),
        ("multiscales.axes.channel-count", ERROR, at(version, *m)),
        ("multiscales.axes.unit-known", WARNING, at(version, *m, 0, "unit")),
        ("multiscales.axes.unit-known", WARNING, at(version, *m, 1, "unit")),
        ("multiscales.axes.type-known", WARNING, at(version, *m, 2, "type")),
        ("multiscales.axes.type-present", WARNING, at(version, *m, 3)),
        ("multiscales.axes.unit-present", INFO, at(version, *m, 4)),
        ("multiscales.axes.name-required", ERROR, at(version, *m, 5)),
        ("multiscales.axes.type-string", ERROR, at(version, *m, 5, "type")),
    }


@pytest.mark.parametrize("version", V45)
def test_image_axis_types_are_counted(version: str) -> None:
    axes = [{"name": n, "type": "time"} for n in "ab"] + [{"name": "x", "type": "space"}]
    rules = {v.rule: v.message for v in check("image", version, multiscale(version, axes=axes))}
    assert rules["multiscales.axes.time-count"].endswith("; 2 matches found")
    assert rules["multiscales.axes.space-count"] == (
        "a multiscale must have 2 or 3 axes of type 'space'; 1 match found"
    )


@pytest.mark.parametrize("version", V45)
def test_image_messages_say_what_is_wrong(version: str) -> None:
    axes = [{"name": "x", "type": "time"}, {"name": "y", "type": "time"}]
    (violation,) = [
        v
        for v in check("image", version, multiscale(version, axes=axes))
        if v.rule == "multiscales.axes.time-count"
    ]
    assert violation.message.endswith("; 2 matches found")
    assert violation.anchor == "multiscale-md"


@pytest.mark.parametrize("version", V45)
def test_image_transformations(version: str) -> None:
    datasets = [
        {
            "path": "0",
            "coordinateTransformations": [
                {"type": "identity"},
                {"type": "translation", "translation": [0, 0, 0, 0]},
                {"type": "translation", "path": "translation.bin"},
            ],
        },
        {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": ["1", 1, 1, 1]}]},
        {"path": "2", "coordinateTransformations": [{"type": "scale"}, {"scale": [1, 1]}]},
        {"path": "3", "coordinateTransformations": [{"type": "scale", "path": "scale.bin"}]},
        {"coordinateTransformations": []},
    ]
    d = ("multiscales", 0, "datasets")
    assert found("image", version, multiscale(version, datasets=datasets)) == {
        (
            "multiscales.transformations.type-allowed",
            ERROR,
            at(version, *d, 0, "coordinateTransformations", 0, "type"),
        ),
        (
            "multiscales.transformations.one-scale",
            ERROR,
            at(version, *d, 0, "coordinateTransformations"),
        ),
        (
            "multiscales.transformations.max-one-translation",
            ERROR,
            at(version, *d, 0, "coordinateTransformations"),
        ),
        (
            "multiscales.transformations.scale-vector",
            ERROR,
            at(version, *d, 1, "coordinateTransformations", 0, "scale", 0),
        ),
        (
            "multiscales.transformations.scale-vector",
            ERROR,
            at(version, *d, 2, "coordinateTransformations", 0),
        ),
        (
            "multiscales.transformations.type-required",
            ERROR,
            at(version, *d, 2, "coordinateTransformations", 1),
        ),
        ("multiscales.datasets.path-required", ERROR, at(version, *d, 4)),
        (
            "multiscales.transformations.one-scale",
            ERROR,
            at(version, *d, 4, "coordinateTransformations"),
        ),
    }


@pytest.mark.parametrize("version", V45)
def test_image_shoulds(version: str) -> None:
    attributes = multiscale(version)
    entry = (attributes if version == "0.4" else attributes["ome"])["multiscales"][0]
    for key in ("name", "type", "metadata", "version"):
        entry.pop(key, None)
    expected = {
        (f"multiscales.{key}.present", WARNING, at(version, "multiscales", 0))
        for key in ("name", "type", "metadata") + (("version",) if version == "0.4" else ())
    }
    assert found("image", version, attributes) == expected


def test_image_version_04_must_be_04() -> None:
    assert found("image", "0.4", multiscale("0.4", version="0.3")) == {
        ("multiscales.version.value", ERROR, ("multiscales", 0, "version")),
    }


def test_image_version_05_lives_in_the_envelope() -> None:
    assert check("image", "0.5", multiscale("0.5", version="0.3")) == []


@pytest.mark.parametrize("version", V45)
def test_image_structure(version: str) -> None:
    assert found("image", version, wrap(version, "multiscales", [])) == {
        ("multiscales.value.non-empty", ERROR, at(version, "multiscales")),
    }
    assert found("image", version, wrap(version, "multiscales", {"axes": []})) == {
        ("multiscales.value.list", ERROR, at(version, "multiscales")),
    }
    assert found("image", version, wrap(version, "multiscales", [{"name": "x"}])) - {
        (f"multiscales.{k}.present", WARNING, at(version, "multiscales", 0))
        for k in ("type", "metadata", "version")
    } == {
        ("multiscales.axes.required", ERROR, at(version, "multiscales", 0)),
        ("multiscales.datasets.required", ERROR, at(version, "multiscales", 0)),
    }


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_omero(version: str) -> None:
    good = {"color": "00FF00", "window": {"min": 0, "max": 255, "start": 0, "end": 100}}
    assert check("omero", version, wrap(version, "omero", {"channels": [good]})) == []
    bad = [
        {"color": "green", "window": {"min": 0, "max": "255", "start": 0}},
        {"color": 255},
        "channel",
    ]
    c = ("omero", "channels")
    assert found("omero", version, wrap(version, "omero", {"channels": bad})) == {
        ("omero.channels.color-hex", ERROR, at(version, *c, 0, "color")),
        ("omero.window.min-max", ERROR, at(version, *c, 0, "window", "max")),
        ("omero.window.start-end", ERROR, at(version, *c, 0, "window")),
        ("omero.channels.color-hex", ERROR, at(version, *c, 1, "color")),
        (
            ("omero.window.required", ERROR, at(version, *c, 1))
            if version == "0.4"
            # 0.5: the text says MUST, the official schema does not require it: a warning.
            else ("omero.window.present", WARNING, at(version, *c, 1))
        ),
        ("omero.channels.list", ERROR, at(version, *c, 2)),
    }
    assert found("omero", version, wrap(version, "omero", {})) == {
        ("omero.channels.required", ERROR, at(version, "omero")),
    }


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_labels(version: str) -> None:
    assert check("labels", version, wrap(version, "labels", ["cells", "nuclei/0"])) == []
    assert found("labels", version, wrap(version, "labels", ["cells", 3])) == {
        ("labels.value.list", ERROR, at(version, "labels", 1)),
    }


@pytest.mark.parametrize("version", V45)
def test_image_label(version: str) -> None:
    good: dict[str, Any] = {
        "colors": [{"label-value": 1, "rgba": [255, 0, 0, 128]}],
        "properties": [{"label-value": 1, "area": 12}],
        "source": {"image": "../../"},
    }
    if version == "0.4":
        good["version"] = "0.4"
    assert check("label", version, wrap(version, "image-label", good)) == []
    bad = {
        "colors": [{"label-value": 1.5, "rgba": [0, 0, 0, 256]}, {"rgba": [0, 0, 0]}],
        "properties": [{"area": 1}],
        "source": {"image": 3},
        "version": 5,
    }
    il = ("image-label",)
    version_rule = "image-label.version.value" if version == "0.4" else "image-label.version.string"
    assert found("label", version, wrap(version, "image-label", bad)) == {
        ("image-label.colors.label-value", ERROR, at(version, *il, "colors", 0, "label-value")),
        ("image-label.colors.rgba-range", ERROR, at(version, *il, "colors", 0, "rgba", 3)),
        ("image-label.colors.label-value", ERROR, at(version, *il, "colors", 1)),
        ("image-label.colors.rgba-range", ERROR, at(version, *il, "colors", 1, "rgba")),
        ("image-label.properties.label-value", ERROR, at(version, *il, "properties", 0)),
        ("image-label.source.image-string", ERROR, at(version, *il, "source", "image")),
        (version_rule, ERROR, at(version, *il, "version")),
    }


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_image_label_shoulds(version: str) -> None:
    expected = {("image-label.colors.present", WARNING, at(version, "image-label"))}
    if version == "0.4":
        expected.add(("image-label.version.present", WARNING, ("image-label",)))
    assert found("label", version, wrap(version, "image-label", {})) == expected


def plate(version: str, /, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "name": "plate",
        "field_count": 2,
        "acquisitions": [
            {"id": 0, "name": "first", "maximumfieldcount": 2, "starttime": 1343731272000}
        ],
        "rows": [{"name": "A"}, {"name": "B"}],
        "columns": [{"name": "1"}, {"name": "2"}],
        "wells": [
            {"path": "A/1", "rowIndex": 0, "columnIndex": 0},
            {"path": "B/2", "rowIndex": 1, "columnIndex": 1},
        ],
    }
    if version == "0.4":
        value["version"] = "0.4"
    value.update(changes)
    return wrap(version, "plate", value)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_plate_clean(version: str) -> None:
    assert check("plate", version, plate(version)) == []


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_plate(version: str) -> None:
    attributes = plate(
        version,
        rows=[{"name": "A"}, {"name": "A"}, {"name": "b-1"}],
        columns=[],
        wells=[{"path": "A1", "rowIndex": -1, "columnIndex": 0}, {"path": "plate/A/1"}],
        acquisitions=[{"id": "0", "maximumfieldcount": 0, "endtime": -5}],
        field_count=0,
    )
    p = ("plate",)
    assert found("plate", version, attributes) == {
        ("plate.field-count.positive", ERROR, at(version, *p, "field_count")),
        ("plate.rows.name-alphanumeric", ERROR, at(version, *p, "rows", 2, "name")),
        ("plate.columns.non-empty", ERROR, at(version, *p, "columns")),
        ("plate.wells.path-format", ERROR, at(version, *p, "wells", 0, "path")),
        ("plate.wells.row-index", ERROR, at(version, *p, "wells", 0, "rowIndex")),
        ("plate.wells.path-format", ERROR, at(version, *p, "wells", 1, "path")),
        ("plate.wells.row-index", ERROR, at(version, *p, "wells", 1)),
        ("plate.wells.column-index", ERROR, at(version, *p, "wells", 1)),
        ("plate.acquisitions.id", ERROR, at(version, *p, "acquisitions", 0, "id")),
        ("plate.acquisitions.name-present", WARNING, at(version, *p, "acquisitions", 0)),
        (
            "plate.acquisitions.maximumfieldcount-positive",
            ERROR,
            at(version, *p, "acquisitions", 0, "maximumfieldcount"),
        ),
        ("plate.acquisitions.timestamps", ERROR, at(version, *p, "acquisitions", 0, "endtime")),
    }


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_plate_required_and_shoulds(version: str) -> None:
    expected = {
        ("plate.rows.required", ERROR, at(version, "plate")),
        ("plate.columns.required", ERROR, at(version, "plate")),
        ("plate.wells.required", ERROR, at(version, "plate")),
        ("plate.name.present", WARNING, at(version, "plate")),
        ("plate.field-count.present", INFO, at(version, "plate")),
    }
    if version == "0.4":
        expected.add(("plate.version.present", WARNING, ("plate",)))
    assert found("plate", version, wrap(version, "plate", {})) == expected


def test_plate_version() -> None:
    assert found("plate", "0.4", plate("0.4", version="0.5")) == {
        ("plate.version.value", ERROR, ("plate", "version")),
    }
    assert check("plate", "0.5", plate("0.5", version="0.5")) == []
    assert found("plate", "0.5", plate("0.5", version=0.5)) == {
        ("plate.version.string", ERROR, ("ome", "plate", "version")),
    }


@pytest.mark.parametrize("version", V45)
def test_well(version: str) -> None:
    good: dict[str, Any] = {"images": [{"path": "0", "acquisition": 1}, {"path": "1"}]}
    if version == "0.4":
        good["version"] = "0.4"
    assert check("well", version, wrap(version, "well", good)) == []
    bad = {"images": [{"path": "0"}, {"path": "0"}, {"path": "a/b", "acquisition": "1"}, {}]}
    w = ("well", "images")
    expected = {
        ("well.images.path-alphanumeric", ERROR, at(version, *w, 2, "path")),
        ("well.images.acquisition-integer", ERROR, at(version, *w, 2, "acquisition")),
        ("well.images.path-required", ERROR, at(version, *w, 3)),
    }
    if version == "0.4":
        expected.add(("well.version.present", WARNING, ("well",)))
    assert found("well", version, wrap(version, "well", bad)) == expected
    assert ("well.images.non-empty", ERROR, at(version, *w)) in found(
        "well", version, wrap(version, "well", {"images": []})
    )


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_duplicates_are_left_to_the_python_rules(version: str) -> None:
    # Uniqueness by key (path, name, label-value) is a Python rule; the schemas stay silent
    # rather than reporting exact copies under a second id.
    images = [{"path": "0"}, {"path": "1"}, {"path": "0"}]
    violations = check("well", version, wrap(version, "well", {"images": images}))
    assert all("unique" not in v.rule for v in violations)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_bf2raw(version: str) -> None:
    key = "bioformats2raw.layout"
    assert check("bf2raw", version, wrap(version, key, 3)) == []
    for value in (2, "3", True):
        assert found("bf2raw", version, wrap(version, key, value)) == {
            ("bf2raw.layout.value", ERROR, at(version, key)),
        }


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_series(version: str) -> None:
    assert check("series", version, wrap(version, "series", ["0", "1"])) == []
    assert found("series", version, wrap(version, "series", "0")) == {
        ("series.value.list", ERROR, at(version, "series")),
    }


def test_ome_envelope() -> None:
    assert check("ome", "0.5", {"ome": {"version": "0.5"}}) == []
    assert found("ome", "0.5", {}) == {("ome.namespace.required", ERROR, ())}
    assert found("ome", "0.5", {"ome": []}) == {("ome.namespace.required", ERROR, ("ome",))}
    assert found("ome", "0.5", {"ome": {}}) == {("ome.version.required", ERROR, ("ome",))}
    (violation,) = check("ome", "0.5", {"ome": {"version": "0.4"}})
    assert (violation.rule, violation.path) == ("ome.version.value", ("ome", "version"))
    assert violation.message == """'ome.version' must be "0.5"; got "0.4\""""
    assert violation.anchor == "metadata"


def test_required_messages_name_the_key() -> None:
    (violation,) = check("ome", "0.5", {})
    assert violation.message == (
        "the attributes must hold the OME-Zarr metadata in an 'ome' object; 'ome' is missing"
    )


def test_odd_values_never_crash() -> None:
    odd: list[Any] = [None, 1, "x", [], {}, [None], [[]], {"": {}}, 1e308, -0.0]
    for version in SUPPORTED_VERSIONS:
        for kind in set(KINDS.values()):
            if kind == "scene" and version != "0.6":
                continue
            key = next(k for k, v in KINDS.items() if v == kind)
            for value in odd:
                for violation in check(kind, version, wrap(version, key, value)):
                    assert violation.message and violation.rule


def test_violations_are_sorted_by_path() -> None:
    result = check("image", "0.4", multiscale("0.4", axes=[{"name": 1}, {"type": 2}]))
    paths = [v.path for v in result]
    assert paths == sorted(paths, key=lambda p: [(isinstance(t, str), str(t)) for t in p])


def test_compiled_validators_are_cached() -> None:
    assert schemas._compiled("plate", "0.5") is schemas._compiled("plate", "0.5")
    assert registry() is registry()


def test_any_mapping_is_validated() -> None:
    from types import MappingProxyType

    attributes = MappingProxyType({"well": {"images": ({"path": "0"}, {"path": "a/b"})}})
    assert ("well.images.path-alphanumeric", ERROR, ("well", "images", 1, "path")) in found(
        "well", "0.4", attributes
    )


@pytest.mark.skipif(schemas._RS is None, reason="jsonschema-rs is not installed")
def test_rs_falls_back_to_python_for_what_it_cannot_report(monkeypatch: Any) -> None:
    compiled = schemas._compiled("well", "0.5")

    def cannot(attributes: Any) -> Any:
        raise schemas._NeedsPythonEngine(("anyOf",))

    monkeypatch.setattr(compiled, "rs_errors", cannot)
    attributes = wrap("0.5", "well", {"images": []})
    assert schemas._violations("well", "0.5", attributes, "rs") == schemas._violations(
        "well", "0.5", attributes, "python"
    )


def test_errors_outside_annotations_fall_back_to_the_kind_rule() -> None:
    note, holder = schemas._compiled("plate", "0.4").place(("nowhere", "required"))
    assert (note.rule, note.severity, note.anchor) == ("plate.schema", ERROR, "plate-md")
    assert holder == {}
