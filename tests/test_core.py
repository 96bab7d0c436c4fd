"""The core: targets, report shape, request economy, could-not-validate, every violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fsspec
import pytest
from jsonschema import Draft202012Validator

from tests.casekit import image_tree, ome_of, plate_tree
from tests.rule_cases import materialize
from validator import CouldNotValidate, Options, Report, avalidate, validate, validate_document
from validator.testing.dataserver import DataServer

REPORT_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "schemas" / "report" / "report.schema.json").read_text()
)


def errors_of(report: Report) -> list[tuple[str, str, str]]:
    return [(f.rule, f.node, f.pointer) for f in report.errors]


@pytest.fixture
def plates(tmp_path: Path) -> dict[str, Path]:
    return {v: materialize(plate_tree(v), tmp_path / f"plate-{v}.zarr") for v in ("0.4", "0.5")}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_generated_plate_is_valid(plates: dict[str, Path], version: str) -> None:
    report = validate(str(plates[version]))
    assert report.valid, report.errors
    assert report.ngff_version == version
    assert report.zarr_format == (2 if version == "0.4" else 3)
    assert report.nodes["plate"] == 1
    assert report.nodes["well"] == 4
    assert report.nodes["image"] == 8  # two fields in every well: all of them are visited
    assert report.nodes["array"] == 16


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_report_json_matches_its_schema(plates: dict[str, Path], version: str) -> None:
    tree = plate_tree(version)
    del tree["A/1/0/" + ("zarr.json" if version == "0.5" else ".zattrs")]
    root = materialize(tree, plates[version].parent / f"broken-{version}.zarr")
    report = validate(str(root))
    assert not report.valid
    data = report.to_dict()
    Draft202012Validator(REPORT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
                         ).validate(data)
    assert Report.from_dict(json.loads(json.dumps(data))).to_dict() == data


def test_every_violation_is_reported_not_only_the_first(tmp_path: Path) -> None:
    tree = plate_tree("0.5")
    # Break one field in every well and a level in another: each is its own finding.
    for well in ("A/1", "A/2", "B/1", "B/2"):
        del tree[f"{well}/1/zarr.json"]
    del tree["A/1/0/1/zarr.json"]
    report = validate(str(materialize(tree, tmp_path / "p.zarr")))
    found = errors_of(report)
    for well in ("A/1", "A/2", "B/1", "B/2"):
        assert ("well.images.exist", well, "/attributes/ome/well/images/1/path") in found
    assert ("multiscales.datasets.path-exists", "A/1/0",
            "/attributes/ome/multiscales/0/datasets/1/path") in found


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_http_requests_equal_the_documents_needed(plates: dict[str, Path], version: str) -> None:
    root = plates[version]
    with DataServer(root.parent) as server:
        report = validate(server.url_for(root.name))
        stats = server.stats
    assert report.valid, report.errors
    # plate + 4 wells + 8 fields + 16 arrays; Zarr v2 has .zgroup and .zattrs per group;
    # the 2 row groups are read for their group metadata only (zarr.json or .zgroup).
    groups, rows, arrays = 1 + 4 + 8, 2, 16
    documents = (groups if version == "0.5" else 2 * groups) + rows + arrays
    assert report.stats.documents == documents
    # Every field's labels group is looked for (no metadata names it): one 404 per field,
    # zarr.json in v3, .zattrs in v2 (.zgroup only where that exists).
    fields = 8
    name = "zarr.json" if version == "0.5" else ".zattrs"
    labels = {f"{root.name}/{well}/{field}/labels/{name}"
              for well in ("A/1", "A/2", "B/1", "B/2") for field in (0, 1)}
    assert all(stats.paths[path] == 1 for path in labels)
    if version == "0.5":
        assert stats.not_found == fields  # nothing else is looked for on a v3 plate
        assert stats.requests == documents + fields
    else:
        # At the root: zarr.json (detects the format) and .zmetadata (consolidated metadata,
        # asked for beside .zgroup and .zattrs); and the fields' labels groups.
        assert stats.not_found == 2 + fields
        assert stats.requests == documents + 2 + fields
        assert stats.paths[f"{root.name}/zarr.json"] == stats.paths[f"{root.name}/.zmetadata"] == 1
    assert report.stats.requests == stats.requests
    with DataServer(root.parent) as server:
        triage = validate(server.url_for(root.name), plate_labels=False)
        assert server.stats.not_found == (0 if version == "0.5" else 2)
    assert triage.valid and triage.skipped


def test_forced_version_skips_format_detection(plates: dict[str, Path]) -> None:
    root = plates["0.4"]
    with DataServer(root.parent) as server:
        report = validate(server.url_for(root.name), ngff_version="0.4")
        assert server.stats.paths[f"{root.name}/zarr.json"] == 0
        # .zmetadata (this plate has no consolidated metadata) and the 8 fields' labels groups
        assert server.stats.not_found == 1 + 8
    assert report.valid


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_fsspec_targets_agree_with_paths(plates: dict[str, Path], version: str) -> None:
    root = plates[version]
    by_path = validate(str(root)).to_dict()["findings"]
    assert validate(f"file://{root}").to_dict()["findings"] == by_path
    assert validate(fsspec.get_mapper(str(root))).to_dict()["findings"] == by_path
    memory = fsspec.filesystem("memory")
    for file in root.rglob("*"):
        if file.is_file():
            memory.pipe(f"/mem-{version}/{file.relative_to(root)}", file.read_bytes())
    assert validate(f"memory://mem-{version}").to_dict()["findings"] == by_path


def test_zarr_group_target(tmp_path: Path) -> None:
    import zarr

    root = materialize(image_tree("0.5"), tmp_path / "img.zarr")
    report = validate(zarr.open_group(str(root), mode="r"))
    assert report.valid, report.errors
    assert report.nodes["array"] == 2


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({}, "a directory with no Zarr metadata"),
        ({".zgroup": {"zarr_format": 2}, ".zattrs": {"foo": 1}}, "not an OME-Zarr"),
        ({"zarr.json": {"zarr_format": 3, "node_type": "group", "attributes": {}}},
         "not an OME-Zarr"),
        ({"zarr.json": {"zarr_format": 3, "node_type": "array", "shape": [1]}}, "array"),
        ({".zattrs": {"multiscales": [{"version": "0.3", "datasets": []}]},
          ".zgroup": {"zarr_format": 2}}, "0.3 is not supported"),
    ],
)
def test_could_not_validate(tmp_path: Path, tree: dict[str, Any], message: str) -> None:
    root = materialize(tree, tmp_path / "t.zarr")
    with pytest.raises(CouldNotValidate, match=message):
        validate(str(root))


def test_unreachable_http_root_is_could_not_validate(tmp_path: Path) -> None:
    with DataServer(tmp_path) as server:
        url = server.url_for("nothing-here.zarr")
    with pytest.raises(CouldNotValidate):  # the server is gone: connection refused
        validate(url, retries=0, timeout=2)


def test_broken_json_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    tree = image_tree("0.5")
    tree["1/zarr.json"] = "{not json"
    report = validate(str(materialize(tree, tmp_path / "i.zarr")))
    assert ("io.document.invalid-json", "1", "") in errors_of(report)
    assert ("multiscales.datasets.path-exists", "",
            "/attributes/ome/multiscales/0/datasets/1/path") in errors_of(report)


def test_strict_counts_warnings(tmp_path: Path) -> None:
    tree = image_tree("0.5")
    del ome_of(tree, "", "0.5")["multiscales"][0]["name"]  # a SHOULD
    root = materialize(tree, tmp_path / "i.zarr")
    lenient, strict = validate(str(root)), validate(str(root), strict=True)
    assert lenient.valid and lenient.warnings
    assert not strict.valid


def test_options_and_keywords_are_exclusive(tmp_path: Path) -> None:
    root = materialize(image_tree("0.4"), tmp_path / "i.zarr")
    with pytest.raises(TypeError):
        validate(str(root), options=Options(), strict=True)
    with pytest.raises(CouldNotValidate, match="concurrency"):
        validate(str(root), concurrency=0)


async def test_async_api_with_progress(plates: dict[str, Path]) -> None:
    seen: list[Any] = []
    findings: list[Any] = []
    report = await avalidate(str(plates["0.5"]), on_progress=seen.append,
                             on_finding=findings.append)
    assert seen and seen[-1].documents == report.stats.documents
    assert len(findings) == len(report.findings)


def test_validate_document_forms() -> None:
    attrs = {"ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}}
    assert validate_document(attrs).valid
    whole = {"zarr_format": 3, "node_type": "group", "attributes": attrs}
    assert validate_document(whole).valid
    assert validate_document(json.dumps(whole).encode()).valid
    bad = {"ome": {"version": "0.5", "well": {"images": []}}}
    report = validate_document({"zarr_format": 3, "node_type": "group", "attributes": bad})
    assert not report.valid
    assert all(f.pointer.startswith("/attributes/ome/well") for f in report.errors)
    deep = "[" * 100_000 + "]" * 100_000
    assert [f.rule for f in validate_document(deep).errors] == ["io.document.too-deep"]
    assert [f.rule for f in validate_document(b"\xff").errors] == ["io.document.invalid-json"]


async def test_sync_facade_works_inside_a_running_loop(plates: dict[str, Path]) -> None:
    # As in a notebook: validate() called while an event loop runs in this thread.
    report = validate(str(plates["0.4"]))
    assert report.valid and report.nodes["well"] == 4
