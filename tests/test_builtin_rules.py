"""The engine's built-in rules that static fixtures cannot trigger, and walk behaviour around
bioformats2raw collections that a fixture cannot assert (what is fetched, how often).

* io.document.unreadable: a server answering 500 forever;
* io.document.too-large: a lowered ``Options.max_document_bytes``;
* ome.version.unsupported: ``validate_document`` of a document declaring another version
  (a walk refuses such a root outright: CouldNotValidate);
* hierarchy.path.escapes-root: the escaping paths are reported *and never requested*.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.casekit import add_group, add_image, image_tree, ome_of, plate_tree
from tests.cases._gen_bf2raw import bf2raw_plate, bf2raw_tree, ome_xml
from tests.rule_cases import materialize
from validator import CouldNotValidate, Options, Report, validate, validate_document
from validator.rules.bf2raw import XSD_MAX_BYTES
from validator.stores import open_store
from validator.testing import DataServer
from validator.testing.dataserver import respond

VERSIONS = ("0.4", "0.5")
ServeDirectory = Callable[..., DataServer]


def meta_name(version: str) -> str:
    return "zarr.json" if version == "0.5" else ".zattrs"


def findings(report: Report, rule: str) -> list[dict[str, Any]]:
    return [f.to_dict() for f in report.findings if f.rule == rule]


def labelled(version: str) -> dict[str, Any]:
    tree = image_tree(version)
    add_group(tree, "labels", version, {"labels": ["cells"]})
    label: dict[str, Any] = {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 255]}]}
    if version == "0.4":
        label["version"] = "0.4"
    add_image(tree, "labels/cells", version, extra={"image-label": label})
    return tree


# -- io.document.unreadable -----------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_server_error_is_unreadable(
    version: str, tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    materialize(plate_tree(version, rows=1, columns=1, fields=1), tmp_path / "ds.zarr")
    server = serve_directory(tmp_path)
    server.routes[f"ds.zarr/A/1/{meta_name(version)}"] = respond(500)
    report = validate(server.url_for("ds.zarr"), retries=1)
    found = findings(report, "io.document.unreadable")
    assert [(f["node"], f["document"]) for f in found] == [("A/1", meta_name(version))]
    assert "500" in found[0]["message"]
    assert server.stats.paths[f"ds.zarr/A/1/{meta_name(version)}"] == 2  # one retry


@pytest.mark.parametrize("version", VERSIONS)
def test_unreadable_ome_xml_is_reported_once(
    version: str, tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    materialize(bf2raw_tree(version), tmp_path / "ds.zarr")
    server = serve_directory(tmp_path)
    server.routes["ds.zarr/OME/METADATA.ome.xml"] = respond(500)
    report = validate(server.url_for("ds.zarr"), retries=0)
    found = findings(report, "io.document.unreadable")
    assert [(f["node"], f["document"]) for f in found] == [("OME", "METADATA.ome.xml")]
    # An unreadable file is not a missing one: no second finding for the same problem.
    assert not findings(report, "bf2raw.ome-xml.present")


# -- io.document.too-large ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_document_over_the_cap_is_too_large(version: str, tmp_path: Path) -> None:
    tree = plate_tree(version, rows=1, columns=1, fields=1)
    ome_of(tree, "A/1", version)["padding"] = "x" * 8000
    root = materialize(tree, tmp_path / "ds.zarr")
    report = validate(str(root), max_document_bytes=4000)
    found = findings(report, "io.document.too-large")
    assert [(f["node"], f["document"], f["pointer"]) for f in found] == [
        ("A/1", meta_name(version), "")]
    assert found[0]["severity"] == "error"
    # Under the default cap the same tree has no such finding.
    assert not findings(validate(str(root)), "io.document.too-large")


def test_ome_xml_over_the_cap_is_too_large(tmp_path: Path) -> None:
    tree = bf2raw_tree("0.4", images=1)
    tree["OME/METADATA.ome.xml"] = ome_xml(1).replace(
        'Creator="tests"', 'Creator="' + "x" * 8000 + '"')
    root = materialize(tree, tmp_path / "ds.zarr")
    report = validate(str(root), max_document_bytes=4000)
    found = findings(report, "io.document.too-large")
    assert [(f["node"], f["document"]) for f in found] == [("OME", "METADATA.ome.xml")]
    assert not findings(report, "bf2raw.ome-xml.present")


# -- ome.version.unsupported ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "pointer_base"),
    [
        ({"ome": {"version": "0.7", "multiscales": []}}, ""),
        ({"multiscales": [{"version": "0.3", "datasets": [{"path": "0"}]}]}, ""),
    ],
)
def test_unsupported_version_in_a_document(document: dict[str, Any], pointer_base: str) -> None:
    report = validate_document(document)
    found = findings(report, "ome.version.unsupported")
    assert len(found) == 1
    assert found[0]["pointer"] == pointer_base
    assert not report.valid


def test_supported_versions_are_not_unsupported() -> None:
    for version in VERSIONS:
        attributes = image_tree(version)["zarr.json" if version == "0.5" else ".zattrs"]
        if version == "0.5":
            attributes = attributes["attributes"]
        assert not findings(validate_document(attributes), "ome.version.unsupported")


def test_walk_refuses_an_unsupported_root(tmp_path: Path) -> None:
    tree = image_tree("0.5")
    ome_of(tree, "", "0.5")["version"] = "0.7"
    root = materialize(tree, tmp_path / "ds.zarr")
    with pytest.raises(CouldNotValidate, match=r"0\.7"):
        validate(str(root))


# -- hierarchy.path.escapes-root: reported and never requested ----------------------------

ESCAPING = [
    "../../outside",
    "/outside",
    "http://127.0.0.1:9/outside",
    "%2e%2e/%2e%2e/outside",
    "..\\..\\outside",
    "cells/../../../outside",
    "./cells",
    "cells?x=1",
]


def _escaping_dataset(version: str, base: Path) -> Path:
    """``base/ds.zarr`` whose labels list escaping paths; ``base/outside`` is a label image."""
    tree = labelled(version)
    ome_of(tree, "labels", version)["labels"] = ["cells", *ESCAPING]
    root = materialize(tree, base / "ds.zarr")
    outside: dict[str, Any] = {}
    add_image(outside, "", version, extra={"image-label": {"colors": []}})
    materialize(outside, base / "outside")
    return root


@pytest.mark.parametrize("version", VERSIONS)
def test_escaping_paths_are_never_requested_over_http(
    version: str, tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    _escaping_dataset(version, tmp_path)
    server = serve_directory(tmp_path)
    report = validate(server.url_for("ds.zarr"))
    found = findings(report, "hierarchy.path.escapes-root")
    assert sorted(f["pointer"].rsplit("/", 1)[-1] for f in found) == [
        str(i + 1) for i in range(len(ESCAPING))]
    requested = list(server.stats.paths)
    assert requested and all(p.startswith("ds.zarr/") for p in requested), requested
    assert not [p for p in requested if ".." in p or "%" in p or "\\" in p or "outside" in p]
    assert not [f for f in report.findings if "outside" in f.node]


class RecordingStore:
    """A store that remembers every key asked for (local files would serve ``..``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.stats = inner.stats
        self.keys: list[str] = []

    def url(self, key: str) -> str:
        return str(self.inner.url(key))

    async def get(self, key: str) -> bytes | None:
        self.keys.append(key)
        data: bytes | None = await self.inner.get(key)
        return data

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.parametrize("version", VERSIONS)
async def test_escaping_paths_are_never_read_from_disk(version: str, tmp_path: Path) -> None:
    from validator import avalidate

    root = _escaping_dataset(version, tmp_path)
    options = Options()
    store = RecordingStore(open_store(str(root), options))
    try:
        report = await avalidate(str(root), options=options, store=store)
    finally:
        await store.close()
    assert len(findings(report, "hierarchy.path.escapes-root")) == len(ESCAPING)
    assert not [k for k in store.keys if ".." in k or "outside" in k or k.startswith("/")]


def test_escaping_series_path_is_reported_on_the_ome_group(tmp_path: Path) -> None:
    root = materialize(bf2raw_tree("0.4", series=["0", "1", "../x"], xml=ome_xml(3)),
                       tmp_path / "ds.zarr")
    found = findings(validate(str(root)), "hierarchy.path.escapes-root")
    assert [(f["node"], f["pointer"]) for f in found] == [("OME", "/series/2")]


# -- bioformats2raw walking ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_plate_fields_listed_in_series_are_walked_once(
    version: str, tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    tree = bf2raw_plate(version)
    del tree[f"A/1/0/1/{'zarr.json' if version == '0.5' else '.zarray'}"]  # break one field
    materialize(tree, tmp_path / "ds.zarr")
    server = serve_directory(tmp_path)
    report = validate(server.url_for("ds.zarr"))
    assert len(findings(report, "multiscales.datasets.path-exists")) == 1
    assert server.stats.paths[f"ds.zarr/A/1/0/{meta_name(version)}"] == 1
    assert not findings(report, "bf2raw.plate.series")
    assert not findings(report, "series.images.exist")


@pytest.mark.parametrize("version", VERSIONS)
def test_numbered_groups_past_a_gap_are_not_walked(
    version: str, tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    tree = bf2raw_tree(version, images=2, with_ome_group=False)
    add_image(tree, "3", version)
    ome_of(tree, "3", version)["multiscales"][0]["datasets"] = []  # broken, but not walked
    materialize(tree, tmp_path / "ds.zarr")
    server = serve_directory(tmp_path)
    report = validate(server.url_for("ds.zarr"))
    assert report.valid, [f.to_dict() for f in report.findings]
    assert not [f for f in report.findings if f.node.startswith("3")]
    assert not [p for p in server.stats.paths if p.startswith("ds.zarr/3/0")]


def test_many_numbered_groups_are_all_found(tmp_path: Path) -> None:
    tree = bf2raw_tree("0.5", images=30, with_ome_group=False)
    report = validate(str(materialize(tree, tmp_path / "ds.zarr")))
    assert report.valid, [f.to_dict() for f in report.findings]
    assert report.nodes["image"] == 30


# -- OME-XML parsing is safe -----------------------------------------------------------------


def test_xml_external_entities_and_schema_hints_are_not_fetched(
    tmp_path: Path, serve_directory: ServeDirectory
) -> None:
    tree = bf2raw_tree("0.4", images=1)
    materialize(tree, tmp_path / "ds.zarr")
    (tmp_path / "secret.txt").write_text("secret")
    server = serve_directory(tmp_path)
    hint = server.url_for("hint/ome.xsd")
    xml = ome_xml(1).replace(
        'Creator="tests"',
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 {hint}"')
    (tmp_path / "ds.zarr/OME/METADATA.ome.xml").write_text(xml)
    report = validate(server.url_for("ds.zarr"))
    assert not findings(report, "bf2raw.ome-xml.valid")
    assert not [p for p in server.stats.paths if not p.startswith("ds.zarr/")]

    external = ('<?xml version="1.0"?><!DOCTYPE OME [<!ENTITY e SYSTEM '
                f'"{server.url_for("secret.txt")}">]>'
                '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">&e;</OME>')
    (tmp_path / "ds.zarr/OME/METADATA.ome.xml").write_text(external)
    server.reset_stats()
    report = validate(server.url_for("ds.zarr"))
    assert "forbidden" in findings(report, "bf2raw.ome-xml.valid")[0]["message"].lower()
    assert "secret.txt" not in server.stats.paths


def test_entity_expansion_is_refused_quickly(tmp_path: Path) -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE OME [<!ENTITY l0 "lol">{levels}]>'
            '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">&l9;</OME>')
    tree = bf2raw_tree("0.4", images=1, xml=bomb)
    root = materialize(tree, tmp_path / "ds.zarr")
    started = time.monotonic()
    report = validate(str(root))
    assert time.monotonic() - started < 10
    assert findings(report, "bf2raw.ome-xml.valid")


def test_ome_xml_of_another_namespace_is_counted_not_validated(tmp_path: Path) -> None:
    old = "http://www.openmicroscopy.org/Schemas/OME/2015-01"
    tree = bf2raw_tree("0.4", images=2, xml=ome_xml(2, namespace=old))
    report = validate(str(materialize(tree, tmp_path / "ds.zarr")))
    assert report.valid, [f.to_dict() for f in report.findings]
    assert [f["severity"] for f in findings(report, "bf2raw.ome-xml.valid")] == ["info"]
    tree = bf2raw_tree("0.4", images=2, xml=ome_xml(1, namespace=old))
    report = validate(str(materialize(tree, tmp_path / "other.zarr")))
    assert findings(report, "bf2raw.ome-xml.image-count")



def test_large_ome_xml_is_checked_for_structure_only(tmp_path: Path) -> None:
    images = 2 * 2**20 // 250  # a little over XSD_MAX_BYTES of minimal Images
    xml = ome_xml(images, pixels='<TiffData IFD="0"/>')
    assert len(xml) > XSD_MAX_BYTES
    tree = bf2raw_tree("0.4", images=1, xml=xml)
    started = time.monotonic()
    report = validate(str(materialize(tree, tmp_path / "ds.zarr")))
    assert time.monotonic() - started < 5
    assert [f["severity"] for f in findings(report, "bf2raw.ome-xml.valid")] == ["info"]
    assert findings(report, "bf2raw.ome-xml.metadata-only")
    assert findings(report, "bf2raw.ome-xml.image-count")
