"""Tests of the test infrastructure: DataServer, the plate generator, writer datasets, moto S3."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from tests.datasets import (
    WRITER_DATASETS,
    WRITER_QUIRKS,
    DatasetSpec,
    S3Server,
    dataset_params,
    specs,
)
from validator.testing import DataServer, PlateInfo, write_plate
from validator.testing.dataserver import drip, fail_times, lying_length, redirect, respond
from validator.testing.plates import column_names, row_names

REPO = Path(__file__).resolve().parents[1]


# --- helpers -----------------------------------------------------------------------------------


def get(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, bytes, Any]:
    """(status, body, headers) without raising on HTTP errors or following redirects."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def raw_request(port: int, target: str) -> int:
    """Send ``GET target`` verbatim (no client-side normalization); returns the status."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


async def fetch_all(urls: list[str], concurrency: int) -> list[int]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> int:
            async with session.get(url) as response:
                await response.read()
                return response.status

        return await asyncio.gather(*(one(u) for u in urls))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with a.json, sub/b.bin, sub/empty/, and a secret next to (outside) root."""
    root = tmp_path / "root"
    (root / "sub" / "empty").mkdir(parents=True)
    (root / "a.json").write_bytes(b'{"a": 1}')
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (tmp_path / "secret.txt").write_text("do not serve")
    return root


# --- DataServer --------------------------------------------------------------------------------


