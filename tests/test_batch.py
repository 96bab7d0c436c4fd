"""Batches without Dask: the subcommand as users run it, resume after a kill, discovery over a
local tree and moto's S3, the shared per-host cap, the library entry points."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest

from tests.datasets import S3_BUCKET, S3Server, upload_tree
from validator import validate
from validator.batch import DatasetResult, validate_many
from validator.batch.discover import discover
from validator.batch.output import load_results
from validator.batch.result import exit_code
from validator.batch.targets import parse_list
from validator.batch.task import report_name
from validator.testing import DataServer
from validator.testing.collection import CollectionEntry, write_collection
from validator.testing.plates import write_image, write_plate

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, stdin: str | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "validator.cli", *args], capture_output=True, text=True,
        input=stdin, timeout=300, check=False, cwd=cwd, env=env,
    )


def expected_verdict(entry: CollectionEntry) -> str:
    return "invalid" if entry.broken else "valid"


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[CollectionEntry]]:
    root = tmp_path_factory.mktemp("collection")
    return root, write_collection(root, 12)


def test_batch_over_http_gives_each_verdict_of_a_single_run(
    collection: tuple[Path, list[CollectionEntry]], written_datasets: dict[str, Path],
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    root, entries = collection
    server = serve_directory(root)
    urls = [server.url_for(e.name) for e in entries]
    writer = written_datasets["ome-zarr-py-0.5-image-2d"]  # a real writer's dataset, locally
    missing = server.url_for("no-such.ome.zarr")
    listing = tmp_path / "urls.txt"
    listing.write_text("# the collection\n" + "\n".join(urls) + f"\n\n{writer}  # ome-zarr-py\n"
                       + missing + "\n" + urls[0] + "\n")  # a repeated target runs once
    out, summary, reports = tmp_path / "r.jsonl", tmp_path / "s.csv", tmp_path / "reports"
    result = cli("batch", "--from", str(listing), "--output", str(out), "--summary",
                 str(summary), "--reports", str(reports), "--no-progress")
    assert result.returncode == 2, result.stderr  # the missing one could not be validated
    results = {r.target: r for r in load_results(out)}
    assert sorted(results) == sorted([*urls, str(writer), missing])
    for entry, url in zip(entries, urls, strict=True):
        got = results[url]
        assert got.verdict == expected_verdict(entry), (url, got)
        if entry.broken:
            assert entry.rule in dict(got.top_rules)
    for target, got in results.items():  # the same verdict as a run of its own
        if target == missing:
            assert got.verdict == "could-not-validate" and got.error
            continue
        single = validate(target)
        assert (got.verdict, got.counts, got.ngff_version) == (
            single.verdict, single.counts(), single.ngff_version)
        report = json.loads(Path(got.report or "").read_text())
        assert report["target"] == target and report["verdict"] == got.verdict
        assert Path(got.report or "").parent == reports
    with summary.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {row["target"]: row["verdict"] for row in rows} == {
        t: r.verdict for t, r in results.items()}
    assert "could-not-validate" in result.stdout and "plate.wells.exist" in result.stdout


def test_exit_codes_follow_the_worst_verdict(
    collection: tuple[Path, list[CollectionEntry]],
) -> None:
    root, entries = collection
    valid = [str(root / e.name) for e in entries if not e.broken]
    broken = [str(root / e.name) for e in entries if e.broken]
    assert cli("batch", *valid[:3], "--no-progress").returncode == 0
    assert cli("batch", valid[0], broken[0], "--no-progress").returncode == 1
    assert cli("batch", valid[0], broken[0], str(root / "nope"), "--no-progress"
               ).returncode == 2
    assert exit_code(Counter({"valid": 3, "incomplete": 1})) == 2


def test_targets_from_stdin_and_a_directory_named_batch(
    collection: tuple[Path, list[CollectionEntry]], tmp_path: Path,
) -> None:
    root, entries = collection
    lines = f"# comment\n{root / entries[0].name}   # trailing comment\n\n"
    result = cli("batch", "--from", "-", "--no-progress", stdin=lines)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["target"] == str(root / entries[0].name)
    write_image(tmp_path / "batch", version="0.5", levels=1)
    single = cli("./batch", "--format", "json", "--no-progress", cwd=tmp_path)
    assert json.loads(single.stdout)["verdict"] == "valid", single.stderr
    assert cli("batch", "--resume", "x", cwd=tmp_path).returncode == 2  # needs --output
    assert list(parse_list(["a", " # c", "b # c", "c\t# d", "d#e"])) == ["a", "b", "c", "d#e"]


def test_resume_after_a_kill_runs_only_the_unfinished(
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path / "data", 24)
    server = serve_directory(tmp_path / "data", delay=0.05)
    urls = [server.url_for(e.name) for e in entries]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    out = tmp_path / "r.jsonl"
    args = [sys.executable, "-m", "validator.cli", "batch", "--from", str(listing),
            "--output", str(out), "--datasets-in-flight", "2", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (not out.exists() or out.read_text().count("\n") < 5) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # no clean-up: a crash, an OOM kill, a pulled plug
    proc.wait(30)
    first = {r.target for r in load_results(out)}
    assert 5 <= len(first) < len(urls)
    server.reset_stats()
    again = cli("batch", "--from", str(listing), "--output", str(out), "--resume",
                "--no-progress")
    assert again.returncode == 1, again.stderr  # broken ones in the collection
    requested = {path.split("/", 1)[0] for path in server.stats.paths}
    assert requested == {e.name for e in entries} - {u.rsplit("/", 1)[1] for u in first}
    final = load_results(out)
    assert sorted(r.target for r in final) == sorted(urls)  # each exactly once
    for entry, url in zip(entries, urls, strict=True):
        assert next(r for r in final if r.target == url).verdict == expected_verdict(entry)


def test_the_per_host_cap_holds_across_datasets(
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    entries = write_collection(tmp_path, 16, broken_every=0)
    server = serve_directory(tmp_path, delay=0.02)
    urls = [server.url_for(e.name) for e in entries]
    results = validate_many(urls, max_datasets=8, concurrency=4, adaptive=False)
    assert [r.verdict for r in results] == ["valid"] * 16
    assert server.stats.max_in_flight == 4  # eight walks at once, four requests at most


def test_report_names_are_safe_and_distinct() -> None:
    targets = ["https://h/a/../../etc/passwd", "../../x", ".hidden", "s3://b/a b/ü?x=1#y",
               "https://h/a_b", "https://h/a/b", "/" * 300, ""]
    names = [report_name(t) for t in targets]
    assert len(set(names)) == len(names)
    for name in names:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert name.endswith(".json") and len(name) <= 100
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)


def test_a_report_that_cannot_be_written_keeps_the_verdict(
    collection: tuple[Path, list[CollectionEntry]], tmp_path: Path,
) -> None:
    root, entries = collection
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    [result] = validate_many([str(root / entries[0].name)], reports_dir=str(blocker))
    assert result.verdict == "valid" and result.report is None
    assert (result.error or "").startswith("the report could not be written")


def test_a_missing_local_target_is_said_to_be_missing(tmp_path: Path) -> None:
    """As with one target: "no such file or directory", not "no Zarr metadata at <path>/"."""
    missing = str(tmp_path / "nope.zarr")
    [result] = validate_many([missing])
    assert result.verdict == "could-not-validate"
    assert result.error == f"{missing}: no such file or directory"


def test_a_discovery_that_finds_nothing_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = cli("batch", "--discover", str(tmp_path / "empty"), "--max-depth", "2",
                 "--no-progress")
    assert result.returncode == 2
    assert f"none found by --discover {tmp_path / 'empty'} (to depth 2)" in result.stderr


def test_a_partial_last_line_is_dropped(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    whole = DatasetResult.failed("a", "gone").to_json()
    out.write_text(whole + "\n" + whole[:20])
    assert [r.target for r in load_results(out)] == ["a"]
    assert out.read_text() == whole + "\n"


# -- discovery ---------------------------------------------------------------------------------


def pack(path: Path, *, version: Literal["0.4", "0.5"]) -> None:
    """A zipped OME-Zarr (.ozx): an image's documents at the root of a zip archive."""
    with tempfile.TemporaryDirectory() as tmp:
        written = write_image(Path(tmp), version=version, levels=2)
        with zipfile.ZipFile(path, "w") as archive:
            for rel in written:
                archive.write(Path(tmp) / rel, rel)


