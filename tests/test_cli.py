"""The command line as users run it: a real subprocess, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.casekit import image_tree, ome_of
from tests.rule_cases import materialize
from validator.testing.dataserver import DataServer


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "validator.cli", *args],
        capture_output=True, text=True, input=stdin, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cli")
    broken = image_tree("0.5")
    ome_of(broken, "", "0.5")["multiscales"][0]["axes"][1]["name"] = "y"  # duplicate name
    del broken["1/zarr.json"]
    return {
        "valid": materialize(image_tree("0.4"), base / "valid.zarr"),
        "invalid": materialize(broken, base / "invalid.zarr"),
        "plain": materialize({".zgroup": {"zarr_format": 2}}, base / "plain.zarr"),
    }


def test_valid_exits_0(datasets: dict[str, Path]) -> None:
    result = cli(str(datasets["valid"]))
    assert result.returncode == 0, result.stderr
    assert "VALID" in result.stdout and "INVALID" not in result.stdout


def test_invalid_exits_1_and_lists_every_error(datasets: dict[str, Path]) -> None:
    result = cli(str(datasets["invalid"]), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is False
    rules = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert "multiscales.datasets.path-exists" in rules
    assert len(rules) >= 2  # the duplicate axis name is reported too, not only the first


def test_text_groups_by_rule_and_details_by_node(datasets: dict[str, Path]) -> None:
    result = cli(str(datasets["invalid"]), "--no-progress")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("error ")  # errors first, one group per rule
    assert any("multiscales.datasets.path-exists" in line for line in lines)
    assert "\x1b[" not in result.stdout  # no color when not a terminal
    details = cli(str(datasets["invalid"]), "--no-progress", "--details")
    assert details.returncode == 1
    assert details.stdout.splitlines()[0] == "/"
    assert "multiscales.datasets.path-exists" in details.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["/definitely/not/here.zarr"],
        ["plain"],
        [],
        ["valid", "--concurrency", "0"],
        ["valid", "--ngff-version", "0.3"],
        ["--document", "/no/such/file.json"],
        ["valid", "--storage-option", "novalue"],
    ],
)
def test_could_not_validate_exits_2_with_one_line(datasets: dict[str, Path],
                                                  args: list[str]) -> None:
    args = [str(datasets[a]) if a in datasets else a for a in args]
    result = cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    messages = [line for line in result.stderr.splitlines()
                if line.startswith("ome-zarr-validate:")]
    assert len(messages) == 1, result.stderr


def test_unreachable_url_exits_2(tmp_path: Path) -> None:
    with DataServer(tmp_path) as server:
        url = server.url_for("x.zarr")
    result = cli(url, "--timeout", "2")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_http_target(datasets: dict[str, Path]) -> None:
    with DataServer(datasets["valid"].parent) as server:
        result = cli(server.url_for("valid.zarr"), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stats"]["documents"] == 2 + 2


def test_document_mode(tmp_path: Path) -> None:
    good = {"ome": {"version": "0.5", "well": {"images": [{"path": "0"}]}}}
    whole = tmp_path / "zarr.json"
    whole.write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": good}))
    assert cli("--document", str(whole)).returncode == 0
    bad = json.dumps({"ome": {"version": "0.5", "well": {"images": []}}})
    result = cli("--document", "-", "--format", "json", stdin=bad)
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"][0]["pointer"].startswith("/ome/well")


def test_strict_flag(tmp_path: Path) -> None:
    tree = image_tree("0.5")
    del ome_of(tree, "", "0.5")["multiscales"][0]["name"]
    root = materialize(tree, tmp_path / "i.zarr")
    assert cli(str(root)).returncode == 0
    assert cli(str(root), "--strict").returncode == 1


def test_list_rules() -> None:
    result = cli("--list-rules", "--format", "json")
    assert result.returncode == 0
    rules = json.loads(result.stdout)
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert "multiscales.datasets.path-exists" in ids
    for r in rules:
        assert set(r) >= {"id", "severity", "versions", "spec", "summary"}
        assert r["spec"].startswith("https://ngff.openmicroscopy.org/")
    assert cli("--list-rules").stdout.strip().endswith(f"{len(rules)} rules")
    v06 = {r["id"] for r in rules if "0.6" in r["versions"]}
    assert {"scene.paths.resolve", "transformations.parameters.array",
            "multiscales.datasets.path-exists"} <= v06
    assert all(r["spec"].startswith("https://ngff.openmicroscopy.org/0.6/") for r in rules
               if r["versions"] == ["0.6"])


def test_ngff_version_06(tmp_path: Path) -> None:
    """--ngff-version 0.6 reads a hierarchy as 0.6 whatever it declares (here 0.6.dev2, a
    pre-release tag: one warning naming it)."""
    from tests.cases._gen_v06_walk import scene_tree

    tree = scene_tree()
    tree["zarr.json"]["attributes"]["ome"]["version"] = "0.6.dev2"
    root = materialize(tree, tmp_path / "scene.zarr")
    forced = cli(str(root), "--ngff-version", "0.6", "--format", "json")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert json.loads(forced.stdout)["ngff_version"] == "0.6"
    declared = json.loads(cli(str(root), "--format", "json").stdout)
    assert declared["ngff_version"] == "0.6"
    warned = [f for f in declared["findings"] if f["rule"] == "ome.version.pre-release"]
    assert [(f["node"], f["severity"]) for f in warned] == [("", "warning")]
    assert "0.6.dev2" in warned[0]["message"]


def test_public_only_refuses_loopback_without_a_request(datasets: dict[str, Path]) -> None:
    with DataServer(datasets["valid"].parent) as server:
        url = server.url_for("valid.zarr")
        refused = cli(url, "--public-only")
        assert refused.returncode == 2
        assert "loopback" in refused.stderr
        assert server.stats.requests == 0  # refused before any connection
        assert cli(str(datasets["valid"]), "--public-only").returncode == 2  # no local paths
        opened = subprocess.run(
            [sys.executable, "-m", "validator.cli", url, "--public-only"],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "OME_ZARR_VALIDATOR_ALLOWED_HOSTS": "127.0.0.1"},
        )
        assert opened.returncode == 0, opened.stderr
        assert server.stats.requests > 0


def test_demo_runs_the_quick_start() -> None:
    result = subprocess.run([sys.executable, "-m", "validator.demo"], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    verdicts = [line.split()[0] for line in result.stdout.splitlines()
                if line.startswith(("VALID", "INVALID"))]
    assert verdicts == ["VALID", "INVALID"]
    for rule in ("plate.acquisitions.id-unique", "plate.wells.indices-match-path",
                 "multiscales.dimension-names.match-axes", "well.images.exist"):
        assert rule in result.stdout
    assert "0 errors, 0 warnings" in result.stdout  # the clean sample has no finding
