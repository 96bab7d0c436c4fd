"""Shared fixtures: real datasets from real writers, served over HTTP and from a moto S3.

Session fixtures (built once, never modify what they return -- use ``mutable_dataset``):

* ``datasets_root -> Path``: the directory holding every dataset (``<root>/<id>``).
* ``written_datasets -> dict[str, Path]``: id -> path of every :data:`WRITER_DATASETS` entry.
* ``http_server -> DataServer``: serves ``datasets_root``; ``http_server.url_for(id)``.
* ``s3_server -> S3Server``: moto S3 with every written dataset at ``s3://<bucket>/<id>``.
* ``generated_plates -> dict[str, PlateInfo]``: "0.4"/"0.5" -> a metadata-only 384-well plate
  (16x24, 2 fields, 2 levels) under ``datasets_root`` (so ``http_server`` serves it too).

Function fixtures:

* ``data_server -> DataServer``: the session ``http_server`` with its stats reset, whose
  ``delay``, ``max_in_flight`` and ``routes`` are restored after the test.
* ``mutable_dataset(id) -> Path``: a private copy of a written dataset, to break.
* ``serve_directory(path, **kwargs) -> DataServer``: a fresh DataServer over any directory,
  stopped after the test.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.datasets import (
    S3_BUCKET,
    S3_KEY,
    S3_REGION,
    S3_SECRET,
    S3Server,
    build_all,
    mutable_copy,
    upload_tree,
)
from validator.testing import DataServer, PlateInfo, write_plate

_VERSIONS: tuple[Literal["0.4", "0.5"], ...] = ("0.4", "0.5")
_AWS_ENV_CLEARED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@pytest.fixture(scope="session")
def datasets_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture(scope="session")
def written_datasets(datasets_root: Path) -> dict[str, Path]:
    """Every dataset of ``tests.datasets.WRITER_DATASETS``, written once: id -> path."""
    return build_all(datasets_root)


@pytest.fixture
def mutable_dataset(written_datasets: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """``mutable_dataset(id)`` copies the written dataset into this test's tmp_path."""

    def copy(dataset_id: str, name: str | None = None) -> Path:
        return mutable_copy(written_datasets[dataset_id], tmp_path, name)

    return copy


@pytest.fixture(scope="session")
def generated_plates(datasets_root: Path) -> dict[str, PlateInfo]:
    """A metadata-only 384-well plate (16x24, 2 fields, 2 levels) per version."""
    return {
        version: write_plate(
            datasets_root / f"generated-plate-384-{version}",
            version=version,
            rows=16,
            columns=24,
            fields=2,
            levels=2,
        )
        for version in _VERSIONS
    }


@pytest.fixture(scope="session")
def http_server(datasets_root: Path, written_datasets: dict[str, Path]) -> Iterator[DataServer]:
    """A DataServer over ``datasets_root`` (all written datasets), for the whole session."""
    with DataServer(datasets_root) as server:
        yield server


@pytest.fixture
def data_server(http_server: DataServer) -> Iterator[DataServer]:
    """The session server with fresh stats; delay, max_in_flight and routes restored after."""
    delay, cap = http_server.delay, http_server.max_in_flight
    http_server.reset_stats()
    yield http_server
    http_server.delay, http_server.max_in_flight = delay, cap
    http_server.routes.clear()


@pytest.fixture
def serve_directory() -> Iterator[Callable[..., DataServer]]:
    """``serve_directory(path, delay=..., max_in_flight=...)``: a started DataServer."""
    servers: list[DataServer] = []

    def start(root: Path, **kwargs: Any) -> DataServer:
        server = DataServer(root, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def s3_server(written_datasets: dict[str, Path]) -> Iterator[S3Server]:
    """moto's S3 on 127.0.0.1 with every written dataset uploaded to ``s3://<bucket>/<id>``.

    While it runs, the AWS environment points at it: dummy credentials, region us-east-1,
    ``AWS_ENDPOINT_URL_S3`` = the moto endpoint (so a bare ``s3fs.S3FileSystem()`` or boto3
    client reaches it), no instance-metadata lookups, no profile; restored afterwards.
    """
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as mp, _quiet_logger("werkzeug"):
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            _point_aws_env_at(mp, endpoint)
            yield _populate_s3(endpoint, written_datasets)
        finally:
            server.stop()


def _point_aws_env_at(mp: pytest.MonkeyPatch, endpoint: str) -> None:
    for name in _AWS_ENV_CLEARED:
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", S3_KEY)
    mp.setenv("AWS_SECRET_ACCESS_KEY", S3_SECRET)
    mp.setenv("AWS_DEFAULT_REGION", S3_REGION)
    mp.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_CONFIG_FILE", os.devnull)
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def _populate_s3(endpoint: str, datasets: dict[str, Path]) -> S3Server:
    bare = S3Server(endpoint_url=endpoint)
    client = bare.client()
    client.create_bucket(Bucket=S3_BUCKET, ACL="public-read")
    count = sum(upload_tree(client, S3_BUCKET, path, ds_id) for ds_id, path in datasets.items())
    client.close()
    return S3Server(endpoint_url=endpoint, objects=count)


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    """Raise a logger's level to WARNING for a while (moto's werkzeug logs every request)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
