"""The standing fault suite: every fault of ``tests/faultserver.py`` driven through the library,
the command line and the service, asserting a finding (or a valid report when the fault was
transient: nothing lost, or "could not validate" where the target is not one), never a
traceback, never a 5xx, in bounded time and memory (RSS measured in the CLI subprocess).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clirun import CLI_WITH_PEAK_RSS, peak_rss_kb
from tests.faultserver import ARRAY, FAULTS, Fault, fault_server
from tests.test_api_support import EgressGuard, ServiceThread, is_problem, settings_for
from validator.engine import avalidate
from validator.errors import CouldNotValidate
from validator.options import MiB, Options
from validator.testing.dataserver import DataServer

ROOT = Path(__file__).resolve().parent.parent
#: Per fault, through any door; the slowest (drip, 100k wells) take a few seconds.
SECONDS = 60.0
#: Peak RSS of a CLI run on any fault (the 100k-well plate is the largest).
RSS_LIMIT_MB = 700
OPTIONS = {"timeout": 1.0, "retries": 1, "max_document_bytes": 2 * MiB,
           "max_consolidated_bytes": 16 * MiB}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataServer]:
    with EgressGuard() as guard:
        srv = fault_server(tmp_path_factory.mktemp("faults"))
        yield srv
        srv.stop()
        assert guard.blocked == []


#: The 100k-well plate is 100k documents to read: a deadline stops it (and must be met).
DEADLINE = 5.0


def _url(server: DataServer, name: str) -> str:
    return server.url_for(f"{name}.zarr") + FAULTS[name].query


def _options(name: str) -> dict[str, Any]:
    return {**OPTIONS, "deadline": DEADLINE} if FAULTS[name].incomplete else OPTIONS


def _check_report(name: str, report: dict[str, Any]) -> None:
    fault = FAULTS[name]
    findings = report["findings"]
    if fault.incomplete:
        assert report["truncated"] and not report["complete"], (name, report["skipped"])
        assert report["verdict"] != "valid"
        return
    if fault.valid:
        assert report["valid"], (name, findings[:5])
        assert report["stats"]["documents"] == 3, (name, report["stats"])  # nothing lost
        return
    assert fault.rule is not None
    matching = [f for f in findings if f["rule"] == fault.rule and f["node"] == fault.node]
    assert matching, (name, [(f["rule"], f["node"], f["message"][:80]) for f in findings[:8]])
    assert fault.words in matching[0]["message"], (name, matching[0]["message"][:300])
    assert not report["valid"], name
    assert not any(f["rule"] == "engine.rule-crashed" for f in findings), name


# -- the library --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FAULTS))
def test_library(name: str, server: DataServer) -> None:
    started = time.monotonic()
    try:
        report = asyncio.run(avalidate(_url(server, name), options=Options(**_options(name))))
    except CouldNotValidate as exc:
        assert FAULTS[name].refused, (name, str(exc))
        assert FAULTS[name].words in str(exc), (name, str(exc))
    else:
        assert not FAULTS[name].refused, name
        _check_report(name, report.to_dict())
    limit = DEADLINE + 10 if FAULTS[name].incomplete else SECONDS  # the deadline is met
    assert time.monotonic() - started < limit


# -- the command line ---------------------------------------------------------------------------


def _cli(name: str, url: str) -> tuple[int, dict[str, Any] | None, str, int, float]:
    started = time.monotonic()
    deadline = ["--deadline", str(DEADLINE)] if FAULTS[name].incomplete else []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CLI_WITH_PEAK_RSS, url, "--format", "json", "--no-progress",
         "--timeout", "1", "--retries", "1", "--max-document-size", str(2 * MiB), *deadline],
        capture_output=True, text=True, timeout=SECONDS * 2, env=env, check=False)
    seconds = time.monotonic() - started
    found = peak_rss_kb(done.stderr)
    rss = -1 if found is None else found
    # A report is printed for valid (0), invalid (1) and incomplete (2) outcomes; a refusal
    # (could not validate, also 2) prints none.
    report = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, report, done.stderr, rss, seconds


def test_command_line(server: DataServer) -> None:
    names = list(FAULTS)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = dict(zip(names, pool.map(lambda n: _cli(n, _url(server, n)), names),
                           strict=True))
    peak = {}
    for name, (code, report, stderr, rss, seconds) in results.items():
        assert "Traceback" not in stderr, (name, stderr[-2000:])
        assert rss > 0, (name, stderr[-500:])
        peak[name] = rss // 1024
        if FAULTS[name].refused:
            assert code == 2, (name, code, stderr[-500:])
            assert FAULTS[name].words in stderr, (name, stderr[-500:])
            continue
        # An incomplete report exits 2 (a violation found before the stop: 1).
        expected = (1, 2) if FAULTS[name].incomplete else (0, 1)
        assert code in expected, (name, code, stderr[-1000:])
        assert report is not None
        _check_report(name, report)
        assert seconds < SECONDS, (name, seconds)
    assert max(peak.values()) < RSS_LIMIT_MB, peak


# -- the service --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(server: DataServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[ServiceThread]:
    settings = settings_for(
        tmp_path_factory.mktemp("fault-service"), allowed_hosts=[f"127.0.0.1:{server.port}"],
        request_timeout=1.0, request_retries=1, validate_wait=SECONDS, rate_limit=10_000,
        max_jobs_per_client=100, job_deadline=DEADLINE)
    with ServiceThread.create(settings) as svc:
        yield svc


def test_service(server: DataServer, service: ServiceThread) -> None:
    def post(name: str) -> tuple[str, httpx.Response]:
        with httpx.Client(base_url=service.url, timeout=SECONDS * 2, trust_env=False) as client:
            return name, client.post("/v1/validate", json={"url": _url(server, name)})

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, FAULTS))
    for name, response in answers:
        assert response.status_code < 500, (name, response.text[:500])
        if FAULTS[name].refused:
            problem = is_problem(response, 422)
            assert problem["type"] == "/problems/could-not-validate", problem
            assert FAULTS[name].words in problem["detail"], problem
            continue
        assert response.status_code == 200, (name, response.status_code, response.text[:500])
        _check_report(name, response.json())


def test_faults_are_what_they_claim(server: DataServer) -> None:
    """The fixture itself: a fault that is not injected would make the suite pass vacuously."""
    with httpx.Client(timeout=10, trust_env=False) as client:
        assert client.get(server.url_for("server-error.zarr/0/zarr.json")).status_code == 500
        assert client.get(server.url_for("token.zarr/zarr.json")).status_code == 403
        loop = client.get(server.url_for("redirect-loop.zarr/0/zarr.json"))
        assert loop.status_code == 302
        assert client.get(server.url_for("plate-100k.zarr/zarr.json")).content.count(
            b'"path"') == 100_000
    assert isinstance(FAULTS["drip"], Fault)


def test_only_what_may_change_is_tried_again(server: DataServer) -> None:
    """Issue 14, reproduction 10: a reset mid-body or a truncated body was tried 4 times (~4 s
    per document). With --retries 1: a 500 and a reset before the body are tried twice; a
    body cut off after its first byte once."""
    server.reset_stats()
    for name in ("server-error", "reset-mid-body", "truncated", "drip"):
        asyncio.run(avalidate(_url(server, name), options=Options(**OPTIONS)))
    paths = server.stats.paths
    assert paths[f"server-error.zarr/{ARRAY}"] == 2
    assert paths[f"reset-mid-body.zarr/{ARRAY}"] == 1
    assert paths[f"truncated.zarr/{ARRAY}"] == 1
    assert paths[f"drip.zarr/{ARRAY}"] == 1  # bytes came, then too slowly: not a transient


def test_html_report_has_a_csp_and_nosniff(server: DataServer, service: ServiceThread) -> None:
    """Issue 14, reproduction 9: report downloads lacked nosniff, the HTML report a CSP."""
    with service.client() as client:
        response = client.post("/v1/validate", json={"url": _url(server, "html")})
        assert response.status_code == 200
        job = response.headers["content-location"]
        for fmt in ("html", "sarif", "json", "text"):
            report = client.get(f"{job}/report", params={"format": fmt})
            assert report.status_code == 200, report.text[:300]
            assert report.headers["x-content-type-options"] == "nosniff", fmt
        html = client.get(f"{job}/report", params={"format": "html"})
        csp = html.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp


def test_signed_per_object_urls_are_explained(server: DataServer, service: ServiceThread
                                              ) -> None:
    """Issue 14, reproduction 8: a token query is kept on every read (the "token" fault);
    a URL signed for one object cannot work, and the message says why."""
    url = server.url_for("ok-image.zarr") + "?X-Amz-Signature=abc&X-Amz-Expires=60"
    with pytest.raises(CouldNotValidate, match="signed for one object"):
        asyncio.run(avalidate(url, options=Options(**OPTIONS)))
    with service.client() as client:
        problem = is_problem(client.post("/v1/validate", json={"url": url}), 422)
    assert "signed for one object" in problem["detail"]
