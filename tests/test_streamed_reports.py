"""Large reports are written a piece at a time (issue 14: six concurrent renders of a
20k-finding SARIF report took the service past 1 GB): the same text as the reporters built
whole, byte for byte, from the library, the CLI and the service, with peak RSS measured in a
subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from api.jobs.models import Job, JobProgress, JobStatus
from api.jobs.repository import SqliteJobRepository
from tests.clirun import CLI_WITH_PEAK_RSS, peak_rss_kb
from tests.test_api_support import ROOT, ServiceProcess
from validator import validate_document
from validator.jsonstream import LazyArray, iter_json, materialize
from validator.model import Finding, Report, Severity
from validator.reporters import REPORTERS
from validator.reporters.sarif import to_sarif

#: Findings of the big report: what the issue's reproduction had.
BIG = 20_000


def many_findings_plate(rows: int = 100, columns: int = BIG // 100) -> bytes:
    """A 0.5 plate document whose every well path disagrees with its row and column: one
    ``plate.wells.path-row-column`` error per well (``rows * columns`` findings)."""
    row_names = [chr(65 + i // 26) + chr(65 + i % 26) for i in range(rows)]
    wells = [{"path": f"{r}/{c + 1}x", "rowIndex": i, "columnIndex": c}
             for i, r in enumerate(row_names) for c in range(columns)]
    plate = {"rows": [{"name": r} for r in row_names],
             "columns": [{"name": str(c + 1)} for c in range(columns)], "wells": wells}
    return json.dumps({"zarr_format": 3, "node_type": "group",
                       "attributes": {"ome": {"version": "0.5", "plate": plate}}}).encode()


@pytest.fixture(scope="module")
def big_report() -> Report:
    report = validate_document(many_findings_plate())
    assert len(report.findings) > BIG
    return report


def hostile() -> Report:
    """Text that needs escaping everywhere, an unknown rule, no provenance, empty lists."""
    return Report(
        target="https://example.org/a b.zarr/", ngff_version="0.4", zarr_format=2,
        findings=[Finding("custom.rule", Severity.ERROR, "x/\u00e9", "/a~1b",
                          "bad \x00 \n <b> \"q\" \u2028 \ud83d\ude00", "", ".zattrs"),
                  Finding("multiscales.axes.space-count", Severity.INFO, "", "", "n", "")],
        nodes=Counter({"image": 1}), truncated=True,
        incomplete_reasons=["the deadline of 1 s was reached"])


# -- the writer ---------------------------------------------------------------------------------


def values() -> list[Any]:
    """Values to write, made afresh (a lazy array of a generator is written once)."""
    return [
        {},
        [],
        {"a": LazyArray([])},
        LazyArray(iter([])),
        {"a": 1, "b": [1, {"c": [2, {}]}],
         "d": LazyArray({"e": [i, "\n\u00e9"]} for i in range(5))},
        [1, LazyArray([LazyArray([1, 2]), {}, [], {"x": LazyArray(["y"])}]), None, 2.5, True],
        {1: "int key", None: "none key", False: LazyArray([3]), 2.5: "float key", "s": "\t\"\\"},
        "just a string",
    ]


@pytest.mark.parametrize("indent", [None, 2, 4])
@pytest.mark.parametrize("index", range(len(values())))
def test_iter_json_writes_what_json_dumps_writes(index: int, indent: int | None) -> None:
    expected = json.dumps(materialize(values()[index]), indent=indent)
    assert "".join(iter_json(values()[index], indent=indent, chunk=7)) == expected


def test_a_lazy_array_is_made_while_it_is_written() -> None:
    made: list[int] = []

    def items() -> Any:
        for i in range(1000):
            made.append(i)
            yield {"i": i, "text": "x" * 100}

    chunks = iter_json({"items": LazyArray(items())}, indent=2, chunk=4096)
    first = next(chunks)
    assert 4096 <= len(first) < 8192
    assert 0 < len(made) < 100  # only what the first chunk needed
    rest = list(chunks)
    assert len(made) == 1000 and len(rest) > 20
    assert json.loads(first + "".join(rest))["items"][999]["i"] == 999


# -- the reporters ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["big", "hostile", "empty"])
def test_json_and_sarif_are_the_text_built_whole(which: str, big_report: Report) -> None:
    report = {"big": big_report, "hostile": hostile(),
              "empty": Report(target="/x", ngff_version=None, zarr_format=None)}[which]
    as_json = REPORTERS["json"]()
    as_sarif = REPORTERS["sarif"]()
    assert as_json.render(report) == json.dumps(report.to_dict(), indent=2) + "\n"
    assert as_sarif.render(report) == json.dumps(to_sarif(report), indent=2) + "\n"
    if which == "big":  # many pieces, none of them the whole
        pieces = list(as_sarif.chunks(report))
        assert len(pieces) > 100 and max(map(len, pieces)) < 1024 * 1024
    # The compact form the service stores is json.dumps's too.
    assert "".join(iter_json(report.to_lazy_dict())) == json.dumps(report.to_dict())


# -- the command line ---------------------------------------------------------------------------


def _cli_peak(document: Path, fmt: str, out: Path) -> int:
    """Peak RSS (MB) of ``ome-zarr-validate --document DOC --format FMT`` (stdout to out)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(out, "wb") as stdout:
        done = subprocess.run([sys.executable, "-c", CLI_WITH_PEAK_RSS, "--document", str(document),
                               "--format", fmt], stdout=stdout, stderr=subprocess.PIPE,
                              text=False, env=env, check=False, timeout=300)
    stderr = done.stderr.decode()
    rss = peak_rss_kb(stderr)
    assert done.returncode == 1 and rss is not None, stderr[-2000:]
    return rss // 1024


