"""CI integrations: the pre-commit hook (.pre-commit-hooks.yaml, ome-zarr-validate-hook) and the
composite GitHub Action (action.yml) are well-formed, point at real entry points, and work: the
hook on real datasets, the action's validation step run by bash as a runner would."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.casekit import image_tree, ome_of
from tests.rule_cases import materialize
from validator.hook import build_parser, datasets_of, target_of
from validator.reporters import REPORTERS

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "scripts"]


def entry_point(command: str) -> Any:
    """The function a console script named by ``command`` runs (it must exist)."""
    name = command.split()[0]
    assert name in SCRIPTS, f"{name} is not a console script of the package"
    module, _, function = SCRIPTS[name].partition(":")
    return getattr(importlib.import_module(module), function)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("integrations")
    broken = image_tree("0.5")
    ome_of(broken, "", "0.5")["multiscales"][0]["axes"][0]["type"] = "bogus"
    valid = materialize(image_tree("0.5"), base / "repo" / "data" / "good.ome.zarr")
    bad = materialize(broken, base / "repo" / "data" / "bad.zarr")
    zipped = base / "repo" / "good.ozx"
    shutil.make_archive(str(zipped.with_suffix("")), "zip", valid)
    zipped.with_suffix(".zip").rename(zipped)
    return {"valid": valid, "invalid": bad, "ozx": zipped}


# -- pre-commit -------------------------------------------------------------------------------


def hooks() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(loaded, list) and loaded
    return loaded


def test_pre_commit_hooks_are_well_formed_and_point_at_the_hook() -> None:
    ids = [hook["id"] for hook in hooks()]
    assert ids == ["ome-zarr-validate", "ome-zarr-validate-strict"]
    for hook in hooks():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert entry_point(hook["entry"]) is not None
        files = re.compile(hook["files"])
        for path in ("data/plate.ome.zarr/A/1/zarr.json", "img.zarr/.zattrs", "x/y.ozx",
                     "plate.zarr"):
            assert files.search(path), path
        for path in ("README.md", "zarr/notes.txt", "a.zarray", "docs/zarr.json"):
            assert not files.search(path), path
    assert hooks()[1]["entry"].split()[1:] == ["--strict"]
    assert build_parser().parse_args(hooks()[1]["entry"].split()[1:]).strict is True
    assert entry_point("ome-zarr-validate") is not None


def test_hook_maps_files_to_datasets_once(datasets: dict[str, Path]) -> None:
    valid, invalid = datasets["valid"], datasets["invalid"]
    files = [str(valid / "zarr.json"), str(valid / "0" / "zarr.json"), str(invalid / "zarr.json"),
             str(datasets["ozx"]), str(valid.parent / "README.md")]
    assert datasets_of(files) == [str(valid), str(invalid), str(datasets["ozx"])]
    assert target_of(str(datasets["ozx"])) == str(datasets["ozx"])


def run_hook(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validator.hook", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_hook_validates_each_dataset_and_fails_on_the_invalid_one(
    datasets: dict[str, Path]
) -> None:
    valid, invalid, ozx = datasets["valid"], datasets["invalid"], datasets["ozx"]
    good = run_hook(str(valid / "zarr.json"), str(valid / "0" / "zarr.json"), str(ozx))
    assert good.returncode == 0, good.stdout + good.stderr
    lines = good.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("VALID ") for line in lines)
    bad = run_hook(str(valid / "zarr.json"), str(invalid / "zarr.json"))
    assert bad.returncode == 1
    assert "INVALID " in bad.stdout and "multiscales.axes.type-known" in bad.stdout
    strict = run_hook("--strict", str(valid / "zarr.json"))  # its two warnings fail now
    assert strict.returncode == 1 and "INVALID " in strict.stdout, strict.stdout
    assert run_hook("README.md").returncode == 0  # no dataset: nothing to check
    missing = run_hook(str(valid.parent / "gone.zarr" / "zarr.json"))
    assert missing.returncode == 2 and "could not validate" in missing.stdout


# -- the GitHub Action -------------------------------------------------------------------------


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return loaded


def step(name: str) -> dict[str, Any]:
    return next(s for s in action()["runs"]["steps"] if s.get("name") == name)


def test_action_is_a_composite_action_with_the_inputs_ci_users_expect() -> None:
    spec = action()
    assert spec["name"] and spec["description"]
    assert spec["runs"]["using"] == "composite"
    assert {"url", "path", "version", "strict", "format", "upload-sarif"} <= set(spec["inputs"])
    for name, value in spec["inputs"].items():
        assert value["description"], name
    assert {"verdict", "exit-code", "report-file", "sarif-file"} <= set(spec["outputs"])
    for s in spec["runs"]["steps"]:
        assert "uses" in s or s.get("shell") == "bash", s  # composite run steps need a shell
    upload = step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    validate = step("Validate")["run"]
    assert "ome-zarr-validate " in validate and entry_point("ome-zarr-validate")
    assert "python -m validator.reporters" in validate
    assert importlib.import_module("validator.reporters.__main__").main
    formats = re.findall(r"^\s*(\w+)\) ext=", validate, flags=re.M) + re.findall(
        r";; (\w+)\) ext=", validate)
    assert set(formats) <= set(REPORTERS) and {"text", "json", "sarif", "junit"} <= set(formats)
    assert "${{" not in validate  # inputs arrive as environment variables only


def run_validate_step(tmp_path: Path, **inputs: str) -> tuple[int, dict[str, str], str]:
    """The action's Validate step, run by bash as the runner runs it."""
    outputs = tmp_path / "outputs"
    outputs.write_text("")
    env = {**os.environ,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
           "RUNNER_TEMP": str(tmp_path)}
    for name in ("url", "path", "strict", "format", "report-file", "upload-sarif"):
        env[f"INPUT_{name.upper().replace('-', '_')}"] = inputs.get(name, "")
    env["INPUT_FORMAT"] = env["INPUT_FORMAT"] or "text"
    done = subprocess.run(["bash", "-c", step("Validate")["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    return done.returncode, values, done.stdout + done.stderr


def test_action_validate_step_writes_the_report_and_sarif(
    datasets: dict[str, Path], tmp_path: Path
) -> None:
    code, out, log = run_validate_step(tmp_path, path=str(datasets["invalid"]), format="junit",
                                       **{"upload-sarif": "true"})
    assert code == 0, log
    assert out["verdict"] == "invalid" and out["exit-code"] == "1"
    assert "INVALID " in log  # the grouped summary in the job's log
    junit = ET.parse(tmp_path / out["report-file"]).getroot()
    assert junit.tag == "testsuites" and int(junit.attrib["failures"]) >= 1
    sarif = json.loads(Path(out["sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "multiscales.axes.type-known" in (tmp_path / "summary").read_text()

    code, out, log = run_validate_step(tmp_path, path=str(datasets["ozx"]))
    assert code == 0, log
    assert out["verdict"] == "valid" and out["exit-code"] == "0"
    assert f"VALID {datasets['ozx'].resolve()}" in (tmp_path / out["report-file"]).read_text() or (
        f"VALID {datasets['ozx']}" in (tmp_path / out["report-file"]).read_text())

    code, out, log = run_validate_step(tmp_path, path="nowhere.zarr")
    assert out["verdict"] == "error" and out["exit-code"] == "2"
    code, _, log = run_validate_step(tmp_path, path="a.zarr", url="https://example.org/x.zarr")
    assert code == 2 and "not both" in log
    code, _, log = run_validate_step(tmp_path, path=str(datasets["valid"]), format="pdf")
    assert code == 2 and "format must be" in log