def discovery_tree(base: Path) -> set[str]:
    """A tree with OME-Zarr roots at several depths and things that are not roots; returns
    the roots (relative paths)."""
    write_image(base / "a" / "image.ome.zarr", version="0.4", levels=2)
    write_plate(base / "a" / "b" / "plate.zarr", version="0.5", rows=1, columns=2, fields=1,
                levels=1)  # its wells and fields hold OME keys too: not roots of their own
    (base / "c" / "plain.zarr").mkdir(parents=True)  # a plain Zarr group holding an image
    (base / "c" / "plain.zarr" / "zarr.json").write_text(
        '{"zarr_format": 3, "node_type": "group", "attributes": {}}')
    write_image(base / "c" / "plain.zarr" / "inner", version="0.5", levels=1)
    (base / "d").mkdir()
    pack(base / "d" / "packed.ozx", version="0.5")
    (base / "d" / "notes.txt").write_text("not a dataset")
    array = base / "e" / "array.zarr"  # an array: not a root, not descended into
    array.mkdir(parents=True)
    (array / "zarr.json").write_text('{"zarr_format": 3, "node_type": "array"}')
    write_image(array / "c" / "odd", version="0.5", levels=1)
    write_image(base / "f" / "g" / "h" / "i" / "deep.zarr", version="0.5", levels=1)
    return {"a/image.ome.zarr", "a/b/plate.zarr", "c/plain.zarr/inner", "d/packed.ozx",
            "f/g/h/i/deep.zarr"}


