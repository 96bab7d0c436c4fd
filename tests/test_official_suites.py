"""The official NGFF conformance suites and examples, run through our document validation.

They live beside the checkout in ``../shared/ngff`` (CI always has them; ``.ci/run`` fails
without them). Set ``NGFF_REFERENCE_DIR`` to point elsewhere. Every case must agree with its
expected verdict: non-strict suites as they are, ``strict_*`` suites with ``strict=True``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from validator import validate_document

REFERENCE = Path(
    os.environ.get("NGFF_REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "ngff")
)
VERSIONS = ("0.4", "0.5")

if os.environ.get("OME_ZARR_VALIDATOR_REQUIRE_OFFICIAL") and not REFERENCE.is_dir():
    raise RuntimeError(f"the official NGFF suites are required but not found at {REFERENCE}")

pytestmark = [
    pytest.mark.official,
    pytest.mark.skipif(
        not REFERENCE.is_dir(),
        reason=f"official NGFF suites not found at {REFERENCE} (set NGFF_REFERENCE_DIR)",
    ),
]


def _suite_cases() -> list[Any]:
    cases = []
    if not REFERENCE.is_dir():
        return cases
    for version in VERSIONS:
        for suite in sorted((REFERENCE / version / "tests").glob("*_suite.json")):
            data = json.loads(suite.read_text())
            strict = suite.name.startswith("strict_")
            for index, case in enumerate(data["tests"]):
                name = case.get("formerly") or case.get("description") or str(index)
                cases.append(pytest.param(version, strict, case["data"], case["valid"],
                                          id=f"{version}/{suite.stem}/{name}"))
    return cases


def _example_cases() -> list[Any]:
    cases = []
    if not REFERENCE.is_dir():
        return cases
    for version in VERSIONS:
        for config in sorted((REFERENCE / version / "examples").glob("*/.config.json")):
            schema = json.loads(config.read_text())["schema"]
            strict = Path(schema).name.startswith("strict_")
            for example in sorted(config.parent.glob("*.json")):
                if example.name.startswith("."):
                    continue  # .config.json itself
                text = "\n".join(line for line in example.read_text().splitlines()
                                 if not line.lstrip().startswith("//"))
                cases.append(pytest.param(version, strict, json.loads(text),
                                          id=f"{version}/{config.parent.name}/{example.stem}"))
    return cases


SUITE_CASES = _suite_cases()
EXAMPLE_CASES = _example_cases()


@pytest.mark.parametrize(("version", "strict", "data", "expected"), SUITE_CASES)
def test_official_suite_case(version: str, strict: bool, data: Any, expected: bool) -> None:
    report = validate_document(data, version=version, strict=strict)
    findings = [f"{f.severity}: {f.rule} {f.pointer}: {f.message}" for f in report.findings]
    assert report.valid is expected, findings


@pytest.mark.parametrize(("version", "strict", "document"), EXAMPLE_CASES)
def test_official_example(version: str, strict: bool, document: Any) -> None:
    # 0.5 examples are whole zarr.json documents: validate_document takes them as they are.
    report = validate_document(document, version=version, strict=strict)
    assert report.valid, [f"{f.severity}: {f.rule} {f.pointer}: {f.message}"
                          for f in report.findings]


def test_official_material_counted() -> None:
    """Guard against a silently empty parametrization (a moved folder would skip all)."""
    assert len(SUITE_CASES) == 92 + 86
    assert len(EXAMPLE_CASES) == 20
