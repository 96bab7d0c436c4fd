"""The OpenAPI document tells the truth: schemathesis drives the real service (uvicorn, SQLite,
the job runner) with requests generated from it -- valid and invalid -- and every check holds:
no 5xx, every status and content type documented, every response body of its schema.

Bounded: a fixed number of examples per operation, derandomized (the same cases every run).
The service's rate limits are raised for this test (a 429 is documented, but would hide the
operation behind it); its network policy knows no name and allows no private address, so
generated URLs are refused before anything is fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.test_api_support import EgressGuard, ServiceThread, settings_for

EXAMPLES = 25


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceThread]:
    with EgressGuard() as guard:
        svc = ServiceThread.create(settings_for(
            tmp_path_factory.mktemp("schema"), rate_limit=1_000_000, max_jobs_per_client=1000,
            max_queued_jobs=1000, validate_wait=0.5, request_timeout=1.0, request_retries=0,
        )).start()
        yield svc
        svc.stop()
        assert guard.blocked == []


#: A URL that is well-formed can still be refused (the network policy) or not validatable (not
#: reachable, not OME-Zarr): a documented 422 for the operations that take one (validate,
#: jobs, batches), and only for them.
CONFIG = """
# A body over the service's size limit is refused with a documented 413, before it is parsed.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422",
                     "428", "429"]

[[operations]]
include-path-regex = "^/v1/(validate|jobs|batches)$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "409", "422", "429"]
"""


def _operations(service: ServiceThread) -> list[Any]:
    config = schemathesis.config.SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json", config=config)
    return [result.ok() for result in schema.get_all_operations()]


# schemathesis's pytest plugin does not run under pytest 9 (it reads Function._nodeid): the
# operations' Hypothesis strategies are driven here directly, which is what the plugin does.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_openapi(service: ServiceThread, mode: GenerationMode) -> None:
    failures: list[str] = []
    unsatisfiable: list[str] = []
    operations = _operations(service)
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit,
                                                                   Phase.generate])
        def run(case: schemathesis.Case) -> None:
            try:
                case.call_and_validate(base_url=service.url, timeout=30)
            except Exception as exc:  # schemathesis' FailureGroup: one or more checks failed
                failures.append(f"{case.operation.label}: {exc}"[:2000])

        try:
            run()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (no parameters, no body).
            assert mode is GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)
    assert len(unsatisfiable) < len(operations) / 2, unsatisfiable
    assert failures == [], "\n\n".join(failures[:10])


def test_openapi_documents_problems_and_limits(service: ServiceThread) -> None:
    """What schemathesis cannot see from outside: every error is problem+json in the document,
    429 is documented on every rate-limited operation, formats are an enum."""
    document = httpx.get(f"{service.url}/openapi.json", timeout=10).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method, path, status)
            if path.startswith("/v1/"):
                assert "429" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    report = document["paths"]["/v1/jobs/{job_id}/report"]["get"]
    formats = next(p for p in report["parameters"] if p["name"] == "format")
    assert {"json", "sarif", "html"} <= set(formats["schema"]["enum"])


def test_options_names_every_method(service: ServiceThread) -> None:
    response = httpx.options(f"{service.url}/v1/jobs/abc", timeout=10)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE"}


def test_offset_beyond_64_bits_is_a_422(service: ServiceThread) -> None:
    """Issue 14, reproduction 6: a 500 (SQLite integer overflow)."""
    response = httpx.get(f"{service.url}/v1/jobs/abc/nodes",
                         params={"offset": "9223372036854775808"}, timeout=10)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_nosniff_everywhere(service: ServiceThread, tmp_path: Path) -> None:
    for method, path in (("GET", "/healthz"), ("GET", "/v1/versions"), ("GET", "/nowhere"),
                         ("GET", "/"), ("OPTIONS", "/v1/jobs/x"), ("GET", "/openapi.json")):
        response = httpx.request(method, f"{service.url}{path}", timeout=10)
        assert response.headers.get("x-content-type-options") == "nosniff", (method, path)
    big = httpx.post(f"{service.url}/v1/jobs", content=b"x" * 200_000,
                     headers={"content-type": "application/json"}, timeout=10)
    assert big.status_code == 413 and big.headers["x-content-type-options"] == "nosniff"
