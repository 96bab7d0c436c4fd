"""Speed features: consolidated metadata, streaming, triage options, politeness.

No timed tests here (the benchmarks under bench/ measure speed); request counts, what was
read, what was reported, and what the test server saw.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.casekit import plate_tree
from tests.cases._gen_consolidated import consolidate, copies
from tests.rule_cases import materialize
from validator import CouldNotValidate, Finding, Progress, Report, aiter_validate, validate
from validator.limiter import Limiter
from validator.testing.dataserver import DataServer

RULE = "zarr.consolidated.matches"
VERSIONS = ("0.4", "0.5")


def group_file(version: str) -> str:
    return "zarr.json" if version == "0.5" else ".zattrs"


def make_plate(root: Path, version: str, *, consolidated: bool = False, rows: int = 2,
               columns: int = 3, fields: int = 2) -> Path:
    tree = plate_tree(version, rows=rows, columns=columns, fields=fields)
    if consolidated:
        tree = consolidate(tree, version)
    return materialize(tree, root / f"plate-{version}{'-c' if consolidated else ''}.zarr")


def findings(report: Report) -> list[tuple[str, str, str, str, str]]:
    return sorted((f.rule, f.severity.value, f.node, f.document, f.pointer)
                  for f in report.findings)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DataServer]:
    with DataServer(tmp_path) as s:
        yield s


# -- consolidated metadata ---------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_consolidated_metadata_is_one_request(tmp_path: Path, server: DataServer,
                                              version: str) -> None:
    root = make_plate(tmp_path, version, consolidated=True)
    report = validate(server.url_for(root.name))
    stats = server.stats
    if version == "0.5":
        assert stats.requests == 1  # the root zarr.json holds everything
        assert stats.paths == {f"{root.name}/zarr.json": 1}
    else:
        # zarr.json (format: 404), then .zmetadata beside the root's .zgroup and .zattrs.
        assert stats.requests == 4 and stats.not_found == 1
        assert set(stats.paths) == {f"{root.name}/{n}" for n in
                                    ("zarr.json", ".zmetadata", ".zgroup", ".zattrs")}
    assert report.valid, report.errors
    server.reset_stats()
    plain = validate(server.url_for(root.name), consolidated=False)
    assert server.stats.requests > 30
    # The same findings and nodes as reading every document.
    assert findings(report) == findings(plain)
    assert report.nodes == plain.nodes
    extra = 1 if version == "0.4" else 0  # .zmetadata is a document too
    assert report.stats.documents == plain.stats.documents + extra
    assert report.stats.requests == stats.requests


@pytest.mark.parametrize("version", VERSIONS)
def test_verify_consolidated_reports_each_disagreement(tmp_path: Path, server: DataServer,
                                                       version: str) -> None:
    root = make_plate(tmp_path, version, consolidated=True)
    # After consolidating: a well changes on disk, and a field's level 1 disappears.
    well_doc = root / "A" / "2" / group_file(version)
    doc = json.loads(well_doc.read_text())
    ome = doc["attributes"]["ome"] if version == "0.5" else doc
    ome["well"]["images"][0]["acquisition"] = 7
    well_doc.write_text(json.dumps(doc))
    shutil.rmtree(root / "B" / "1" / "0" / "1")

    quick = validate(server.url_for(root.name))  # reads the copy: sees none of it
    assert not [f for f in quick.findings if f.rule == RULE]
    assert not quick.errors

    server.reset_stats()
    report = validate(server.url_for(root.name), verify_consolidated=True)
    mismatches = {(f.node, f.document, f.pointer) for f in report.findings if f.rule == RULE}
    base = "/attributes/ome" if version == "0.5" else ""
    level = "zarr.json" if version == "0.5" else ".zarray"
    assert mismatches == {
        ("A/2", group_file(version), f"{base}/well/images/0/acquisition"),
        ("B/1/0/1", level, ""),
    }
    assert all(f.severity.value == "warning" for f in report.findings if f.rule == RULE)
    # The real documents are the ones checked: the missing level is an error of the image.
    assert ("multiscales.datasets.path-exists", "B/1/0") in {(f.rule, f.node)
                                                            for f in report.errors}
    # Every document was read as well as the copy.
    assert server.stats.requests > 30


@pytest.mark.parametrize("version", VERSIONS)
def test_a_node_missing_from_the_copy_is_read_and_reported(tmp_path: Path, server: DataServer,
                                                           version: str) -> None:
    root = make_plate(tmp_path, version, consolidated=True)
    tree_file = root / (".zmetadata" if version == "0.4" else "zarr.json")
    data = json.loads(tree_file.read_text())
    wrapper = {".zmetadata": data} if version == "0.4" else {"zarr.json": data}
    gone = "A/1/.zattrs" if version == "0.4" else "A/1"
    del copies(wrapper, version)[gone]
    tree_file.write_text(json.dumps(data))

    report = validate(server.url_for(root.name))
    assert report.valid, report.errors
    assert [(f.node, f.document) for f in report.findings if f.rule == RULE] == [
        ("A/1", group_file(version))]
    assert server.stats.paths[f"{root.name}/A/1/{group_file(version)}"] == 1
    assert report.nodes["well"] == 6  # the well was still checked


@pytest.mark.parametrize("version", VERSIONS)
def test_unusable_consolidated_metadata_is_reported_and_ignored(
        tmp_path: Path, server: DataServer, version: str) -> None:
    root = make_plate(tmp_path, version)
    if version == "0.4":
        (root / ".zmetadata").write_text(json.dumps({"metadata": 5,
                                                     "zarr_consolidated_format": 1}))
    else:
        doc = json.loads((root / "zarr.json").read_text())
        doc["consolidated_metadata"] = {"kind": "elsewhere", "metadata": {}}
        (root / "zarr.json").write_text(json.dumps(doc))
    report = validate(server.url_for(root.name))
    found = [(f.node, f.document, f.pointer) for f in report.findings if f.rule == RULE]
    assert found == ([("", ".zmetadata", "")] if version == "0.4"
                     else [("", "zarr.json", "/consolidated_metadata")])
    assert report.nodes["well"] == 6 and report.nodes["array"] == 24
    assert server.stats.requests > 30  # every document read


def test_cli_consolidated_flags(tmp_path: Path) -> None:
    root = make_plate(tmp_path, "0.5", consolidated=True)
    (root / "A" / "1" / "zarr.json").unlink()  # gone from disk, still in the copy

    def run(*flags: str) -> dict[str, Any]:
        result = subprocess.run([sys.executable, "-m", "validator.cli", str(root), "--format",
                                 "json", *flags], capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode in (0, 1), result.stderr
        report: dict[str, Any] = json.loads(result.stdout)
        return report

    def rules(report: dict[str, Any]) -> set[tuple[str, str]]:
        return {(f["rule"], f["node"]) for f in report["findings"]}

    assert (RULE, "A/1") not in rules(run())
    assert report_requests(run()) == 1
    verified = run("--verify-consolidated")
    assert (RULE, "A/1") in rules(verified)
    assert ("plate.wells.exist", "") in rules(verified)
    ignored = run("--no-consolidated")
    assert (RULE, "A/1") not in rules(ignored)
    assert ("plate.wells.exist", "") in rules(ignored)


def report_requests(report: dict[str, Any]) -> int:
    return int(report["stats"]["requests"])


# -- streaming ---------------------------------------------------------------------------------


async def test_aiter_validate_streams_progress_and_findings_then_the_report(
        tmp_path: Path) -> None:
    root = make_plate(tmp_path, "0.5", rows=3, columns=4)
    ome_of_well = json.loads((root / "B" / "2" / "zarr.json").read_text())
    ome_of_well["attributes"]["ome"]["well"]["images"][1]["path"] = "9"  # a missing field
    (root / "B" / "2" / "zarr.json").write_text(json.dumps(ome_of_well))
    events: list[Any] = []
    with DataServer(tmp_path, delay=0.005) as server:
        async for event in aiter_validate(server.url_for(root.name), concurrency=4):
            events.append(event)
    report = events[-1]
    assert isinstance(report, Report)
    assert not any(isinstance(e, Report) for e in events[:-1])
    progress = [e for e in events if isinstance(e, Progress)]
    streamed = [e for e in events if isinstance(e, Finding)]
    assert len(progress) >= 2
    assert [p.documents for p in progress] == sorted(p.documents for p in progress)
    assert progress[-1].documents == report.stats.documents
    # Every finding was streamed, and the first ones before the walk ended.
    assert sorted(streamed, key=Finding.sort_key) == report.findings
    first = events.index(streamed[0])
    assert any(isinstance(e, Progress) for e in events[first + 1:])
    assert ("well.images.exist", "B/2") in {(f.rule, f.node) for f in streamed}


async def test_leaving_the_stream_early_stops_the_walk(tmp_path: Path) -> None:
    root = make_plate(tmp_path, "0.5", rows=4, columns=6)
    with DataServer(tmp_path, delay=0.02) as server:
        stream = aiter_validate(server.url_for(root.name), concurrency=2)
        async for event in stream:
            if isinstance(event, Progress) and event.documents >= 3:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        seen = server.stats.requests
        await asyncio.sleep(0.2)
        assert server.stats.requests <= seen + 2  # nothing more is asked for
    assert seen < 150


async def test_aiter_validate_raises_could_not_validate(tmp_path: Path) -> None:
    root = materialize({".zgroup": {"zarr_format": 2}}, tmp_path / "plain.zarr")
    with pytest.raises(CouldNotValidate):
        async for _ in aiter_validate(str(root)):
            pass


def test_cli_progress_line_is_driven_by_the_stream(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from validator import cli

    root = make_plate(tmp_path, "0.5")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err, out = Tty(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    assert cli.run([str(root), "--format", "json"]) == 0
    assert "fetched " in err.getvalue() and "documents" in err.getvalue()
    assert err.getvalue().endswith("\r\x1b[K")  # cleared at the end
    assert json.loads(out.getvalue())["valid"] is True


# -- triage ------------------------------------------------------------------------------------


def test_default_walk_is_full(tmp_path: Path) -> None:
    report = validate(str(make_plate(tmp_path, "0.5")))
    assert report.skipped == [] and not report.truncated
    assert report.nodes["well"] == 6 and report.nodes["image"] == 12


@pytest.mark.parametrize("version", VERSIONS)
def test_sample_wells_checks_n_evenly_spread_wells(tmp_path: Path, server: DataServer,
                                                   version: str) -> None:
    root = make_plate(tmp_path, version, rows=4, columns=6)
    report = validate(server.url_for(root.name), sample_wells=3)
    wells_read = {p.split("/", 1)[1].rsplit("/", 1)[0] for p in server.stats.paths
                  if p.count("/") == 3 and p.endswith(group_file(version))}
    assert wells_read == {"A/1", "C/1", "D/6"}  # first, middle (index 12), last of the 24
    assert report.nodes["well"] == 3 and report.nodes["image"] == 6
    assert report.valid and not report.truncated, report.findings
    assert not [f for f in report.findings if f.rule in ("plate.wells.exist",
                                                         "plate.field-count.matches-wells")]
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith("plate /: 21 of 24 wells not checked (--sample-wells 3")
    assert report.skipped[0].endswith("only these were checked: A/1, C/1, D/6")


def test_sample_wells_concludes_nothing_from_the_wells_not_checked(tmp_path: Path) -> None:
    root = make_plate(tmp_path, "0.5")
    doc = json.loads((root / "zarr.json").read_text())
    doc["attributes"]["ome"]["plate"]["field_count"] = 3  # no well has 3 fields
    (root / "zarr.json").write_text(json.dumps(doc))
    rule = "plate.field-count.matches-wells"
    assert rule in {f.rule for f in validate(str(root)).findings}
    # A sample cannot tell: an unchecked well might have 3 fields.
    assert rule not in {f.rule for f in validate(str(root), sample_wells=2).findings}


def test_sample_wells_lists_the_skipped_when_they_are_fewer(tmp_path: Path) -> None:
    report = validate(str(make_plate(tmp_path, "0.5", rows=2, columns=3)), sample_wells=5)
    assert report.nodes["well"] == 5
    assert report.skipped == ["plate /: 1 of 6 wells not checked (--sample-wells 5: evenly "
                              "spread, first and last included); not checked: B/1"]
    whole = validate(str(make_plate(tmp_path, "0.4")), sample_wells=6)
    assert whole.skipped == [] and whole.nodes["well"] == 6


@pytest.mark.parametrize("version", VERSIONS)
def test_fields_first_checks_one_field_per_well(tmp_path: Path, server: DataServer,
                                                version: str) -> None:
    root = make_plate(tmp_path, version, fields=3)
    report = validate(server.url_for(root.name), fields="first")
    fields_read = {p.split("/")[3] for p in server.stats.paths if p.count("/") == 4
                   and p.endswith(group_file(version))}
    assert fields_read == {"0"}
    assert report.nodes["image"] == 6 and report.nodes["well"] == 6
    assert report.valid, report.findings
    assert report.skipped == ["fields: 12 field images not checked (--fields first: only the "
                              "first field listed by each well); 6 wells have more than one "
                              "field"]


def test_cli_triage_flags(tmp_path: Path) -> None:
    root = make_plate(tmp_path, "0.4", rows=3, columns=3)
    result = subprocess.run([sys.executable, "-m", "validator.cli", str(root), "--format", "json",
                             "--sample-wells", "2", "--fields", "first"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nodes"]["well"] == 2 and report["nodes"]["image"] == 2
    assert len(report["skipped"]) == 2
    text = subprocess.run([sys.executable, "-m", "validator.cli", str(root), "--sample-wells",
                           "2"], capture_output=True, text=True, timeout=120, check=False)
    assert "not checked: plate /: 7 of 9 wells not checked" in text.stdout
    bad = subprocess.run([sys.executable, "-m", "validator.cli", str(root), "--sample-wells",
                          "0"], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "sample_wells" in bad.stderr


# -- politeness --------------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [1, 3, 8])
def test_the_cap_on_requests_in_flight_holds(tmp_path: Path, cap: int) -> None:
    root = make_plate(tmp_path, "0.5", rows=3, columns=4)
    with DataServer(tmp_path, delay=0.02) as server:
        report = validate(server.url_for(root.name), concurrency=cap)
        stats = server.stats
    assert report.valid
    assert stats.max_in_flight <= cap
    if cap > 1:
        assert stats.max_in_flight >= 2  # and it is used: requests overlap


def test_the_default_cap_holds_against_a_slow_server(tmp_path: Path) -> None:
    from validator.options import DEFAULT_CONCURRENCY

    root = make_plate(tmp_path, "0.5", rows=8, columns=12)
    with DataServer(tmp_path, delay=0.02) as server:
        report = validate(server.url_for(root.name))
        stats = server.stats
    assert report.valid
    assert stats.requests == report.stats.requests
    assert stats.max_in_flight <= DEFAULT_CONCURRENCY


def _logging_routes(server: DataServer, root: Path, special: dict[str, Any],
                    log: list[tuple[float, str, int]]) -> None:
    """Answer every document of ``root`` through a handler that logs (time, path, status)."""

    def handler_for(rel: str) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            maker = special.get(rel)
            response = maker() if maker is not None else None
            if response is None:
                response = server.file_response(request, rel)
            log.append((time.monotonic(), rel, response.status))
            return response

        return handler

    for path in root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(server.root).as_posix()
            server.routes[rel] = handler_for(rel)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pauses_every_request_to_the_server(tmp_path: Path, status: int) -> None:
    root = make_plate(tmp_path, "0.5", rows=3, columns=4)
    log: list[tuple[float, str, int]] = []
    answered = [False]

    def once() -> web.Response | None:
        if answered[0]:
            return None
        answered[0] = True
        return web.Response(status=status, headers={"Retry-After": "1"})

    with DataServer(tmp_path) as server:
        _logging_routes(server, root, {f"{root.name}/B/2/zarr.json": once}, log)
        report = validate(server.url_for(root.name), concurrency=8)
    assert report.valid, report.findings
    refused = [t for t, _, s in log if s == status]
    assert len(refused) == 1
    retried = [t for t, p, s in log if p.endswith("B/2/zarr.json") and s == 200]
    assert retried and retried[0] - refused[0] >= 0.95  # the one asked to wait waited
    # ... and so did every other request: none arrived during the pause (requests already
    # on their way when the answer went out may arrive just after it).
    during = [t - refused[0] for t, _, _ in log if 0.2 < t - refused[0] < 0.95]
    assert during == []


def test_retry_after_as_an_http_date(tmp_path: Path) -> None:
    import email.utils

    root = make_plate(tmp_path, "0.5", rows=1, columns=2, fields=1)
    log: list[tuple[float, str, int]] = []
    answered = [False]

    def once() -> web.Response | None:
        if answered[0]:
            return None
        answered[0] = True
        when = email.utils.formatdate(time.time() + 2, usegmt=True)
        return web.Response(status=503, headers={"Retry-After": when})

    with DataServer(tmp_path) as server:
        _logging_routes(server, root, {f"{root.name}/zarr.json": once}, log)
        report = validate(server.url_for(root.name))
    assert report.valid
    assert log[1][0] - log[0][0] >= 0.9  # HTTP dates have one-second resolution


# -- local files -------------------------------------------------------------------------------


def test_local_reads_move_to_threads_when_the_file_system_is_slow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from validator import stores

    root = make_plate(tmp_path, "0.4")
    fast = validate(str(root))
    monkeypatch.setattr(stores, "SLOW_LOCAL_READ", -1.0)  # every read looks slow
    opened = stores.open_store(str(root), stores.Options())
    assert isinstance(opened, stores.FsspecStore) and opened._inline

    async def two_reads() -> None:
        assert await opened.get(".zgroup") is not None
        assert not opened._inline  # switched after the first read
        assert await opened.get(".zattrs") is not None
        assert await opened.get("nothing/.zattrs") is None

    asyncio.run(two_reads())
    slow = validate(str(root))
    assert findings(slow) == findings(fast) and slow.nodes == fast.nodes


# -- the limiter -------------------------------------------------------------------------------


async def test_limiter_never_exceeds_its_limit_and_survives_cancellation() -> None:
    limiter = Limiter(3)
    peak = 0

    async def hold(seconds: float) -> None:
        nonlocal peak
        async with limiter.slot():
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(seconds)

    tasks = [asyncio.ensure_future(hold(0.01 * (i % 3))) for i in range(30)]
    await asyncio.sleep(0)
    tasks[10].cancel()
    tasks[20].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert peak == 3 == limiter.max_in_flight
    assert limiter.in_flight == 0
    async with limiter.slot():  # every slot came back
        assert limiter.in_flight == 1


def test_adaptive_limiter_halves_on_throttling_and_grows_while_latency_is_flat() -> None:
    limiter = Limiter(256, adaptive=True)
    assert limiter.limit == 64  # starts polite
    limiter.floor = 4

    def window(latency: float, *, waited: bool = True, throttled: bool = False) -> None:
        n = max(limiter.limit, 8)
        for i in range(n):
            limiter.in_flight += 1
            limiter._waited |= waited
            limiter.release(latency, throttled=throttled and i == n - 1)

    window(0.020)  # the first window sets the baseline
    assert limiter.limit == 64
    window(0.021)
    assert limiter.limit == 96  # flat latency, requests waited: grow by half
    for _ in range(5):
        window(0.020)
    assert limiter.limit == 256  # ... up to the ceiling, never beyond
    window(0.020, throttled=True)
    assert limiter.limit == 128
    window(0.080)  # the server queues our requests: back off by a quarter
    assert limiter.limit == 96
    window(0.020, waited=False)  # nobody waited for a slot: no reason to grow
    assert limiter.limit == 96
    for _ in range(20):
        window(0.5, throttled=True)
    assert limiter.limit == 4  # the floor
    assert [why for _, _, why in limiter.history][:2] == ["latency flat", "latency flat"]


def test_fixed_limiter_does_not_adapt() -> None:
    limiter = Limiter(16)
    for _ in range(100):
        limiter.in_flight += 1
        limiter.release(5.0, throttled=True)
    assert limiter.limit == 16 and limiter.history == []


def test_options_check_triage_values() -> None:
    from validator import Options

    with pytest.raises(ValueError):
        Options(sample_wells=0)
    with pytest.raises(ValueError):
        Options(fields="some")
    assert Options().adaptive and Options().consolidated and not Options().verify_consolidated
