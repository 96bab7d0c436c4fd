"""The summary every output shares (findings grouped by rule), the text reporter's modes, and
the provenance of reports: on the valid 384-well plate of the benchmarks, as a new user runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from validator import __version__, validate
from validator import versions as ngff
from validator.model import Finding, Report, Severity, natural_key
from validator.provenance import rules_hash
from validator.reporters import REPORTERS
from validator.reporters.text import TextReporter, node_counts, use_color
from validator.summary import FIRST_NODES, plural, summarize
from validator.testing.plates import write_plate

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "schemas" / "report" / "report.schema.json").read_text())


@pytest.fixture(scope="module")
def plate_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmarks' core plate: 384 wells x 2 fields x 2 levels, NGFF 0.5, valid; every
    field lacks the recommended downscaling metadata and axis units (4608 findings)."""
    root = tmp_path_factory.mktemp("summary") / "plate.ome.zarr"
    write_plate(root, version="0.5", rows=16, columns=24, fields=2, levels=2)
    return root


@pytest.fixture(scope="module")
def plate(plate_path: Path) -> Report:
    return validate(str(plate_path))


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validator.cli", "--no-progress", *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def test_natural_order() -> None:
    paths = ["A/10", "A/2", "B/1", "A/1/0", "A/1/10", "A/1/9"]
    assert sorted(paths, key=natural_key) == ["A/1/0", "A/1/9", "A/1/10", "A/2", "A/10", "B/1"]
    assert natural_key("/axes/9") < natural_key("/axes/10")


def test_summarize_groups_by_rule_errors_first_nodes_in_natural_order() -> None:
    def f(rule: str, severity: Severity, node: str) -> Finding:
        return Finding(rule, severity, node, "/x", f"{rule} at {node}", "https://s/")

    findings = [f("b.info", Severity.INFO, "A/1")]
    findings += [f("a.warn", Severity.WARNING, f"A/{i}") for i in range(12, 0, -1)]
    findings += [f("c.err", Severity.ERROR, "B/10"), f("c.err", Severity.ERROR, "B/9"),
                 f("c.err", Severity.ERROR, "B/9")]
    groups = summarize(findings)
    assert [(g.rule, g.severity.value, g.count) for g in groups] == [
        ("c.err", "error", 3), ("a.warn", "warning", 12), ("b.info", "info", 1)]
    errors, warnings, _ = groups
    assert errors.nodes == ("B/9", "B/10") and errors.message == "c.err at B/9"
    assert warnings.first_nodes == tuple(f"A/{i}" for i in range(1, FIRST_NODES + 1))
    assert warnings.more_nodes == 12 - FIRST_NODES
    assert warnings.to_dict()["node_count"] == 12


def test_plurals_and_node_nouns() -> None:
    assert plural(1, "error") == "1 error" and plural(0, "error") == "0 errors"
    assert plural(2, "series", "series") == "2 series"
    assert node_counts({"array": 1536, "plate": 1, "well": 384, "image": 768}) == (
        "1 plate, 384 wells, 768 images, 1536 arrays")
    assert node_counts({"label-image": 1, "labels": 2}) == "2 labels groups, 1 label image"


def test_color_follows_the_terminal_and_no_color_force_color() -> None:
    assert use_color(True, {}) and not use_color(False, {})
    assert not use_color(True, {"NO_COLOR": "1"})
    assert use_color(False, {"FORCE_COLOR": "1"})
    assert not use_color(False, {"FORCE_COLOR": "0"})
    assert not use_color(True, {"NO_COLOR": "1", "FORCE_COLOR": "1"})  # NO_COLOR wins