def test_discovery_over_a_local_tree_finds_exactly_the_roots(tmp_path: Path) -> None:
    roots = discovery_tree(tmp_path)
    assert discover(str(tmp_path)) == sorted(str(tmp_path / r) for r in roots)
    shallow = discover(str(tmp_path), max_depth=3)
    assert shallow == sorted(str(tmp_path / r) for r in roots if r.count("/") < 3)
    assert discover(str(tmp_path / "a" / "image.ome.zarr")) == [
        str(tmp_path / "a" / "image.ome.zarr")]
    result = cli("batch", "--discover", str(tmp_path), "--max-depth", "2", "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["target"]: line["verdict"] for line in lines} == {
        str(tmp_path / r): "valid" for r in roots if r.count("/") < 2}
    assert any(line["target"].endswith(".ozx") for line in lines)


def test_discovery_over_moto_s3_finds_exactly_the_roots(
    s3_server: S3Server, tmp_path: Path,
) -> None:
    roots = discovery_tree(tmp_path)
    client = s3_server.client()
    try:
        upload_tree(client, S3_BUCKET, tmp_path, "discovery")
    finally:
        client.close()
    storage = s3_server.storage_options
    found = discover(f"s3://{S3_BUCKET}/discovery", storage_options=storage)
    assert found == sorted(f"s3://{S3_BUCKET}/discovery/{r}" for r in roots)
    results = {r.target: r.verdict for r in validate_many(found, storage_options=storage)}
    assert results == dict.fromkeys(found, "valid")  # the .ozx too, read through the zip


async def test_closing_the_results_cancels_the_rest(
    serve_directory: Callable[..., DataServer], tmp_path: Path,
) -> None:
    from validator.batch import aiter_validate_many

    entries = write_collection(tmp_path, 24, broken_every=0)
    server = serve_directory(tmp_path, delay=0.05)
    results = aiter_validate_many([server.url_for(e.name) for e in entries], max_datasets=2)
    first = await anext(results)
    assert first.verdict == "valid"
    await results.aclose()
    # Requests sent before the close may still reach the server (under load, late): let them
    # land, then nothing more may come -- a walk still running would go on asking.
    await asyncio.sleep(1.0)
    requests = server.stats.requests
    await asyncio.sleep(0.5)  # ten round trips
    assert server.stats.requests == requests
    started = {path.split("/", 1)[0] for path in server.stats.paths}
    assert len(started) <= 3  # the first, and the two in flight when it finished


def test_batch_takes_every_single_target_option() -> None:
    """One mapping from arguments to Options: a batch run is configured exactly as a single one
    (an earlier copy of the mapping in batch/cli.py had lost --retries, --max-findings and
    --no-plate-labels)."""
    from validator.batch.cli import build_parser as batch_parser
    from validator.batch.cli import make_options
    from validator.cli import build_parser as single_parser
    from validator.cli import options_from_args

    argv = ["--retries", "1", "--max-findings", "7", "--no-plate-labels", "--timeout", "3",
            "--strict", "--sample-wells", "2", "--fields", "first", "--no-consolidated"]
    batch = make_options(batch_parser().parse_args(["x", *argv]))
    single = options_from_args(single_parser().parse_args(["x", *argv]))
    assert batch == single
    assert (batch.retries, batch.max_findings, batch.plate_labels) == (1, 7, False)


def test_budget_message_names_the_budget_only_when_that_is_all() -> None:
    from validator.errors import BudgetExceeded, budget_message

    nested = ExceptionGroup("walk", [ExceptionGroup("workers", [
        BudgetExceeded("the limit of 3 documents was reached")])])
    assert budget_message(nested) == "the limit of 3 documents was reached"
    mixed = ExceptionGroup("walk", [BudgetExceeded("x"), ValueError("a bug")])
    assert budget_message(mixed) is None
    assert budget_message(ExceptionGroup("walk", [ValueError("a bug")])) is None
