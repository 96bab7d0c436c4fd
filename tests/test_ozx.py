"""Single-file OME-Zarr (``.ozx``, RFC-9): real archives, locally, over HTTP with Range, on S3.

The archives are written by ngff-zarr (``to_ngff_zarr`` to an ``.ozx`` path, and its
``write_store_to_zip`` for the other writers' datasets) and, broken, by stdlib ``zipfile``
(tests/zipkit.py; one case per rule in tests/cases/ozx.*). The hierarchy inside an archive must
be reported exactly as the same hierarchy in a directory, plus the archive's own findings.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.datasets import DatasetSpec, S3Server, dataset_params
from tests.test_api_support import ServiceThread, settings_for
from tests.zipkit import add_zip64_end, build_zip
from validator import Report, cli, validate
from validator.errors import CouldNotValidate
from validator.netsafe import SafeNetworkPolicy
from validator.testing.archives import zip_hierarchy
from validator.testing.dataserver import DataServer, respond
from validator.testing.plates import write_plate

ARCHIVE_RULES = "ozx."
#: Of ngff-zarr 0.50's .ozx output: what the archive itself gets (zipfile writes ZIP64 only
#: when an archive needs it).
NGFF_ZARR_ARCHIVE_FINDINGS = {"ozx.zip64.used"}
#: The versions ngff-zarr writes as .ozx (RFC-9 needs Zarr v3).
NGFF_ZARR_VERSIONS = ("0.5", "0.6")


def inner(report: Report) -> list[dict[str, str]]:
    """The findings about the hierarchy (not about the archive), without locations of URLs."""
    return [{k: v for k, v in f.to_dict().items() if k != "message"}
            for f in report.findings if not f.rule.startswith(ARCHIVE_RULES)]


def archive_rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings if f.rule.startswith(ARCHIVE_RULES)}


def write_ngff_zarr_ozx(path: Path, version: str) -> Path:
    import ngff_zarr
    import numpy as np

    image = ngff_zarr.to_ngff_image(
        (np.arange(8 * 64 * 64, dtype="uint32") * 2654435761 % 65521).astype("uint16")
        .reshape(8, 64, 64),
        dims=["z", "y", "x"], scale={"z": 2.0, "y": 0.5, "x": 0.5},
        translation={"z": 0.0, "y": 0.0, "x": 0.0},
        axes_units={"z": "micrometer", "y": "micrometer", "x": "micrometer"}, name="ngff3d")
    multiscales = ngff_zarr.to_multiscales(image, scale_factors=[2], chunks=16,
                                           method=ngff_zarr.Methods.DASK_BIN_SHRINK)
    ngff_zarr.to_ngff_zarr(str(path), multiscales, version=version)
    return path


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory,
             written_datasets: dict[str, Path]) -> Path:
    """ngff-zarr's own .ozx, and every 0.5 writer dataset zipped by ngff-zarr's zipper."""
    from ngff_zarr.rfc9_zip import write_store_to_zip

    root = tmp_path_factory.mktemp("ozx")
    for version in NGFF_ZARR_VERSIONS:
        write_ngff_zarr_ozx(root / f"ngff-zarr-{version}.ozx", version)
    for spec_id, path in written_datasets.items():
        if "-0.5-" in spec_id:
            write_store_to_zip(path, root / f"{spec_id}.ozx", version="0.5")
    # A Zarr v2 (NGFF 0.4) hierarchy zipped: checked inside, RFC-9 rules not applied.
    shutil.make_archive(str(root / "ome-zarr-py-0.4-image-2d"), "zip",
                        written_datasets["ome-zarr-py-0.4-image-2d"])
    return root


@pytest.fixture(scope="module")
def archive_server(archives: Path) -> Iterator[DataServer]:
    with DataServer(archives) as server:
        yield server


@pytest.fixture
def ranges(archive_server: DataServer) -> Iterator[Callable[[str], list[str]]]:
    """``ranges(name)`` starts recording the Range header of every request for ``name``."""
    seen: dict[str, list[str]] = {}

    def record(name: str) -> list[str]:
        headers = seen.setdefault(name, [])

        async def handler(request: web.Request) -> web.StreamResponse:
            headers.append(request.headers.get("Range", ""))
            return archive_server.file_response(request, name)

        archive_server.routes[name] = handler
        return headers

    archive_server.reset_stats()
    yield record
    archive_server.routes.clear()


# -- real writers --------------------------------------------------------------------------


@pytest.mark.parametrize("version", NGFF_ZARR_VERSIONS)
def test_ngff_zarr_ozx_validates_locally_and_over_http(
        version: str, archives: Path, archive_server: DataServer,
        ranges: Callable[[str], list[str]]) -> None:
    path = archives / f"ngff-zarr-{version}.ozx"
    local = validate(str(path))
    assert not local.errors, local.errors
    assert local.ngff_version == version and local.zarr_format == 3
    assert local.nodes["image"] == 1 and local.nodes["array"] == 2
    assert archive_rules(local) == NGFF_ZARR_ARCHIVE_FINDINGS
    assert local.valid

    headers = ranges(path.name)
    remote = validate(archive_server.url_for(path.name))
    assert [f.to_dict() for f in remote.findings] == [f.to_dict() for f in local.findings]
    assert remote.nodes == local.nodes
    # Metadata first: the end (which holds the central directory of so small an archive)
    # and one range for every zarr.json at once.
    stats = archive_server.stats
    assert stats.requests == remote.stats.requests <= 6
    assert stats.statuses == {206: stats.requests}
    assert headers[0] == "bytes=-16384"
    _assert_no_chunk_read(path, headers[1:])


def _assert_no_chunk_read(path: Path, headers: list[str]) -> None:
    """No range asked for (after the first, the archive's end) touches a chunk entry."""
    with zipfile.ZipFile(path) as archive:
        chunks = [(i.header_offset, i.header_offset + 30 + len(i.filename) + i.compress_size)
                  for i in archive.infolist() if not i.filename.endswith("zarr.json")]
    assert chunks
    for header in headers:
        start, _, end = header.removeprefix("bytes=").partition("-")
        first, last = int(start), int(end) + 1
        for chunk_start, chunk_end in chunks:
            assert last <= chunk_start or first >= chunk_end, (header, chunk_start, chunk_end)


@pytest.mark.parametrize("spec", dataset_params(version="0.5"))
def test_zipped_writer_dataset_reports_as_its_directory(
        spec: DatasetSpec, archives: Path, written_datasets: dict[str, Path],
        archive_server: DataServer) -> None:
    directory = validate(str(written_datasets[spec.id]))
    zipped = validate(str(archives / f"{spec.id}.ozx"))
    remote = validate(archive_server.url_for(f"{spec.id}.ozx"))
    assert inner(zipped) == inner(directory)
    assert inner(remote) == inner(directory)
    assert zipped.nodes == directory.nodes == remote.nodes
    assert zipped.ngff_version == directory.ngff_version
    # ngff-zarr's zipper writes metadata first, stored, with the comment; only ZIP64 (and
    # sharding, for writers that do not shard) is left.
    assert archive_rules(zipped) <= NGFF_ZARR_ARCHIVE_FINDINGS | {"ozx.arrays.sharded"}
    assert not [f for f in zipped.findings
                if f.rule.startswith(ARCHIVE_RULES) and f.severity.value == "error"]
    assert zipped.valid is directory.valid
    assert remote.stats.requests <= 6, remote.stats


def test_zipped_zarr_v2_hierarchy_is_checked_without_rfc9_rules(
        archives: Path, written_datasets: dict[str, Path]) -> None:
    directory = validate(str(written_datasets["ome-zarr-py-0.4-image-2d"]))
    zipped = validate(str(archives / "ome-zarr-py-0.4-image-2d.zip"))
    assert inner(zipped) == inner(directory)
    assert archive_rules(zipped) == set()
    assert any("RFC-9" in s for s in zipped.skipped)
    assert zipped.zarr_format == 2 and zipped.valid is directory.valid


def test_s3_archive(archives: Path, s3_server: S3Server) -> None:
    path = archives / "ngff-zarr-0.5.ozx"
    client = s3_server.client()
    client.put_object(Bucket=s3_server.bucket, Key="archives/ngff-zarr-0.5.ozx",
                      Body=path.read_bytes(), ACL="public-read")
    local = validate(str(path))
    url = f"s3://{s3_server.bucket}/archives/ngff-zarr-0.5.ozx"
    for options in (s3_server.storage_options, s3_server.anon_storage_options):
        remote = validate(url, storage_options=options)
        assert [f.to_dict() for f in remote.findings] == [f.to_dict() for f in local.findings]
        # info (HEAD), the end, the metadata run.
        assert remote.stats.requests <= 6, remote.stats


# -- request counts ---------------------------------------------------------------------------


def test_remote_plate_metadata_first_costs_three_requests(
        tmp_path: Path, serve_directory: Callable[..., DataServer]) -> None:
    plate = write_plate(tmp_path / "plate.zarr", version="0.5", rows=8, columns=12, fields=2,
                        levels=2)
    zip_hierarchy(plate.root, tmp_path / "plate.ozx")
    server = serve_directory(tmp_path)
    directory = validate(server.url_for("plate.zarr"))
    server.reset_stats()
    zipped = validate(server.url_for("plate.ozx"))
    assert inner(zipped) == inner(directory)
    # The end, the central directory, all the zarr.json files in one range.
    assert server.stats.requests == zipped.stats.requests == 3
    # The directory walk also looks for the labels group of each of the 192 fields (404s).
    assert directory.stats.requests == directory.stats.documents + 8 * 12 * 2
    assert directory.stats.documents > 100


def test_interleaved_archive_reads_no_chunk(
        tmp_path: Path, serve_directory: Callable[..., DataServer]) -> None:
    """zarr.json files between chunks (as ``zip -r`` writes): one range per document, none
    of them touching a chunk; the order is reported."""
    plate = write_plate(tmp_path / "plate.zarr", version="0.5", rows=2, columns=3, fields=1,
                        levels=2)
    path = zip_hierarchy(plate.root, tmp_path / "plate.ozx", order="interleaved",
                         shard_bytes=4096)
    server = serve_directory(tmp_path)
    headers: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        headers.append(request.headers.get("Range", ""))
        return server.file_response(request, "plate.ozx")

    server.routes["plate.ozx"] = handler
    report = validate(server.url_for("plate.ozx"))
    assert inner(report) == inner(validate(str(plate.root)))
    assert "ozx.entries.json-first" in archive_rules(report)
    # The end and the central directory, then one range per run of adjacent zarr.json files.
    assert 2 < report.stats.requests <= 2 + report.stats.documents
    _assert_no_chunk_read(path, headers[1:])


def test_remote_archive_without_extension_is_sniffed(
        archives: Path, archive_server: DataServer) -> None:
    shutil.copy(archives / "ngff-zarr-0.5.ozx", archives / "ngff-zarr-0.5-no-extension")
    archive_server.reset_stats()
    report = validate(archive_server.url_for("ngff-zarr-0.5-no-extension"))
    assert report.valid and report.nodes["image"] == 1
    assert "ozx.name.extension" in archive_rules(report)
    # The directory walk that found nothing (format detection) is counted too.
    assert report.stats.requests == archive_server.stats.requests


def test_local_archive_detected_by_signature(archives: Path, tmp_path: Path) -> None:
    path = tmp_path / "image.data"
    shutil.copy(archives / "ngff-zarr-0.5.ozx", path)
    report = validate(str(path))
    assert report.valid and "ozx.name.extension" in archive_rules(report)
    assert validate(path.as_uri()).findings == report.findings


def test_server_ignoring_ranges(archives: Path, archive_server: DataServer) -> None:
    name = "ngff-zarr-0.5.ozx"
    data = (archives / name).read_bytes()
    archive_server.routes[name] = respond(200, data)
    try:
        report = validate(archive_server.url_for(name))
        assert report.valid and report.stats.requests == 1  # the whole (small) archive, once
        with pytest.raises(CouldNotValidate, match="limit"):
            validate(archive_server.url_for(name), max_document_bytes=len(data) // 2)
    finally:
        archive_server.routes.clear()


def test_a_missing_archive_is_named_as_missing(archive_server: DataServer,
                                               tmp_path: Path) -> None:
    """An archive that is not there is "no such archive", not a directory walk's "no Zarr
    metadata at <name>/" (a local one through file://, a remote one on a 404)."""
    with pytest.raises(CouldNotValidate, match=r"missing\.ozx: no such archive"):
        validate(archive_server.url_for("missing.ozx"))
    with pytest.raises(CouldNotValidate, match=r"gone\.ozx: no such file"):
        validate((tmp_path / "gone.ozx").as_uri())
    # A directory whose name ends like an archive is still walked as a directory.
    (tmp_path / "dir.zip").mkdir()
    with pytest.raises(CouldNotValidate, match="metadata"):
        validate(str(tmp_path / "dir.zip"))


# -- caps and the network policy --------------------------------------------------------------


def test_network_policy_vets_archive_reads(archive_server: DataServer) -> None:
    url = archive_server.url_for("ngff-zarr-0.5.ozx")
    archive_server.reset_stats()
    with pytest.raises(CouldNotValidate, match="refused"):
        validate(url, policy=SafeNetworkPolicy())
    assert archive_server.stats.requests == 0
    allowed = SafeNetworkPolicy(allowed_hosts=[f"127.0.0.1:{archive_server.port}"])
    assert validate(url, policy=allowed).valid
    # A redirect is vetted hop by hop: to a refused address, nothing is read.
    archive_server.routes["moved.ozx"] = respond(
        302, headers={"Location": "http://169.254.169.254/latest/meta-data.ozx"})
    try:
        with pytest.raises(CouldNotValidate, match="refused"):
            validate(archive_server.url_for("moved.ozx"), policy=allowed)
    finally:
        archive_server.routes.clear()


def test_deadline_stops_an_archive_walk(archive_server: DataServer) -> None:
    archive_server.delay = 0.3
    try:
        report = validate(archive_server.url_for("ngff-zarr-0.5.ozx"), deadline=0.2)
    finally:
        archive_server.delay = 0.0
    assert report.truncated and report.verdict == "incomplete"
    assert any("deadline" in s for s in report.skipped)


def test_central_directory_over_the_size_limit(tmp_path: Path) -> None:
    spec = {"entries": [[f"{i}/zarr.json", {}] for i in range(50)], "name": "big.ozx"}
    path = tmp_path / "big.ozx"
    path.write_bytes(build_zip(spec))
    report = validate(str(path), max_document_bytes=256, max_consolidated_bytes=256)
    assert {f.rule for f in report.errors} == {"ozx.zip.valid"}
    assert "limit" in report.errors[0].message
    assert report.verdict == "invalid" and not report.complete


def test_metadata_entry_over_the_size_limit(tmp_path: Path) -> None:
    from tests.cases._gen_ozx import good

    path = tmp_path / "image.ozx"
    path.write_bytes(build_zip(good()))
    report = validate(str(path), max_document_bytes=300)
    assert any(f.rule == "io.document.too-large" for f in report.findings), report.findings


# -- broken archives: findings, never a crash -------------------------------------------------


def test_first_part_of_a_split_archive(tmp_path: Path) -> None:
    from tests.cases._gen_ozx import good

    whole = build_zip(good())
    # The first part of a split archive: a spanning marker, the start of the entries, no end.
    path = tmp_path / "image.ozx"
    path.write_bytes(b"PK\x07\x08" + whole[: len(whole) // 2])
    report = validate(str(path))
    assert [f.rule for f in report.errors] == ["ozx.archive.single-part"]
    assert report.verdict == "invalid" and not report.complete


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a zip at all" * 100])
def test_not_an_archive_named_ozx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.ozx"
    path.write_bytes(content)
    report = validate(str(path))
    assert [f.rule for f in report.errors] == ["ozx.zip.valid"]
    assert report.verdict == "invalid" and not report.complete


def test_lying_archive_over_http(tmp_path: Path,
                                 serve_directory: Callable[..., DataServer]) -> None:
    from tests.cases._gen_ozx import good

    lies = {
        "overlap.ozx": {**good(), "point_at": [["1/zarr.json", "0/zarr.json"]]},
        "count.ozx": {**good(), "zip64": False,
                      "eocd": {"total_entries": 65535, "disk_entries": 65535}},
        "past-end.ozx": {**good(), "zip64": False, "eocd": {"cd_offset": 2**32 - 1}},
        "bomb.ozx": {**good(), "compressed": ["zarr.json"],
                     "declare": {"zarr.json": {"file_size": 2**31}}},
    }
    for name, spec in lies.items():
        (tmp_path / name).write_bytes(build_zip(spec))
    server = serve_directory(tmp_path)
    for name in lies:
        report = validate(server.url_for(name))
        rules = {f.rule for f in report.errors}
        assert rules & {"ozx.zip.valid", "io.document.too-large"}, (name, report.findings)
        assert report.verdict == "invalid", name
        assert report.stats.requests <= 4, (name, report.stats)


def test_root_that_is_not_ome_zarr(tmp_path: Path) -> None:
    from tests.cases._gen_ozx import good

    spec = good()
    spec["entries"] = [["zarr.json", {"zarr_format": 3, "node_type": "group",
                                      "attributes": {}}]] + [
        [f"image/{name}", doc] for name, doc in spec["entries"]]
    path = tmp_path / "image.ozx"
    path.write_bytes(build_zip(spec))
    report = validate(str(path))
    assert [f.rule for f in report.errors] == ["ozx.hierarchy.root"]
    assert report.verdict == "invalid" and not report.complete


def test_unsupported_version_cannot_be_validated_as_in_a_directory(tmp_path: Path) -> None:
    from tests.cases._gen_ozx import good

    spec = good()
    spec["entries"][0][1]["attributes"]["ome"]["version"] = "0.3"
    path = tmp_path / "image.ozx"
    path.write_bytes(build_zip(spec))
    with pytest.raises(CouldNotValidate, match=r"0\.3"):
        validate(str(path))


def test_zip64_end_record_is_read(tmp_path: Path) -> None:
    from tests.cases._gen_ozx import good

    spec = {**good(), "zip64": False}
    path = tmp_path / "image.ozx"
    path.write_bytes(add_zip64_end(build_zip(spec)))
    report = validate(str(path))
    assert report.valid and "ozx.zip64.used" not in archive_rules(report)


# -- CLI and service ------------------------------------------------------------------------


def test_cli(archives: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = archives / "ngff-zarr-0.5.ozx"
    assert cli.run([str(path), "--format", "json", "--no-progress"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "valid" and report["target"] == str(path)
    assert {f["rule"] for f in report["findings"]} == NGFF_ZARR_ARCHIVE_FINDINGS


def test_service_validates_an_archive_url(
        archives: Path, archive_server: DataServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(tmp_path, allowed_hosts=[f"127.0.0.1:{archive_server.port}"])
    url = archive_server.url_for("ngff-zarr-0.5.ozx")
    with ServiceThread.create(settings) as service, service.client() as client:
        response = client.post("/v1/validate", json={"url": url})
    assert response.status_code == 200, response.text
    report = response.json()
    assert cli.run([url, "--format", "json", "--no-progress"]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert report["findings"] == expected["findings"]
    assert report["verdict"] == "valid" and report["nodes"] == expected["nodes"]


def test_rules_in_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--list-rules", "--format", "json"]) == 0
    rules = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    archive = {i: r for i, r in rules.items() if i.startswith(ARCHIVE_RULES)}
    assert len(archive) == 12
    for rule in archive.values():
        assert rule["kind"] == "archive"
        assert rule["spec"].startswith("https://ngff.openmicroscopy.org/rfc/9/#")
        assert set(rule["versions"]) == {"0.5", "0.6"}
