"""Datasets written by real writers (ome-zarr-py, ngff-zarr): clean locally, over HTTP, on S3;
broken copies give the expected rule at the expected node and pointer."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.datasets import DatasetSpec, S3Server, dataset_params, get_spec
from validator import Report, validate
from validator.testing.dataserver import DataServer

#: What each known writer quirk is reported as (rule id, severity).
QUIRK_FINDINGS = {
    "ome-zarr-py-0.5-labels-group-version": ("hierarchy.version.present", "warning"),
    "ome-zarr-py-0.5-multiscale-labels-dimension-names": (
        "multiscales.dimension-names.match-axes", "error"),
    "ome-zarr-py-multiscales-type-metadata": ("multiscales.type.present", "warning"),
    "ngff-zarr-0.6-field-path-is-an-array": ("transformations.field.multiscale", "error"),
    "ngff-zarr-0.6-standalone-field-unlinked": ("transformations.graph.connected", "error"),
    "ngff-zarr-0.6-standalone-field-not-intrinsic": (
        "multiscales.transformations.intrinsic-end", "error"),
}


def expected_errors(spec: DatasetSpec) -> set[tuple[str, str]]:
    errors = set()
    for issue in spec.known_issues:
        rule, severity = QUIRK_FINDINGS.get(issue.quirk, (None, None))
        if severity == "error":
            errors.update((rule, node) for node in issue.nodes if rule)
    return errors


def comparable(report: Report) -> list[dict[str, str]]:
    return [f.to_dict() for f in report.findings]


@pytest.mark.parametrize("spec", dataset_params())
def test_writer_output_validates_clean(spec: DatasetSpec,
                                       written_datasets: dict[str, Path]) -> None:
    report = validate(str(written_datasets[spec.id]))
    errors = {(f.rule, f.node) for f in report.errors}
    # Conformant datasets: no error at all. The others: exactly their known MUST violations.
    assert errors == expected_errors(spec), report.errors
    assert report.valid is spec.conformant
    assert report.ngff_version == spec.version
    assert report.zarr_format == spec.zarr_format
    assert not [f for f in report.findings if f.rule == "engine.rule-crashed"]
    for issue in spec.known_issues:
        if issue.quirk in QUIRK_FINDINGS:
            rule, _ = QUIRK_FINDINGS[issue.quirk]
            found = {f.node for f in report.findings if f.rule == rule}
            assert set(issue.nodes) <= found, (issue, found)


@pytest.mark.parametrize("spec", dataset_params())
def test_http_gives_the_same_report(spec: DatasetSpec, written_datasets: dict[str, Path],
                                    data_server: DataServer) -> None:
    local = validate(str(written_datasets[spec.id]))
    remote = validate(data_server.url_for(spec.id))
    assert comparable(remote) == comparable(local)
    assert remote.nodes == local.nodes
    if spec.zarr_format == 3:
        # The only misses a v3 walk may have are probes for groups no metadata names.
        root = written_datasets[spec.id]
        misses = [p for p in data_server.stats.paths
                  if not (root.parent / p.lstrip("/")).is_file()]
        assert all(p.endswith(("labels/zarr.json", "OME/zarr.json", "OME/METADATA.ome.xml"))
                   for p in misses), misses


@pytest.mark.parametrize("spec", dataset_params())
def test_s3_gives_the_same_report(spec: DatasetSpec, written_datasets: dict[str, Path],
                                  s3_server: S3Server) -> None:
    local = validate(str(written_datasets[spec.id]))
    remote = validate(s3_server.url(spec.id), storage_options=s3_server.storage_options)
    assert comparable(remote) == comparable(local)
    anonymous = validate(s3_server.url(spec.id), storage_options=s3_server.anon_storage_options)
    assert comparable(anonymous) == comparable(local)


# -- broken copies ---------------------------------------------------------------------------

Mutation = Callable[[Path], None]


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _meta(version: str) -> str:
    return ".zattrs" if version == "0.4" else "zarr.json"


def _ome(doc: Any, version: str) -> Any:
    return doc if version == "0.4" else doc["attributes"]["ome"]


def _base(version: str) -> str:
    return "" if version == "0.4" else "/attributes/ome"


def _first_dataset(root: Path, version: str, node: str = "") -> str:
    doc = json.loads((root / node / _meta(version)).read_text())
    return str(_ome(doc, version)["multiscales"][0]["datasets"][-1]["path"])


def remove_last_level(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        shutil.rmtree(root / _first_dataset(root, version))
    return mutate, ("multiscales.datasets.path-exists", "", "")


def drop_an_axis(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        _edit(root / _meta(version), lambda d: _ome(d, version)["multiscales"][0]["axes"].pop(0))
    return mutate, ("multiscales.axes.count-matches-ndim", "", "")


def rename_dimension(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        level = _first_dataset(root, version)

        def change(doc: Any) -> None:
            doc["dimension_names"][-1] = "w"
        _edit(root / level / "zarr.json", change)
    return mutate, ("multiscales.dimension-names.match-axes", "*", "/dimension_names")


def delete_label(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        shutil.rmtree(root / "labels" / "cells")
    return mutate, ("labels.paths.exist", "labels", "")


def delete_well(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        shutil.rmtree(root / "A" / "3")
    return mutate, ("plate.wells.exist", "", "")


def delete_field(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        shutil.rmtree(root / "B" / "2" / "1")
    return mutate, ("well.images.exist", "B/2", f"{_base(version)}/well/images/1/path")


def mixed_versions(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    other = "0.5" if version == "0.4" else "0.4"

    def mutate(root: Path) -> None:
        def change(doc: Any) -> None:
            if version == "0.4":
                doc["well"]["version"] = other
            else:
                doc["attributes"]["ome"]["version"] = other
        _edit(root / "A" / "1" / _meta(version), change)
    return mutate, ("hierarchy.version.consistent", "A/1", "")


def corrupt_json(version: str) -> tuple[Mutation, tuple[str, str, str]]:
    def mutate(root: Path) -> None:
        (root / "A" / "1" / "0" / _meta(version)).write_text('{"multiscales": [')
    return mutate, ("io.document.invalid-json", "A/1/0", "")


BREAKAGES = [
    ("image-2d", remove_last_level),
    ("image-2d", drop_an_axis),
    ("image-5d-labels", delete_label),
    ("plate", delete_well),
    ("plate", delete_field),
    ("plate", mixed_versions),
    ("plate", corrupt_json),
]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize(("dataset", "breakage"), BREAKAGES,
                         ids=[f"{d}-{b.__name__}" for d, b in BREAKAGES])
def test_broken_copy(version: str, dataset: str, breakage: Callable[[str], Any],
                     mutable_dataset: Callable[[str], Path]) -> None:
    spec = get_spec(f"ome-zarr-py-{version}-{dataset}")
    root = mutable_dataset(spec.id)
    mutate, (rule, node, pointer) = breakage(version)
    mutate(root)
    report = validate(str(root))
    hits = [f for f in report.findings if f.rule == rule]
    assert hits, [f.to_dict() for f in report.findings]
    assert any(node in ("*", f.node) and f.pointer.startswith(pointer) for f in hits), hits
    assert not report.valid


def test_broken_dimension_names(mutable_dataset: Callable[[str], Path]) -> None:
    root = mutable_dataset("ome-zarr-py-0.5-image-2d")
    mutate, (rule, _, pointer) = rename_dimension("0.5")
    mutate(root)
    hits = [f for f in validate(str(root)).findings if f.rule == rule]
    assert [(f.node, f.document, f.pointer) for f in hits] == [
        (_first_dataset(root, "0.5"), "zarr.json", pointer)
    ]


# -- broken copies of ngff-zarr's 0.6 output ---------------------------------------------------


def _unconsolidated(root: Path) -> None:
    """Drop the consolidated copy, so that the walk reads the files as they now are."""
    _edit(root / "zarr.json", lambda d: d.pop("consolidated_metadata", None))


def _ms06(doc: Any) -> Any:
    return doc["attributes"]["ome"]["multiscales"][0]


def remove_level_06(root: Path) -> None:
    shutil.rmtree(root / _first_dataset(root, "0.6"))


def drop_axis_06(root: Path) -> None:
    _edit(root / "zarr.json", lambda d: _ms06(d)["coordinateSystems"][0]["axes"].pop(0))


def delete_parameters_06(root: Path) -> None:
    shutil.rmtree(root / "coordinateTransformations" / "to-world")


def reshape_parameters_06(root: Path) -> None:
    def change(doc: Any) -> None:
        doc["shape"] = [2, 2]
        doc["chunk_grid"]["configuration"]["chunk_shape"] = [2, 2]
    _edit(root / "coordinateTransformations" / "to-world" / "zarr.json", change)


def delete_tile_06(root: Path) -> None:
    shutil.rmtree(root / "tile_1")


def tile_version_06(root: Path) -> None:
    _edit(root / "tile_1" / "zarr.json",
          lambda d: d["attributes"]["ome"].update(version="0.5"))


_OWN06 = "/attributes/ome/multiscales/0/coordinateTransformations/0/path"
BREAKAGES_06 = [
    ("image-3d", remove_level_06,
     ("multiscales.datasets.path-exists", "", "/attributes/ome/multiscales/0/datasets/1/path")),
    ("image-2d", drop_axis_06,
     ("multiscales.axes.count-matches-ndim", "", "/attributes/ome/multiscales/0/datasets/0")),
    ("image-affine", delete_parameters_06, ("transformations.parameters.array", "", _OWN06)),
    ("image-affine", reshape_parameters_06, ("transformations.parameters.shape", "", _OWN06)),
    ("scene", delete_tile_06,
     ("scene.paths.resolve", "", "/attributes/ome/scene/coordinateTransformations/1/input/path")),
    ("scene", tile_version_06, ("hierarchy.version.consistent", "tile_1", "/attributes/ome")),
]


@pytest.mark.parametrize(("dataset", "mutate", "expected"), BREAKAGES_06,
                         ids=[f"{d}-{m.__name__}" for d, m, _ in BREAKAGES_06])
def test_broken_copy_06(dataset: str, mutate: Mutation, expected: tuple[str, str, str],
                        mutable_dataset: Callable[[str], Path]) -> None:
    root = mutable_dataset(f"ngff-zarr-0.6-{dataset}")
    _unconsolidated(root)
    assert not [f for f in validate(str(root)).findings if f.severity.value == "error"]
    mutate(root)
    report = validate(str(root))
    rule, node, pointer = expected
    hits = [(f.node, f.pointer) for f in report.findings if f.rule == rule]
    assert any(n == node and p.startswith(pointer) for n, p in hits), (
        [f.to_dict() for f in report.findings])
    assert report.verdict == "invalid"
