"""The report formats (html, sarif, junit, conformance) on real reports of small fixture trees,
and the CLI's ``--format`` for each."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.casekit import image_tree, ome_of, plate_tree
from tests.rule_cases import materialize
from validator import __version__, validate
from validator.model import Finding, Report, Severity
from validator.reporters import REPORTERS
from validator.reporters.conformance import MAX_LISTED
from validator.reporters.junit import NOT_CHECKED, OTHER_NODES
from validator.reporters.sarif import document_uri, target_uri, to_sarif
from validator.rules import RULES

BROKEN_AXIS = "multiscales.axes.space-count"
MISSING_LEVEL = "multiscales.datasets.path-exists"


def broken_plate() -> dict[str, Any]:
    """A 2x2 plate (0.5) with one bad field (A/1/0: an axis of unknown type) and one missing
    level (B/2/1/1); every image also lacks the recommended multiscale metadata (warnings)."""
    tree = plate_tree("0.5")
    ome_of(tree, "A/1/0", "0.5")["multiscales"][0]["axes"][0]["type"] = "bogus"
    del tree["B/2/1/1/zarr.json"]
    return tree


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("reporters")
    return {
        "plate": materialize(broken_plate(), base / "plate.zarr"),
        "image": materialize(image_tree("0.4"), base / "image.zarr"),
    }


@pytest.fixture(scope="module")
def plate(paths: dict[str, Path]) -> Report:
    return validate(str(paths["plate"]))


@pytest.fixture(scope="module")
def plate_strict(paths: dict[str, Path]) -> Report:
    return validate(str(paths["plate"]), strict=True)


@pytest.fixture(scope="module")
def image(paths: dict[str, Path]) -> Report:
    return validate(str(paths["image"]))


def synthetic() -> Report:
    """A truncated report with hostile text: markup, control characters, an unknown rule."""
    return Report(
        target="https://example.org/a b.zarr/",
        ngff_version="0.4",
        zarr_format=2,
        findings=[
            Finding("custom.rule.unknown", Severity.ERROR, "x/y", "/a~1b", "bad \x00 <script>"
                    "alert(1)</script> & \"quotes\"", "https://example.org/spec#x", ".zattrs"),
            Finding("multiscales.axes.space-count", Severity.INFO, "", "", "a note", "", ""),
        ],
        nodes=Counter({"image": 1, "array": 2}),
        truncated=True,
        skipped=["deadline of 1 s reached: 3 documents not read"],
        incomplete_reasons=["the deadline of 1 s was reached before the walk ended"],
    )


def test_all_formats_are_registered_with_media_types() -> None:
    assert {"text", "json", "html", "sarif", "junit", "conformance"} <= set(REPORTERS)
    for name, cls in REPORTERS.items():
        assert cls.media_type and cls.extension, name
        assert isinstance(cls().render(synthetic()), str)


def test_the_fixture_reports_are_what_the_tests_expect(plate: Report, image: Report) -> None:
    errors = {(f.rule, f.node) for f in plate.errors}
    assert errors == {(BROKEN_AXIS, "A/1/0"), (MISSING_LEVEL, "B/2/1")}
    assert plate.warnings and not plate.valid
    assert image.valid


# -- SARIF ------------------------------------------------------------------------------------


def test_sarif_is_one_run_with_the_rule_catalogue(plate: Report) -> None:
    log = json.loads(REPORTERS["sarif"]().render(plate))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ome-zarr-validator" and driver["version"] == __version__
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r.id for r in RULES}
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["helpUri"] == rule.spec("0.5")
        assert descriptor["defaultConfiguration"]["level"] == levels[rule.severity.value]


def test_sarif_results_carry_rule_level_node_document_and_pointer(plate: Report) -> None:
    run = to_sarif(plate)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(plate.findings)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for result, finding in zip(run["results"], plate.findings, strict=True):
        assert result["ruleId"] == finding.rule == rules[result["ruleIndex"]]["id"]
        assert result["level"] == levels[finding.severity.value]
        assert result["message"]["text"] == finding.message
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        parts = ("file://" + plate.target, finding.node, finding.document)
        assert uri == "/".join(part for part in parts if part)
        assert location["physicalLocation"]["properties"]["jsonPointer"] == finding.pointer
        assert location["logicalLocations"][0]["fullyQualifiedName"] == (finding.node or "/")
        assert result["properties"]["spec"] == finding.spec
    broken = next(r for r in run["results"] if r["ruleId"] == BROKEN_AXIS)
    assert broken["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "/plate.zarr/A/1/0/zarr.json")
    assert run["properties"]["valid"] is False
    assert run["properties"]["nodes"] == dict(plate.nodes)


def test_sarif_describes_rules_it_does_not_know_and_quotes_uris() -> None:
    run = to_sarif(synthetic())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    unknown = rules[run["results"][0]["ruleIndex"]]
    assert unknown == {"id": "custom.rule.unknown",
                       "shortDescription": {"text": "custom.rule.unknown"},
                       "helpUri": "https://example.org/spec#x"}
    assert run["results"][1]["level"] == "note"
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "https://example.org/a b.zarr/x/y/.zattrs"  # URLs are kept as given
    assert target_uri("/data/my plate.zarr/") == "file:///data/my%20plate.zarr"
    assert target_uri("rel/x.zarr") == "rel/x.zarr"
    assert document_uri("<document>", "", "") == "%3Cdocument%3E"
    assert document_uri("s3://b/p.zarr", "A/1", "zarr.json") == "s3://b/p.zarr/A/1/zarr.json"


def test_sarif_validates_against_the_sarif_object_model(plate: Report) -> None:
    """pydantic-sarif is generated from the SARIF 2.1.0 JSON schema (unknown keys refused)."""
    import pydantic_sarif.model as model

    schema = model.StaticAnalysisResultsFormatSarifVersion210JsonSchema
    for report in (plate, synthetic()):
        schema.model_validate_json(REPORTERS["sarif"]().render(report))


# -- JUnit ------------------------------------------------------------------------------------


def junit(report: Report) -> ET.Element:
    return ET.fromstring(REPORTERS["junit"]().render(report))


def cases_of(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_junit_has_a_case_per_node_with_findings_and_failures_for_errors(plate: Report) -> None:
    root = junit(plate)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    properties = {p.attrib["name"]: p.attrib["value"] for p in suite.iter("property")}
    assert properties["validator.version"] == __version__
    assert properties["ngff.version"] == "0.5"
    assert properties["report.valid"] == "false"
    assert properties["nodes.well"] == "4"
    cases = cases_of(root)
    nodes_with_findings = {f.node or "/" for f in plate.findings}
    assert set(cases) == nodes_with_findings | {"/", OTHER_NODES}
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {"A/1/0", "B/2/1"}
    failure = cases["A/1/0"].find("failure")
    assert failure is not None and failure.attrib["type"] == BROKEN_AXIS
    assert "axes" in (failure.text or "")
    assert "multiscales.type.present" in (cases["A/1/0"].findtext("system-out") or "")
    for element in (root, suite):
        assert element.attrib["tests"] == str(len(cases))
        assert element.attrib["failures"] == "2"
        assert element.attrib["errors"] == "0"


def test_junit_strict_fails_warnings_too(plate_strict: Report) -> None:
    cases = cases_of(junit(plate_strict))
    failed = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failed == {f.node or "/" for f in plate_strict.findings}


def test_junit_valid_report_passes_and_an_incomplete_one_is_an_error(image: Report) -> None:
    root = junit(image)
    assert root.attrib["failures"] == "0"
    assert "/" in cases_of(root)
    truncated = junit(synthetic())
    error = cases_of(truncated)[NOT_CHECKED].find("error")
    assert error is not None and "deadline" in (error.text or "")
    assert truncated.attrib["errors"] == "1" and truncated.attrib["skipped"] == "0"
    failure = cases_of(truncated)["x/y"].find("failure")
    assert failure is not None and "\\x00" in failure.attrib["message"]  # escaped, still XML


def test_junit_sampling_is_skipped_not_failed(image: Report) -> None:
    sampled = Report.from_dict({**image.to_dict(), "skipped": ["plate /: 3 of 4 wells not "
                                                                "checked (--sample-wells 1)"]})
    root = junit(sampled)
    skipped = cases_of(root)[NOT_CHECKED].find("skipped")
    assert skipped is not None and "--sample-wells" in (skipped.text or "")
    assert root.attrib["skipped"] == "1" and root.attrib["errors"] == "0"


# -- conformance --------------------------------------------------------------------------------


def test_conformance_is_exactly_valid_and_message(plate: Report, image: Report) -> None:
    for report in (plate, image):
        out = REPORTERS["conformance"]().render(report)
        assert out.count("\n") == 1
        verdict = json.loads(out)
        assert set(verdict) == {"valid", "message"}
        assert verdict["valid"] is report.valid
    message = json.loads(REPORTERS["conformance"]().render(plate))["message"]
    assert message.startswith("invalid OME-NGFF 0.5: 2 errors")
    assert f"{BROKEN_AXIS} at A/1/0" in message and MISSING_LEVEL in message
    assert "multiscales.type.present" not in message  # warnings do not fail without strict
    assert json.loads(REPORTERS["conformance"]().render(image))["message"].startswith("valid")


def test_conformance_message_lists_a_few_problems_then_counts() -> None:
    many = [Finding("a.b", Severity.ERROR, f"n{i}", "", f"problem {i}", "") for i in range(9)]
    report = Report("t", "0.4", 2, findings=many)
    message = json.loads(REPORTERS["conformance"]().render(report))["message"]
    assert message.count("problem ") == MAX_LISTED
    assert message.endswith(f"and {9 - MAX_LISTED} more")


# -- HTML -------------------------------------------------------------------------------------


def test_html_is_standalone_and_escapes_everything(plate: Report) -> None:
    page = REPORTERS["html"]().render(plate)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "<link" not in page and " src=" not in page  # standalone
    for finding in plate.findings:
        assert finding.rule in page
    assert 'href="https://ngff.openmicroscopy.org/0.5/#multiscale-md"' in page
    assert "INVALID" in page
    hostile = REPORTERS["html"]().render(synthetic())
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
    assert "deadline of 1 s" in hostile


# -- the command line -------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validator.cli", "--no-progress", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("fmt", ["sarif", "junit", "html", "conformance"])
def test_cli_formats(paths: dict[str, Path], fmt: str) -> None:
    result = cli(str(paths["plate"]), "--format", fmt)
    assert result.returncode == 1, result.stderr
    if fmt in ("sarif", "conformance"):
        data = json.loads(result.stdout)
        assert data["valid"] is False if fmt == "conformance" else data["version"] == "2.1.0"
    elif fmt == "junit":
        assert ET.fromstring(result.stdout).attrib["failures"] == "2"
    else:
        assert result.stdout.startswith("<!doctype html>")


def test_cli_conformance_when_the_target_cannot_be_validated(tmp_path: Path) -> None:
    result = cli(str(tmp_path / "missing.zarr"), "--format", "conformance")
    assert result.returncode == 2
    verdict = json.loads(result.stdout)
    assert verdict == {"valid": False, "message": verdict["message"]}
    assert verdict["message"].startswith("could not validate: ")
    assert "missing.zarr" in verdict["message"]
    assert "could not validate" in result.stderr  # the usual one line on stderr as well
    plain = cli(str(tmp_path / "missing.zarr"), "--format", "json")
    assert plain.returncode == 2 and plain.stdout == ""  # other formats print nothing


# -- three outcomes in every format -------------------------------------------------------------


def incomplete_without_errors() -> Report:
    """Nothing failing was found, but a crashed check left part of the data unchecked."""
    return Report(target="p.zarr", ngff_version="0.5", zarr_format=3,
                  nodes=Counter({"image": 1}),
                  incomplete_reasons=["rule x.y crashed (KeyError): what it checks was not "
                                      "checked where it crashed"])


def test_every_format_says_incomplete_and_never_valid() -> None:
    report = incomplete_without_errors()
    assert report.verdict == "incomplete" and not report.valid and not report.complete
    text = REPORTERS["text"]().render(report)
    assert "INCOMPLETE p.zarr" in text and "VALID p.zarr" not in text
    assert "crashed (KeyError)" in text and " so far" in text
    data = json.loads(REPORTERS["json"]().render(report))
    assert (data["valid"], data["complete"], data["verdict"]) == (False, False, "incomplete")
    assert data["incomplete_reasons"] == report.incomplete_reasons
    assert "INCOMPLETE" in REPORTERS["html"]().render(report)
    run = json.loads(REPORTERS["sarif"]().render(report))["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["properties"]["complete"] is False and run["properties"]["valid"] is False
    assert "crashed" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    assert junit(report).attrib["errors"] == "1"
    verdict = json.loads(REPORTERS["conformance"]().render(report))
    assert verdict["valid"] is False and verdict["message"].startswith("incomplete OME-NGFF 0.5")


def test_text_summary_names_only_what_is_known() -> None:
    report = Report(target="<stdin>", ngff_version=None, zarr_format=None,
                    findings=[Finding("io.document.invalid-json", Severity.ERROR, "", "",
                                      "not valid JSON: line 3, column 7: Expecting ':' "
                                      "delimiter", "")])
    text = REPORTERS["text"]().render(report)
    summary = next(line for line in text.splitlines() if line.startswith("INVALID"))
    assert "None" not in summary and "NGFF unknown" in summary and "Zarr" not in summary
