"""The HTTP service, for real: uvicorn on 127.0.0.1, a real data server, a real SQLite file.

Covers the endpoints (validate, jobs, reports, meta), the report being the library's, job
progress and cancellation, problem documents for every error, rate and job limits, settings.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.models import ReportOut
from api.settings import Settings, env_name
from tests.casekit import image_tree, ome_of, plate_tree
from tests.datasets import DatasetSpec, S3Server, dataset_params
from tests.rule_cases import materialize
from tests.test_api_support import ServiceThread, is_problem, settings_for, wait_for
from validator import cli
from validator.provenance import rules_hash
from validator.reporters import REPORTERS
from validator.rules import RULES
from validator.testing.dataserver import DataServer

ROOT = Path(__file__).resolve().parents[1]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its timing (stats and provenance)."""
    out = dict(report)
    out["stats"] = {k: v for k, v in report["stats"].items() if k != "seconds"}
    out["provenance"] = {k: v for k, v in report["provenance"].items()
                         if k not in ("started_at", "duration")}
    return out


def cli_json(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """What ``ome-zarr-validate URL --format json`` prints."""
    capsys.readouterr()
    code = cli.run([url, "--format", "json", "--no-progress", *args])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == (0 if report["valid"] else 1)
    return report


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small datasets of our own: valid and broken images and plates."""
    root = tmp_path_factory.mktemp("api-trees")
    materialize(image_tree("0.5"), root / "image-0.5.zarr")
    materialize(image_tree("0.4"), root / "image-0.4.zarr")
    materialize(plate_tree("0.4"), root / "plate-0.4.zarr")
    broken = plate_tree("0.5")
    del broken["A/1/0/zarr.json"]
    ome_of(broken, "B/2", "0.5")["well"]["images"].append({"path": "../../escape"})
    materialize(broken, root / "broken-plate-0.5.zarr")
    slow = plate_tree("0.5", rows=4, columns=6)
    materialize(slow, root / "slow-plate-0.5.zarr")
    return root


@pytest.fixture(scope="module")
def data(trees: Path) -> Iterator[DataServer]:
    with DataServer(trees) as server:
        yield server


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, data: DataServer,
            http_server: DataServer) -> Iterator[ServiceThread]:
    tmp = tmp_path_factory.mktemp("api-service")
    settings = settings_for(tmp, allowed_hosts=[f"127.0.0.1:{data.port}",
                                                f"127.0.0.1:{http_server.port}"],
                            host_concurrency=4, rate_limit=10_000)
    with ServiceThread.create(settings) as svc:
        yield svc


@pytest.fixture
def client(service: ServiceThread) -> Iterator[httpx.Client]:
    with service.client() as c:
        yield c


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[Callable[..., ServiceThread]]:
    """Start a private service with particular settings (stopped after the test)."""
    started: list[ServiceThread] = []

    def start(**overrides: Any) -> ServiceThread:
        svc = ServiceThread.create(settings_for(tmp_path / f"svc{len(started)}", **overrides))
        started.append(svc.start())
        return svc

    yield start
    for svc in started:
        svc.stop()


# -- the report is the library's -------------------------------------------------------------


@pytest.mark.parametrize("spec", dataset_params())
def test_writer_datasets_same_report_as_the_cli(
    spec: DatasetSpec, client: httpx.Client, http_server: DataServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = http_server.url_for(spec.id)
    response = client.post("/v1/validate", json={"url": url})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    report = response.json()
    ReportOut.model_validate(report)
    assert comparable(report) == comparable(cli_json(url, capsys))
    assert report["valid"] == (not any(i.level == "MUST" for i in spec.known_issues))


def test_ngff_version_06_is_accepted(client: httpx.Client, http_server: DataServer) -> None:
    url = http_server.url_for("ngff-zarr-0.6-scene")
    response = client.post("/v1/validate", json={"url": url, "ngff_version": "0.6"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["verdict"], report["ngff_version"]) == ("valid", "0.6")
    assert report["nodes"]["scene"] == 1 and report["nodes"]["image"] == 2


@pytest.mark.parametrize(("name", "options"), [
    ("image-0.5.zarr", {}),
    ("image-0.4.zarr", {"strict": True}),
    ("plate-0.4.zarr", {"ngff_version": "0.4"}),
    ("broken-plate-0.5.zarr", {}),
    ("broken-plate-0.5.zarr", {"strict": True}),
])
def test_own_trees_same_report_as_the_cli(
    name: str, options: dict[str, Any], client: httpx.Client, data: DataServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = data.url_for(name)
    report = client.post("/v1/validate", json={"url": url, **options}).json()
    args = ["--strict"] if options.get("strict") else []
    if "ngff_version" in options:
        args += ["--ngff-version", options["ngff_version"]]
    assert comparable(report) == comparable(cli_json(url, capsys, *args))
    if name.startswith("broken"):
        rules = {f["rule"] for f in report["findings"]}
        assert "hierarchy.path.escapes-root" in rules, rules
        assert not report["valid"]


def test_s3_dataset_through_the_configured_endpoint(
    s3_server: S3Server, start_service: Callable[..., ServiceThread],
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = s3_server.endpoint_url.rsplit(":", 1)[1]
    svc = start_service(s3_endpoint_url=s3_server.endpoint_url,
                        allowed_hosts=[f"127.0.0.1:{port}"])
    dataset = "ome-zarr-py-0.5-image-2d"
    with svc.client() as c:
        response = c.post("/v1/validate", json={"url": s3_server.url(dataset)})
        assert response.status_code == 200, response.text
        report = response.json()
        # Users cannot pick endpoints or credentials: storage options are not accepted.
        refused = c.post("/v1/validate", json={
            "url": s3_server.url(dataset),
            "storage_options": {"client_kwargs": {"endpoint_url": "http://10.0.0.1"}}})
        assert is_problem(refused, 422)["type"] == "/problems/invalid-request"
    library = cli_json(s3_server.url(dataset), capsys, "--storage-option", "anon=true",
                       "--storage-option", f"client_kwargs.endpoint_url={s3_server.endpoint_url}")
    assert report["findings"] == library["findings"]
    assert report["valid"] == library["valid"]


# -- jobs -------------------------------------------------------------------------------------


def test_job_lifecycle_and_report_formats(client: httpx.Client, data: DataServer,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = data.url_for("broken-plate-0.5.zarr")
    created = client.post("/v1/jobs", json={"url": url})
    assert created.status_code == 202, created.text
    body = created.json()
    assert set(body) == {"id", "status", "status_url"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert created.headers["location"] == body["status_url"]
    assert body["status_url"].endswith(f"/v1/jobs/{body['id']}")
    job = wait_for(client, body["id"])
    assert job["status"] == "done"
    assert job["valid"] is False and job["truncated"] is False
    assert job["error"] is None
    assert job["progress"]["documents"] == job["report"]["stats"]["documents"]
    assert job["progress"]["findings"] == len(job["report"]["findings"])
    assert comparable(job["report"]) == comparable(cli_json(url, capsys))
    for stamp in ("created_at", "started_at", "finished_at"):
        assert job[stamp].endswith("Z")

    without = client.get(f"/v1/jobs/{body['id']}", params={"include_report": "false"}).json()
    assert without["report"] is None and without["status"] == "done"

    for name, reporter in REPORTERS.items():
        response = client.get(job["report_url"], params={"format": name})
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].split(";")[0] == reporter.media_type.split(";")[0]
        assert response.text
    assert client.get(job["report_url"]).json() == job["report"]
    unknown = client.get(job["report_url"], params={"format": "pdf"})
    assert is_problem(unknown, 422)["type"] == "/problems/unknown-format"

    nodes_url = f"/v1/jobs/{body['id']}/nodes"
    assert client.get(nodes_url).json()["total"] > 0
    deleted = client.delete(f"/v1/jobs/{body['id']}")  # finished: deleted with its report
    assert deleted.status_code == 204 and deleted.content == b""
    for gone in (f"/v1/jobs/{body['id']}", job["report_url"], nodes_url):
        assert is_problem(client.get(gone), 404)["type"] == "/problems/job-not-found"
    assert is_problem(client.delete(f"/v1/jobs/{body['id']}"), 404)["type"] == (
        "/problems/job-not-found")


def test_progress_is_live_and_a_job_can_be_cancelled(client: httpx.Client,
                                                     data: DataServer) -> None:
    data.delay = 0.2
    try:
        created = client.post("/v1/jobs", json={"url": data.url_for("slow-plate-0.5.zarr")})
        job_id = created.json()["id"]
        job = wait_for(client, job_id, statuses=["running"])
        deadline = time.monotonic() + 10
        while job["progress"]["documents"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "running"
        assert 2 <= job["progress"]["documents"] <= job["progress"]["known"]
        assert job["report"] is None and job["report_url"] is None
        not_yet = client.get(f"/v1/jobs/{job_id}/report")
        assert is_problem(not_yet, 409)["type"] == "/problems/job-not-finished"

        cancelled = client.delete(f"/v1/jobs/{job_id}")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "cancelled" and job["error_type"] == "cancelled"
        assert job["report"] is None
    finally:
        data.delay = 0.0


def test_validate_answers_202_when_it_takes_longer(client: httpx.Client,
                                                   data: DataServer) -> None:
    data.delay = 0.05
    try:
        response = client.post("/v1/validate", params={"wait": 0},
                               json={"url": data.url_for("plate-0.4.zarr")})
        assert response.status_code == 202, response.text
        body = response.json()
        assert response.headers["location"] == body["status_url"]
        job = wait_for(client, body["id"])
        assert job["status"] == "done" and job["valid"] is True
    finally:
        data.delay = 0.0


def test_could_not_validate_is_a_422_problem_and_a_failed_job(client: httpx.Client,
                                                              data: DataServer) -> None:
    url = data.url_for("no-such-dataset.zarr")
    problem = is_problem(client.post("/v1/validate", json={"url": url}), 422)
    assert problem["type"] == "/problems/could-not-validate"
    assert f"404 Not Found at {url}" in problem["detail"]  # what was there: nothing
    failed = wait_for(client, problem["job"])
    assert failed["status"] == "failed" and failed["error_type"] == "could-not-validate"
    assert failed["error"] == problem["detail"]
    no_report = client.get(f"/v1/jobs/{problem['job']}/report")
    assert "404 Not Found" in is_problem(no_report, 409)["detail"]


# -- problems -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/nowhere", {}, 404),
    ("GET", "/v1/jobs/0123456789abcdef0123456789abcdef", {}, 404),
    ("GET", "/v1/jobs/..%2f..%2fetc", {}, 404),
    ("DELETE", "/v1/jobs/unknown", {}, 404),
    ("GET", "/v1/jobs/unknown/report", {}, 404),
    ("PUT", "/v1/validate", {"json": {}}, 405),
    ("GET", "/v1/validate", {}, 405),
    ("POST", "/healthz", {}, 405),
    ("POST", "/v1/validate", {"content": b"{not json", "headers": {
        "content-type": "application/json"}}, 422),
    ("POST", "/v1/validate", {"content": b"\xff\xfe", "headers": {
        "content-type": "application/json"}}, 422),
    ("POST", "/v1/validate", {"json": {}}, 422),
    ("POST", "/v1/validate", {"json": []}, 422),
    ("POST", "/v1/validate", {"json": {"url": 5}}, 422),
    ("POST", "/v1/validate", {"json": {"url": ""}}, 422),
    ("POST", "/v1/validate", {"json": {"url": "x" * 5000}}, 422),
    ("POST", "/v1/validate", {"json": {"url": "http://a.example/", "ngff_version": "0.7"}}, 422),
    ("POST", "/v1/validate", {"json": {"url": "http://a.example/", "strict": "maybe"}}, 422),
    ("POST", "/v1/validate", {"json": {"url": "http://a.example/", "retries": 99}}, 422),
    ("POST", "/v1/jobs", {"json": {"url": "not a url"}}, 422),
    ("POST", "/v1/jobs", {"json": {"url": "http://[::1"}}, 422),
    ("POST", "/v1/validate", {"json": {"url": "http://a.example/", "wait": 1},
                              "params": {"wait": "-1"}}, 422),
    ("POST", "/v1/validate", {"content": b"{" * 100_000, "headers": {
        "content-type": "application/json"}}, 413),
    ("GET", "/v1/jobs/x/report", {"params": {"format": "../../etc/passwd"}}, 422),
])
def test_errors_are_problem_documents(client: httpx.Client, method: str, path: str,
                                      kwargs: dict[str, Any], status: int) -> None:
    response = client.request(method, path, **kwargs)
    problem = is_problem(response, status)
    assert problem.get("detail"), problem
    if status == 405:
        assert response.headers.get("allow")


def test_chunked_oversize_body_is_refused(client: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/v1/validate", content=body(),
                           headers={"content-type": "application/json"})
    assert is_problem(response, 413)["type"] == "/problems/request-too-large"


def test_fuzzed_requests_never_cause_a_500(client: httpx.Client) -> None:
    odd = ["", "http://", "http://:80/", "http:///x", "s3://", "gs://a", "s3://UPPER/x",
           "http://[::1]:99999/", "http://a..b/", "http://-a.example/", "javascript:alert(1)",
           "http://a.example:0/", "\x00", "http://a.example/\r\nX: y", "http://%00/",
           "https://a.example:8443:8443/", "http://[v1.x]/", "http://a.example/" + "é" * 10]
    for url in odd:
        for path in ("/v1/validate", "/v1/jobs"):
            response = client.post(path, json={"url": url})
            assert response.status_code < 500, (url, response.text)
            is_problem(response)


# -- limits of the service ----------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(
    start_service: Callable[..., ServiceThread],
) -> None:
    svc = start_service(rate_limit=3, rate_window=60)
    with svc.client() as c:
        for _ in range(3):
            assert c.get("/v1/versions").status_code == 200
        limited = c.get("/v1/versions")
        problem = is_problem(limited, 429)
        assert problem["type"] == "/problems/rate-limited"
        assert int(limited.headers["retry-after"]) >= 1
        # Health checks are not limited.
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 200


def test_jobs_per_client_and_overall_are_limited(
    start_service: Callable[..., ServiceThread], data: DataServer,
) -> None:
    data.delay = 0.2
    svc = start_service(allowed_hosts=[f"127.0.0.1:{data.port}"], max_jobs_per_client=2,
                        max_running_jobs=1, max_queued_jobs=5, host_concurrency=1)
    url = data.url_for("slow-plate-0.5.zarr")
    try:
        with svc.client() as c:
            ids = [c.post("/v1/jobs", json={"url": url}).json()["id"] for _ in range(2)]
            third = c.post("/v1/jobs", json={"url": url})
            assert is_problem(third, 429)["type"] == "/problems/too-many-jobs"
            assert int(third.headers["retry-after"]) >= 1
            statuses = {c.get(f"/v1/jobs/{i}").json()["status"] for i in ids}
            assert "queued" in statuses  # one runs at a time
            for job_id in ids:
                assert c.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
            assert c.post("/v1/jobs", json={"url": url}).status_code == 202
    finally:
        data.delay = 0.0

    busy = start_service(allowed_hosts=[f"127.0.0.1:{data.port}"], max_jobs_per_client=10,
                         max_running_jobs=1, max_queued_jobs=0, host_concurrency=1)
    data.delay = 0.2
    try:
        with busy.client() as c:
            first = c.post("/v1/jobs", json={"url": url})
            assert first.status_code == 202
            second = c.post("/v1/jobs", json={"url": url})
            assert is_problem(second, 503)["type"] == "/problems/service-busy"
            assert second.headers["retry-after"]
            c.delete(f"/v1/jobs/{first.json()['id']}")
    finally:
        data.delay = 0.0


def test_cors_is_off_unless_configured(client: httpx.Client,
                                      start_service: Callable[..., ServiceThread]) -> None:
    origin = {"Origin": "https://portal.example.org"}
    assert "access-control-allow-origin" not in client.get("/v1/versions", headers=origin).headers
    svc = start_service(cors_origins="https://portal.example.org")
    with svc.client() as c:
        preflight = c.options("/v1/jobs", headers={
            **origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://portal.example.org"
        response = c.get("/v1/versions", headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://portal.example.org"
        other = c.get("/v1/versions", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# -- meta ---------------------------------------------------------------------------------------


def test_meta_endpoints(client: httpx.Client) -> None:
    versions = client.get("/v1/versions").json()
    assert versions["ngff_versions"] == ["0.4", "0.5", "0.6"]
    assert versions["report_formats"] == sorted(REPORTERS)
    assert versions["rules_hash"] == rules_hash()  # as in every report's provenance
    assert client.get("/v1/rules").json() == [rule.to_dict() for rule in RULES]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/openapi.json").json()
    for path in ("/v1/validate", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/report",
                 "/v1/versions", "/v1/rules", "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert "storage_options" not in json.dumps(spec["components"]["schemas"]["ValidateRequest"])


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env_name("allowed_hosts"), "127.0.0.1:9000, 10.1.0.0/16,minio.internal")
    monkeypatch.setenv(env_name("allowed_ports"), "80,443,9000")
    monkeypatch.setenv(env_name("max_document_bytes"), "1048576")
    monkeypatch.setenv(env_name("database"), "/tmp/x.sqlite3")
    settings = Settings()
    assert settings.allowed_hosts == ["127.0.0.1:9000", "10.1.0.0/16", "minio.internal"]
    assert settings.allowed_ports == [80, 443, 9000]
    assert settings.max_document_bytes == 1048576
    assert settings.database == "/tmp/x.sqlite3"
    monkeypatch.setenv(env_name("allowed_hosts"), "http://nope/")
    with pytest.raises(ValueError, match="allowed host"):
        Settings()


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.max_document_bytes == 2 * 1024 * 1024
    assert settings.max_documents == 100_000
    assert settings.validate_wait == 30.0
    assert settings.allowed_ports == [80, 443, 8080, 8443]
    assert settings.allowed_hosts == []


def test_docs_list_every_setting_with_its_default() -> None:
    text = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(OME_ZARR_VALIDATOR_\w+)` \| `([^`]*)` \|", text, re.M))
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if isinstance(default, list):
            default = ",".join(map(str, default)) or None
        assert rows.get(env_name(name)) == ("(none)" if default is None else str(default)), name
    assert len(rows) == len(Settings.model_fields)