def test_serves_files_and_counts(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    status, body, headers = get(server.url_for("a.json"))
    assert (status, body) == (200, b'{"a": 1}')
    assert headers["Content-Type"].startswith("application/json")
    status, body, _ = get(server.url_for("/sub/b.bin"))
    assert (status, body) == (200, bytes(range(256)))
    stats = server.stats
    assert stats.requests == 2
    assert stats.not_found == 0
    assert stats.bytes == 8 + 256
    assert stats.paths == {"a.json": 1, "sub/b.bin": 1}
    assert stats.statuses == {200: 2}


def test_head_sends_length_but_no_body(
    tree: Path, serve_directory: Callable[..., DataServer]
) -> None:
    server = serve_directory(tree)
    status, body, headers = get(server.url_for("sub/b.bin"), method="HEAD")
    assert (status, body, headers["Content-Length"]) == (200, b"", "256")
    assert server.stats.bytes == 0
    assert server.stats.methods == {"HEAD": 1}


def test_missing_and_directories_are_404(
    tree: Path, serve_directory: Callable[..., DataServer]
) -> None:
    server = serve_directory(tree)
    for path in ("nope.json", "sub", "sub/", "sub/empty", "", "sub/b.bin/x"):
        assert get(server.url_for(path))[0] == 404, path
    stats = server.stats
    assert stats.requests == stats.not_found == 6
    assert stats.bytes == 6 * len(b"not found")


def test_never_serves_outside_root(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    (tree / "escape").symlink_to(tree.parent / "secret.txt")
    (tree / "updir").symlink_to(tree.parent, target_is_directory=True)
    server = serve_directory(tree)
    targets = [
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/sub/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/%2fetc%2fpasswd",
        "//etc/passwd",
        "/escape",
        "/updir/secret.txt",
        "/a.json%00",
    ]
    for target in targets:
        assert raw_request(server.port, target) in (400, 404), target
    assert raw_request(server.port, "/sub/../a.json") == 200  # normalized inside root is fine


def test_other_methods_are_refused(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    status, _, headers = get(server.url_for("a.json"), method="POST")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert (tree / "a.json").read_bytes() == b'{"a": 1}'


def test_byte_ranges(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    url = server.url_for("sub/b.bin")
    status, body, headers = get(url, {"Range": "bytes=10-19"})
    assert (status, body, headers["Content-Range"]) == (
        206,
        bytes(range(10, 20)),
        "bytes 10-19/256",
    )
    status, body, _ = get(url, {"Range": "bytes=-4"})
    assert (status, body) == (206, bytes(range(252, 256)))
    status, body, _ = get(url, {"Range": "bytes=250-"})
    assert (status, body) == (206, bytes(range(250, 256)))
    status, _, headers = get(url, {"Range": "bytes=300-400"})
    assert (status, headers["Content-Range"]) == (416, "bytes */256")
    status, body, _ = get(url, {"Range": "bytes=0-1,5-6"})  # multi-range: whole file
    assert (status, len(body)) == (200, 256)


def test_reset_stats(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    get(server.url_for("a.json"))
    get(server.url_for("missing"))
    server.reset_stats()
    assert server.stats.requests == server.stats.not_found == server.stats.bytes == 0
    assert not server.stats.paths


async def test_delay_overlaps_concurrent_requests(
    tree: Path, serve_directory: Callable[..., DataServer]
) -> None:
    server = serve_directory(tree, delay=0.3)
    start = time.perf_counter()
    statuses = await fetch_all([server.url_for("a.json")] * 8, concurrency=8)
    elapsed = time.perf_counter() - start
    assert statuses == [200] * 8
    assert 0.3 <= elapsed < 1.2  # overlapping, not 8 x 0.3 s
    assert server.stats.max_in_flight == 8


async def test_delay_changes_at_runtime(
    tree: Path, serve_directory: Callable[..., DataServer]
) -> None:
    server = serve_directory(tree)
    url = server.url_for("a.json")
    start = time.perf_counter()
    await fetch_all([url], 1)
    fast = time.perf_counter() - start
    server.delay = 0.25
    start = time.perf_counter()
    await fetch_all([url], 1)
    assert time.perf_counter() - start >= 0.25 > fast


async def test_max_in_flight_caps_concurrency(
    tree: Path, serve_directory: Callable[..., DataServer]
) -> None:
    server = serve_directory(tree, delay=0.1, max_in_flight=2)
    start = time.perf_counter()
    statuses = await fetch_all([server.url_for("a.json")] * 6, concurrency=6)
    elapsed = time.perf_counter() - start
    assert statuses == [200] * 6
    assert server.stats.max_in_flight == 2
    assert server.stats.requests == 6
    assert elapsed >= 0.3  # three waves of two
    server.max_in_flight = None
    server.reset_stats()
    await fetch_all([server.url_for("a.json")] * 6, concurrency=6)
    assert server.stats.max_in_flight == 6


async def test_throughput_small_files(tmp_path: Path) -> None:
    """640 small files at 64 concurrent requests with 20 ms delay: ideal 0.2 s."""
    for i in range(640):
        (tmp_path / f"{i}.json").write_bytes(b'{"i": %d}' % i)
    with DataServer(tmp_path, delay=0.02, max_in_flight=64) as server:
        start = time.perf_counter()
        statuses = await fetch_all([server.url_for(f"{i}.json") for i in range(640)], 64)
        elapsed = time.perf_counter() - start
        assert statuses == [200] * 640
        assert server.stats.max_in_flight <= 64
    assert elapsed < 3.0, f"{elapsed:.2f} s"  # generous: the machine is shared


def test_custom_routes(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    server.routes["a.json"] = respond(429, b"slow down", {"Retry-After": "2"})
    status, body, headers = get(server.url_for("a.json"))
    assert (status, body, headers["Retry-After"]) == (429, b"slow down", "2")
    server.routes["old.json"] = redirect("/a.json", 301)
    status, _, headers = get(server.url_for("old.json"))
    assert (status, headers["Location"]) == (301, "/a.json")
    server.routes["sub/b.bin"] = fail_times(server, 2, 503)
    assert [get(server.url_for("sub/b.bin"))[0] for _ in range(3)] == [503, 503, 200]
    assert server.stats.statuses == {429: 1, 301: 1, 503: 2, 200: 1}


def test_drip_and_lying_length(tree: Path, serve_directory: Callable[..., DataServer]) -> None:
    server = serve_directory(tree)
    server.routes["drip"] = drip(b"abcd", chunk=1, interval=0.1)
    start = time.perf_counter()
    assert get(server.url_for("drip"))[:2] == (200, b"abcd")
    assert time.perf_counter() - start >= 0.3  # the 4th byte goes after 3 intervals
    server.routes["liar"] = lying_length(b"abc", claimed=100)
    with pytest.raises(http.client.IncompleteRead):
        get(server.url_for("liar"))


def test_restart_and_context_manager(tree: Path) -> None:
    server = DataServer(tree, max_in_flight=4)
    with server:
        assert get(server.url_for("a.json"))[0] == 200
    assert not server.running
    with server:  # a second loop: the concurrency cap must not be bound to the old one
        assert get(server.url_for("a.json"))[0] == 200
    with pytest.raises(RuntimeError):
        _ = server.url


def test_command_line(tree: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "validator.testing.dataserver", str(tree), "--delay", "0.01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert get(f"{url}/a.json")[:2] == (200, b'{"a": 1}')
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    stats = json.loads(err.strip().splitlines()[-1])
    assert stats["requests"] == 1


# --- plate generator ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.5", {"zarr.json": 1 + 16 + 384 + 768 + 1536}),
        ("0.4", {".zgroup": 1169, ".zattrs": 1169 + 1536, ".zarray": 1536}),
    ],
)
def test_plate_384_document_counts(
    generated_plates: dict[str, PlateInfo], version: str, expected: dict[str, int]
) -> None:
    info = generated_plates[version]
    assert dict(info.documents) == expected
    assert dict(info.nodes) == {"plate": 1, "row": 16, "well": 384, "image": 768, "array": 1536}
    on_disk = [p for p in info.root.rglob("*") if p.is_file()]
    assert len(on_disk) == info.total_documents


def test_plate_sparse_wells_and_names(tmp_path: Path) -> None:
    info = write_plate(
        tmp_path / "p",
        version="0.5",
        rows=30,
        columns=2,
        fields=1,
        levels=3,
        wells=["AD/2", (0, 0)],
    )
    assert row_names(30)[-4:] == ["AA", "AB", "AC", "AD"]
    assert column_names(3) == ["1", "2", "3"]
    assert info.wells == ("AD/2", "A/1")
    assert info.nodes == {"plate": 1, "row": 2, "well": 2, "image": 2, "array": 6}
    assert info.level_shapes == ((1, 1, 16, 64, 64), (1, 1, 16, 32, 32), (1, 1, 16, 16, 16))
    plate = json.loads((info.root / "zarr.json").read_text())["attributes"]["ome"]["plate"]
    assert plate["wells"][0] == {"path": "AD/2", "rowIndex": 29, "columnIndex": 1}
    assert len(plate["rows"]) == 30


def test_plate_is_deterministic(tmp_path: Path) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}

    kwargs: dict[str, Any] = {"version": "0.5", "rows": 2, "columns": 2, "fields": 2, "levels": 2}
    write_plate(tmp_path / "a", **kwargs)
    write_plate(tmp_path / "b", **kwargs)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def _ome_zarr_writer() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Call to deprecated class Scaler", category=DeprecationWarning
        )
        import ome_zarr.writer
    return ome_zarr.writer


def _write_reference_plate(root: Path, version: str, wells: list[str]) -> None:
    """The plate written_plate() should mimic, written by ome-zarr-py itself."""
    import zarr
    from ome_zarr.format import FormatV04, FormatV05
    from ome_zarr.io import parse_url

    writer = _ome_zarr_writer()
    fmt = FormatV04() if version == "0.4" else FormatV05()
    location = parse_url(root, mode="w", fmt=fmt)
    assert location is not None
    group = zarr.group(store=location.store, zarr_format=fmt.zarr_format)
    writer.write_plate_metadata(
        group,
        ["A", "B"],
        ["1", "2", "3"],
        wells,
        fmt=fmt,
        name="plate",
        field_count=2,
        acquisitions=[{"id": 0, "name": "acquisition 0", "maximumfieldcount": 2}],
    )
    images = [{"path": str(f), "acquisition": 0} for f in range(2)]
    for well in wells:
        row, column = well.split("/")
        well_group = group.require_group(row).require_group(column)
        writer.write_well_metadata(well_group, images, fmt=fmt)
        for field in range(2):
            writer.write_image(
                np.zeros((1, 1, 4, 64, 64), dtype=np.uint16),
                well_group.require_group(str(field)),
                fmt=fmt,
                axes="tczyx",
                scale_factors=[2, 4],
            )


def _metadata_documents(root: Path) -> dict[str, Any]:
    names = {"zarr.json", ".zgroup", ".zattrs", ".zarray"}
    return {
        p.relative_to(root).as_posix(): json.loads(p.read_text())
        for p in sorted(root.rglob("*"))
        if p.name in names
    }


def _structure(value: Any) -> Any:
    """Keys and value shapes: dicts by key, lists item by item, scalars by type."""
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_structure(v) for v in value]
    return type(value).__name__


def _ome_part(version: str, doc: dict[str, Any]) -> Any:
    if version == "0.4":
        return doc if "zarr_format" not in doc else None
    return doc.get("attributes")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_plate_matches_ome_zarr_py(tmp_path: Path, version: str) -> None:
    wells = ["A/1", "A/3", "B/2"]
    _write_reference_plate(tmp_path / "reference", version, wells)
    write_plate(
        tmp_path / "generated",
        version=version,  # type: ignore[arg-type]
        rows=2,
        columns=3,
        fields=2,
        levels=3,
        shape=(1, 1, 4, 64, 64),
        wells=wells,
    )
    reference = _metadata_documents(tmp_path / "reference")
    generated = _metadata_documents(tmp_path / "generated")
    assert sorted(generated) == sorted(reference)
    for path, doc in reference.items():
        assert _structure(generated[path]) == _structure(doc), path
        # the OME metadata (attributes) is identical, not just alike
        assert _ome_part(version, generated[path]) == _ome_part(version, doc), path


# --- written datasets --------------------------------------------------------------------------


def test_registry_is_consistent() -> None:
    assert {s.version for s in WRITER_DATASETS} == {"0.4", "0.5", "0.6"}
    assert {s.writer for s in WRITER_DATASETS} == {"ome-zarr-py", "ngff-zarr"}
    assert len(specs(writer="ome-zarr-py", kind="plate")) == 2
    for spec in WRITER_DATASETS:
        for issue in spec.known_issues:
            assert issue.quirk in WRITER_QUIRKS


def _root_ome(spec: DatasetSpec, path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((path / spec.metadata_file).read_text())
    return doc if spec.version == "0.4" else dict(doc["attributes"]["ome"])


@pytest.mark.parametrize("spec", dataset_params())
def test_written_dataset_layout(spec: DatasetSpec, written_datasets: dict[str, Path]) -> None:
    path = written_datasets[spec.id]
    ome = _root_ome(spec, path)
    if spec.kind == "image":
        versions = {ome.get("version"), ome["multiscales"][0].get("version")}
    elif spec.kind == "scene":
        versions = {ome.get("version")}
        assert ome["scene"]["coordinateTransformations"]
    else:
        versions = {ome.get("version"), ome["plate"].get("version")}
    assert spec.version in versions
    if spec.version != "0.4":
        assert ome["version"] == spec.version
    if "labels" in spec.features:
        assert (path / "labels" / spec.metadata_file).is_file()
    chunks = [p for p in path.rglob("*") if p.is_file() and p.name.isdigit()]
    assert chunks, "chunks were written"


@pytest.mark.parametrize("spec", dataset_params(version="0.5", writer="ome-zarr-py"))
def test_known_issues_still_present(spec: DatasetSpec, written_datasets: dict[str, Path]) -> None:
    """If a writer upgrade fixes a quirk, this fails: update KnownIssue/WRITER_QUIRKS then."""
    path = written_datasets[spec.id]
    quirks = {issue.quirk: issue for issue in spec.known_issues}
    if "ome-zarr-py-0.5-labels-group-version" in quirks:
        labels = json.loads((path / "labels" / "zarr.json").read_text())["attributes"]["ome"]
        assert "version" not in labels
    if "ome-zarr-py-0.5-multiscale-labels-dimension-names" in quirks:
        for node in quirks["ome-zarr-py-0.5-multiscale-labels-dimension-names"].nodes:
            assert "dimension_names" not in json.loads((path / node / "zarr.json").read_text())
    image = json.loads((path / "zarr.json").read_text())["attributes"]["ome"]
    if spec.kind == "image":
        assert "type" not in image["multiscales"][0]


def test_ngff_zarr_06_field_quirks_still_present(written_datasets: dict[str, Path]) -> None:
    """If ngff-zarr's standalone field changes, this fails: update its KnownIssues then."""
    path = written_datasets["ngff-zarr-0.6-field"]
    ms = json.loads((path / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    (field,) = ms["coordinateTransformations"]
    assert field["type"] == "displacements"
    assert json.loads((path / field["path"] / "zarr.json").read_text())["node_type"] == "array"
    assert field["input"] == field["output"] == {"name": "physical"}


def test_mutable_dataset_is_a_private_copy(
    mutable_dataset: Callable[..., Path], written_datasets: dict[str, Path]
) -> None:
    dataset_id = "ome-zarr-py-0.5-image-2d"
    copy = mutable_dataset(dataset_id)
    (copy / "zarr.json").write_text("{}")
    assert json.loads((written_datasets[dataset_id] / "zarr.json").read_text()) != {}


def test_http_server_serves_written_datasets(
    data_server: DataServer, written_datasets: dict[str, Path]
) -> None:
    for dataset_id, path in written_datasets.items():
        spec_file = ".zattrs" if "-0.4-" in dataset_id else "zarr.json"
        status, body, _ = get(data_server.url_for(f"{dataset_id}/{spec_file}"))
        assert (status, body) == (200, (path / spec_file).read_bytes())
    assert data_server.stats.requests == len(written_datasets)


def test_data_server_fixture_restores_settings(data_server: DataServer) -> None:
    assert data_server.stats.requests == 0
    assert data_server.delay == 0 and data_server.max_in_flight is None
    assert not data_server.routes
    data_server.delay, data_server.max_in_flight = 0.5, 1
    data_server.routes["x"] = respond(500)


def test_data_server_fixture_restored(data_server: DataServer) -> None:
    assert data_server.delay == 0 and data_server.max_in_flight is None
    assert not data_server.routes


def test_generated_plate_is_served(
    data_server: DataServer, generated_plates: dict[str, PlateInfo]
) -> None:
    status, body, _ = get(data_server.url_for("generated-plate-384-0.5/P/24/1/s1/zarr.json"))
    assert status == 200
    assert json.loads(body)["shape"] == [1, 1, 16, 32, 32]


# --- S3 ----------------------------------------------------------------------------------------


def test_s3_serves_uploaded_datasets(
    s3_server: S3Server, written_datasets: dict[str, Path]
) -> None:
    local_files = sum(1 for p in written_datasets.values() for f in p.rglob("*") if f.is_file())
    assert s3_server.objects == local_files
    dataset_id = "ome-zarr-py-0.5-image-5d-labels"
    expected = (written_datasets[dataset_id] / "labels" / "zarr.json").read_bytes()
    key = f"{s3_server.bucket}/{dataset_id}/labels/zarr.json"
    assert s3_server.filesystem().cat(key) == expected
    assert s3_server.filesystem(anon=True).cat(key) == expected
    assert get(f"{s3_server.http_url(dataset_id)}/labels/zarr.json")[:2] == (200, expected)
    assert s3_server.url(dataset_id) == f"s3://{s3_server.bucket}/{dataset_id}"


def test_s3_storage_options_work_with_fsspec(s3_server: S3Server) -> None:
    import fsspec

    dataset_id = "ngff-zarr-0.4-image-3d"
    fs, root = fsspec.core.url_to_fs(s3_server.url(dataset_id), **s3_server.storage_options)
    assert "/".join((root, ".zattrs")) in fs.ls(root, detail=False)
    mapper = fsspec.get_mapper(s3_server.url(dataset_id), **s3_server.anon_storage_options)
    assert json.loads(mapper[".zattrs"])["multiscales"][0]["version"] == "0.4"


def test_s3_environment_points_at_moto(s3_server: S3Server) -> None:
    import s3fs

    assert os.environ["AWS_ENDPOINT_URL_S3"] == s3_server.endpoint_url
    fs = s3fs.S3FileSystem(skip_instance_cache=True)  # no options: from the environment
    assert fs.ls(s3_server.bucket, detail=False)


def test_dataserver_runs_standalone_without_a_warning() -> None:
    """``python -m validator.testing.dataserver`` (the README's way) runs its module once: the
    package does not import it first (runpy's RuntimeWarning, an error here)."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "validator.testing.dataserver", "--help"],
        capture_output=True, text=True, timeout=60, check=False, env=env)
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr and "ROOT" in result.stdout.upper()