def test_the_384_well_plate_reads_in_a_screen(plate_path: Path, plate: Report) -> None:
    assert plate.valid and len(plate.findings) == 4608
    default = cli(str(plate_path))
    assert default.returncode == 0, default.stderr
    lines = default.stdout.splitlines()
    assert len(lines) <= 30, default.stdout
    assert lines[0].startswith("warning multiscales.")  # no errors: warnings lead
    assert any("and 763 more" in line for line in lines)
    assert any(line.startswith("VALID ") and "0 errors, 1536 warnings, 3072 infos" in line
               for line in lines)
    assert f"ome-zarr-validator {__version__}, rules {rules_hash()}, started 20" in (
        default.stdout)
    assert "\x1b[" not in default.stdout

    details = cli(str(plate_path), "--details")
    assert details.returncode == 0
    detail_lines = details.stdout.splitlines()
    assert sum(line.startswith("  ") for line in detail_lines) == 4608  # every finding
    nodes = [line for line in detail_lines if line and not line.startswith(" ")][:4]
    assert nodes == ["A/1/0", "A/1/1", "A/2/0", "A/2/1"]  # natural order

    quiet = cli(str(plate_path), "--quiet")
    assert quiet.returncode == 0
    assert quiet.stdout.count("\n") == 1 and quiet.stdout.startswith("VALID ")

    warnings_only = cli(str(plate_path), "--min-severity", "warning")
    assert warnings_only.returncode == 0
    assert "multiscales.axes.unit-present" not in warnings_only.stdout
    assert "3072 findings below warning not shown" in warnings_only.stdout

    forced = cli(str(plate_path), "-q", env={"FORCE_COLOR": "1"})
    assert forced.stdout.startswith("\x1b[1;32mVALID\x1b[0m")
    assert "\x1b[" not in cli(str(plate_path), "-q", env={"FORCE_COLOR": "1",
                                                         "NO_COLOR": "1"}).stdout


def test_strict_exit_code_is_unchanged_by_the_layout(plate_path: Path) -> None:
    for args in ([], ["--quiet"], ["--details"], ["--min-severity", "error"]):
        assert cli(str(plate_path), "--strict", *args).returncode == 1


def test_incomplete_is_its_own_verdict_in_text() -> None:
    report = Report("t.zarr", "0.5", 3, truncated=True,
                    skipped=["walk stopped early: the deadline of 1 s was reached"])
    text = TextReporter().render(report)
    assert "INCOMPLETE t.zarr" in text and "VALID t.zarr" not in text.replace("INCOMPLETE", "")
    assert "deadline of 1 s" in text
    quiet = TextReporter(quiet=True).render(report)
    assert quiet.count("\n") == 1 and quiet.startswith("INCOMPLETE") and "deadline" in quiet


def test_json_keeps_every_finding_and_adds_summary_and_provenance(plate: Report) -> None:
    data: dict[str, Any] = json.loads(REPORTERS["json"]().render(plate))
    Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        data)
    assert len(data["findings"]) == 4608
    assert [(g["rule"], g["count"]) for g in data["summary"]] == [
        ("multiscales.metadata.present", 768), ("multiscales.type.present", 768),
        ("multiscales.axes.unit-present", 3072)]
    assert data["summary"][0]["nodes"] == ["A/1/0", "A/1/1", "A/2/0", "A/2/1", "A/3/0"]
    assert data["summary"][0]["more_nodes"] == 763
    prov = data["provenance"]
    assert prov["validator_version"] == __version__
    assert prov["rules_hash"] == rules_hash()
    assert prov["ngff_versions"] == list(ngff.ids())
    assert prov["started_at"].endswith("+00:00") and prov["duration"] > 0
    again = Report.from_dict(data)
    assert again.provenance == plate.provenance.__class__.from_dict(prov)


def test_every_format_says_what_produced_it(plate: Report) -> None:
    prov = plate.provenance
    assert prov is not None and prov.started_at is not None
    html = REPORTERS["html"]().render(plate)
    assert prov.rules_hash in html and prov.started_at in html and __version__ in html
    assert "Findings by rule (3 rules)" in html
    sarif = json.loads(REPORTERS["sarif"]().render(plate))
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["properties"]["rulesHash"] == prov.rules_hash
    assert run["invocations"][0]["startTimeUtc"] == prov.started_at.replace("+00:00", "Z")
    assert run["properties"]["provenance"]["duration"] == round(prov.duration or 0, 4)
    junit = REPORTERS["junit"]().render(plate)
    assert f'name="validator.rules_hash" value="{prov.rules_hash}"' in junit
    assert f'timestamp="{prov.started_at.removesuffix("+00:00")}"' in junit


def test_rules_hash_is_stable_and_names_the_catalogue() -> None:
    assert rules_hash() == rules_hash()
    assert rules_hash().startswith("sha256:") and len(rules_hash()) == len("sha256:") + 16
