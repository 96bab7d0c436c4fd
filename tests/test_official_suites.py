"""The official NGFF conformance suites and examples, run through our document validation.

They live beside the checkout in ``../shared/ngff`` (CI always has them; ``.ci/run`` fails
without them). Set ``NGFF_REFERENCE_DIR`` to point elsewhere. Every case must agree with its
expected verdict: non-strict suites as they are, ``strict_*`` suites with ``strict=True``, except
the listed 0.4/0.5 upstream errata (:data:`ERRATA`), where the case contradicts its own
version's text.

NGFF 0.6: the suite is ``dev/tests/attributes`` (0.6rc0; the release changed no normative
text), one file per case with its verdict and strictness in ``_conformance``. Where a case
contradicts the 0.6 text, the text wins and the case is an upstream erratum
(:data:`V06_ERRATA`): the test then asserts our opposite verdict and the rule that decides
it, so an erratum cannot hide a regression. ``dev/tests/zarr`` is not run (stale upstream:
it still writes ``"input": "0"`` strings where the text requires objects, two files are not
JSON, and most cases are copies of ``tests/attributes``); the runnable parts of
``dev/examples`` are run, the stale ones are listed in :data:`V06_STALE_EXAMPLES`.
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


V06 = REFERENCE / "dev"
V06_SUITE = V06 / "tests" / "attributes"

# Cases of the official 0.6 suite that contradict the 0.6 text: (why, rule that fires).
V06_ERRATA: dict[str, tuple[str, str]] = {
    "spec/valid/image/mismatch_axes_units": (
        "three axes and a two-entry scale; the scale section: 'Input and output dimensionality "
        "MUST be identical and MUST equal the the length of the scale array'",
        "transformations.scale.length"),
    "strict/valid/image/multiscales_example": (
        "level 'path' \"1\" with input path \"s1\"; 'The input object MUST specify a path "
        "field matching the path field of the dataset'",
        "multiscales.datasets.input-matches-path"),
    "strict/valid/image/image_omero": (
        "links 'intrinsic' (a system it does not define; its datasets map to 'physical') to "
        "'world': 'One of input or output MUST reference the intrinsic coordinate system'",
        "multiscales.transformations.intrinsic-end"),
    # The plate cases name their wells <column>/<row> (columns "A", rows "1", path "A/1"); the
    # text: 'The path MUST consist of a name in the rows array, a file separator (/), and a
    # name from the columns array, in that order' (the 0.5 suite tests exactly this as invalid).
    **{case: ("well path written column first: 'a name in the rows array, a file separator "
              "(/), and a name from the columns array, in that order'",
              "plate.wells.path-row-column")
       for case in ("spec/valid/plate/minimal_acquisitions",
                    "spec/valid/plate/minimal_no_acquisitions",
                    "spec/valid/plate/non_alphanumeric_row",
                    "strict/valid/plate/strict_acquisitions",
                    "strict/valid/plate/strict_no_acquisitions")},
}

# dev/examples that are not 0.6 documents as written (see ../shared/ngff/README.md).
V06_STALE_EXAMPLES = {
    "multiscales_strict/multiscales_example_relative": "the pre-0.5 layout: no 'ome' object",
    "transformations/mapAxis1": "'input'/'output' as strings (the old form); the text "
    "requires objects",
    "transformations/byDimensionXarray": "its byDimension items have no 'transformation'",
    "transformations/bijection_verbose": "a lone transformation, not a document; "
    "bijection.json holds it with its coordinate systems and is run",
    "transformations/displacements/multiscales": "'ome' is the string \"0.6rc0\", not an object",
    "transformations/displacements/displacement_field": "a two-entry scale for three axes "
    "(the scale section requires one entry per axis)",
}
# Examples with their expected verdict where it is not "valid", and why.
V06_INVALID_EXAMPLES = {
    "transformations/byDimensionInvalid1": "the spec presents it as invalid (output index 2 "
    "of a 2-axis system)",
    "transformations/byDimensionInvalid2": "the spec presents it as invalid (output axis 1 "
    "named twice)",
}
# Examples run without strict although their folder's schema is strict, and why.
V06_NOT_STRICT = {
    "label_strict/colors_properties": "strict_label checks only image-label; its multiscale "
    "lacks the SHOULD name/type/metadata that our strict mode counts",
    "multiscales_strict/multiscales_reference_to_label": "no 'type' or 'metadata' (SHOULDs): "
    "the upstream strict schema rejects it too",
}


def _v06_suite_cases() -> list[Any]:
    cases = []
    if not V06_SUITE.is_dir():
        return cases
    for path in sorted(V06_SUITE.rglob("*.json")):
        data = json.loads(path.read_text())
        conformance = data.pop("_conformance", {})
        name = str(path.relative_to(V06_SUITE).with_suffix(""))
        cases.append(pytest.param(name, bool(conformance.get("strict", False)), data,
                                  bool(conformance.get("valid", True)), id=f"0.6/{name}"))
    return cases


def _v06_example_cases() -> list[Any]:
    cases = []
    examples = V06 / "examples"
    if not examples.is_dir():
        return cases
    for path in sorted(examples.rglob("*.json")):
        name = str(path.relative_to(examples).with_suffix(""))
        if path.name.startswith(".") or name in V06_STALE_EXAMPLES:
            continue
        text = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith("//"))
        document = json.loads(text)
        folder = path.relative_to(examples).parts[0]
        if folder in ("transformations", "subspace") and "ome" not in document.get(
                "attributes", document):
            # Fragments of coordinate systems and transformations: validated as a scene, the
            # context where both ends of a transformation may be named without a path.
            document = {"ome": {"version": "0.6", "scene": document}}
        strict = folder.endswith("_strict") and name not in V06_NOT_STRICT
        cases.append(pytest.param(name, strict, document, name not in V06_INVALID_EXAMPLES,
                                  id=f"0.6/examples/{name}"))
    return cases


#: Official cases whose expected verdict contradicts the text of their own version; we follow
#: the text. Each entry: (case id, our verdict, why).
ERRATA: dict[str, tuple[bool, str]] = {
    "0.4/image_suite/valid/mismatch_axes_units.json": (
        False,
        "The 0.4 text: 'The length of the scale and translation array MUST be the same as the "
        "length of axes'. This units test has 3 axes (t, y, x) and a 2-entry scale [0.13, 0.13], "
        "incidental to what it tests; the 0.5 suite's copy of the same case has the scale fixed "
        "to [1.0, 0.13, 0.13] (0.5/tests/image_suite.json, same 'formerly' name). yaozarrs and "
        "ome-zarr-models reject it too. We report multiscales.transformations.length-matches-"
        "axes (an error), so the case is invalid for us.",
    ),
}


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
                case_id = f"{version}/{suite.stem}/{name}"
                expected = case["valid"]
                if case_id in ERRATA:
                    assert expected is not ERRATA[case_id][0], f"{case_id}: fixed upstream?"
                    expected = ERRATA[case_id][0]
                cases.append(pytest.param(version, strict, case["data"], expected, id=case_id))
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
V06_SUITE_CASES = _v06_suite_cases()
V06_EXAMPLE_CASES = _v06_example_cases()


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


def _findings(report: Any) -> list[str]:
    return [f"{f.severity}: {f.rule} {f.pointer}: {f.message}" for f in report.findings]


@pytest.mark.parametrize(("name", "strict", "data", "expected"), V06_SUITE_CASES)
def test_official_06_case(name: str, strict: bool, data: Any, expected: bool) -> None:
    report = validate_document(data, version="0.6", strict=strict)
    if name in V06_ERRATA:
        _why, rule = V06_ERRATA[name]
        assert report.valid is not expected, _findings(report)
        assert any(f.rule == rule for f in report.findings), _findings(report)
    else:
        assert report.valid is expected, _findings(report)


@pytest.mark.parametrize(("name", "strict", "document", "expected"), V06_EXAMPLE_CASES)
def test_official_06_example(name: str, strict: bool, document: Any, expected: bool) -> None:
    report = validate_document(document, version="0.6", strict=strict)
    assert report.valid is expected, _findings(report)


def test_errata_are_official_cases_and_keep_their_reason() -> None:
    ids = {param.id for param in SUITE_CASES}
    for case_id, (_, why) in ERRATA.items():
        assert case_id in ids, f"erratum {case_id} names no official case"
        assert "MUST" in why and "0.5" in why


def test_mismatch_axes_units_is_invalid_for_the_rule_the_text_states() -> None:
    """The erratum's case fails for exactly one reason: the vector length rule, an error."""
    case = next(p for p in SUITE_CASES if p.id == "0.4/image_suite/valid/mismatch_axes_units.json")
    report = validate_document(case.values[2], version="0.4")
    assert [(f.rule, f.severity.value) for f in report.errors] == [
        ("multiscales.transformations.length-matches-axes", "error")]


def test_official_material_counted() -> None:
    """Guard against a silently empty parametrization (a moved folder would skip all)."""
    assert len(SUITE_CASES) == 92 + 86
    assert len(EXAMPLE_CASES) == 20
    assert len(V06_SUITE_CASES) == 143
    assert len(V06_EXAMPLE_CASES) == 38 - len(V06_STALE_EXAMPLES)
    names = {c.values[0] for c in V06_SUITE_CASES}
    assert set(V06_ERRATA) <= names, set(V06_ERRATA) - names