def test_cli_writes_a_large_sarif_report_without_holding_it(tmp_path: Path) -> None:
    """Measured: --format sarif of 20k findings peaked at 274 MB when built whole, 99 MB
    streamed -- the same as --format conformance, which writes a few lines (99 MB)."""
    document = tmp_path / "plate.json"
    document.write_bytes(many_findings_plate())
    floor = _cli_peak(document, "conformance", tmp_path / "out.conformance")
    peaks = {fmt: _cli_peak(document, fmt, tmp_path / f"out.{fmt}") for fmt in ("sarif", "json")}
    assert (tmp_path / "out.sarif").stat().st_size > 20 * 1024 * 1024  # it is a big report
    log = json.loads((tmp_path / "out.sarif").read_text())
    assert len(log["runs"][0]["results"]) > BIG
    assert len(json.loads((tmp_path / "out.json").read_text())["findings"]) > BIG
    for fmt, peak in peaks.items():  # generous: building it whole cost 175 MB more
        assert peak - floor < 60, (fmt, peak, floor)


# -- the service --------------------------------------------------------------------------------


async def _store(database: Path, report_json: str) -> str:
    """A finished job with ``report_json`` in a service's database (the real repository)."""
    repo = SqliteJobRepository(database)
    await repo.open()
    try:
        job = Job(id=Job.new_id(), url="http://127.0.0.1:9/big.zarr", ngff_version=None,
                  strict=False, client="127.0.0.1", owner="an earlier process")
        await repo.create(job)
        await repo.finish(job.id, JobStatus.DONE, at=time.time(), progress=JobProgress(),
                          report_json=report_json, valid=False, truncated=False,
                          verdict="invalid", complete=True)
    finally:
        await repo.close()
    return job.id


def _memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def test_service_streams_six_large_reports_at_once(tmp_path: Path, big_report: Report) -> None:
    """Measured: six concurrent SARIF downloads of a 20k-finding report raised the service's
    peak RSS from 97 to 1092 MB when each was built whole; streamed, to 219 MB. A JSON
    download is the stored text read from SQLite a part at a time (peak unchanged)."""
    stored = "".join(iter_json(big_report.to_lazy_dict()))
    job_id = asyncio.run(_store(tmp_path / "jobs.sqlite3", stored))
    expected_sarif = REPORTERS["sarif"]().render(Report.from_dict(json.loads(stored))).encode()
    service = ServiceProcess({"OME_ZARR_VALIDATOR_DATABASE": str(tmp_path / "jobs.sqlite3"),
                              "OME_ZARR_VALIDATOR_RATE_LIMIT": "10000"},
                             tmp_path / "service.log").start()
    try:
        assert service.proc is not None
        url = f"/v1/jobs/{job_id}/report"
        with service.client() as client:  # the first render imports what rendering needs
            assert client.get(url, params={"format": "text"}).status_code == 200
        before = _memory(service.proc.pid)

        def download(fmt: str) -> tuple[int, dict[str, str], bytes]:
            with service.client() as client:
                response = client.get(url, params={"format": fmt})
                return response.status_code, dict(response.headers), response.content

        with ThreadPoolExecutor(6) as pool:
            sarifs = list(pool.map(download, ["sarif"] * 6))
        after = _memory(service.proc.pid)
        for status, headers, body in sarifs:
            assert status == 200
            assert headers["content-type"] == "application/sarif+json"
            assert body == expected_sarif
        assert len(expected_sarif) > 20 * 1024 * 1024
        # Generous (streamed: +122 MB; built whole: +995 MB).
        assert after["VmHWM"] - before["VmHWM"] < 400, (before, after)

        with ThreadPoolExecutor(6) as pool:
            jsons = list(pool.map(download, ["json"] * 6))
        for status, headers, body in jsons:
            assert status == 200 and headers["content-type"] == "application/json"
            assert headers["content-length"] == str(len(stored))
            assert body == stored.encode()  # the stored text, byte for byte
        assert _memory(service.proc.pid)["VmHWM"] - after["VmHWM"] < 100
    finally:
        service.stop()
    assert "Traceback" not in (tmp_path / "service.log").read_text()


async def test_stored_report_is_read_in_parts_and_not_after_deletion(tmp_path: Path) -> None:
    text = '{"findings": ["\u00e9' + "x" * 1000 + '"]}'
    job_id = await _store(tmp_path / "jobs.sqlite3", text)
    repo = SqliteJobRepository(tmp_path / "jobs.sqlite3")
    await repo.open()
    try:
        size = await repo.report_size(job_id)
        assert size == len(text.encode())
        parts = [await repo.read_report(job_id, offset, 100) for offset in range(0, size, 100)]
        assert b"".join(p or b"" for p in parts).decode() == text
        assert await repo.read_report(job_id, size + 5, 100) == b""
        unfinished = Job(id=Job.new_id(), url="http://127.0.0.1:9/x.zarr", ngff_version=None,
                         strict=False, client="c", owner="o")
        await repo.create(unfinished)
        assert await repo.report_size(unfinished.id) is None
        assert await repo.read_report(unfinished.id, 0, 10) is None
        assert await repo.delete(job_id)
        assert await repo.read_report(job_id, 0, 100) is None
        assert await repo.report_size("nope") is None
    finally:
        await repo.close()
