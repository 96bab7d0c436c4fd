"""The spec's own 0.6 examples, written as real hierarchies (zarr-python arrays with data):
``ome-zarr-validate`` exits 0 on them and 1 on broken copies, naming the rule.

* ``multiscales_strict/multiscales_example.json``: a 5-D image (t, c, z, y, x), three levels;
* ``multiscales_strict/multiscales_transformations.json``: an image with two coordinate
  systems, "intrinsic" and "physical", linked by a scale;
* ``scene/scene_stitching.json``: a scene of four tiles translated into its "world" system.
  The spec gives the scene's metadata only; each tile is written as a 2-D image whose
  coordinate system is the "physical" the scene names.

The examples are read from ../shared/ngff/dev/examples (NGFF_REFERENCE_DIR), lines starting
with ``//`` removed, as the reference README says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REFERENCE = Path(os.environ.get("NGFF_REFERENCE_DIR",
                                Path(__file__).parents[2] / "shared" / "ngff"))
EXAMPLES = REFERENCE / "dev" / "examples"
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"no {EXAMPLES}")


def example(name: str) -> dict[str, Any]:
    text = (EXAMPLES / name).read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    doc: dict[str, Any] = json.loads("\n".join(lines))
    return doc


def write_image(root: Path, attributes: dict[str, Any], shapes: dict[str, tuple[int, ...]],
                names: list[str]) -> None:
    """A group with ``attributes`` and, for each dataset path, a real array of that shape."""
    import zarr

    group = zarr.open_group(str(root), mode="w", zarr_format=3, attributes=attributes)
    rng = np.random.default_rng(6)
    for path, shape in shapes.items():
        array = group.create_array(path, shape=shape, dtype="uint8",
                                   chunks=tuple(min(s, 16) for s in shape),
                                   dimension_names=names)
        array[...] = rng.integers(1, 255, size=shape, dtype="uint8")


def five_d(root: Path) -> None:
    doc = example("multiscales_strict/multiscales_example.json")
    shapes = {"s0": (2, 2, 8, 32, 32), "s1": (2, 2, 4, 16, 16), "s2": (2, 2, 2, 8, 8)}
    write_image(root, doc["attributes"], shapes, ["t", "c", "z", "y", "x"])


def two_systems(root: Path) -> None:
    doc = example("multiscales_strict/multiscales_transformations.json")
    write_image(root, doc["attributes"], {"s0": (32, 32)}, ["y", "x"])


def stitching(root: Path) -> None:
    import zarr

    doc = example("scene/scene_stitching.json")
    zarr.open_group(str(root), mode="w", zarr_format=3, attributes=doc["attributes"])
    version = doc["attributes"]["ome"]["version"]
    for t in doc["attributes"]["ome"]["scene"]["coordinateTransformations"]:
        tile, system = t["input"]["path"], t["input"]["name"]
        axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in ("y", "x")]
        attributes = {"ome": {"version": version, "multiscales": [{
            "name": tile,
            "coordinateSystems": [{"name": system, "axes": axes}],
            "datasets": [{"path": "s0", "coordinateTransformations": [
                {"type": "scale", "scale": [1.0, 1.0], "input": {"path": "s0"},
                 "output": {"name": system}}]}],
        }]}}
        write_image(root / tile, attributes, {"s0": (276, 348)}, ["y", "x"])


BUILDERS: dict[str, Callable[[Path], None]] = {
    "5d-image": five_d, "two-systems": two_systems, "stitching-scene": stitching,
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("spec06")
    out = {}
    for name, build in BUILDERS.items():
        build(base / f"{name}.zarr")
        out[name] = base / f"{name}.zarr"
    return out


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validator.cli", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_spec_example_exits_0(name: str, written: dict[str, Path]) -> None:
    result = cli(str(written[name]), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "valid"
    assert report["ngff_version"] == "0.6"
    assert not [f for f in report["findings"] if f["severity"] == "error"]


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _ome(doc: dict[str, Any]) -> dict[str, Any]:
    ome: dict[str, Any] = doc["attributes"]["ome"]
    return ome


BROKEN: list[tuple[str, str, Callable[[Path], None], str, str]] = [
    ("5d-image", "missing-level", lambda r: shutil.rmtree(r / "s2"),
     "multiscales.datasets.path-exists", "/attributes/ome/multiscales/0/datasets/2/path"),
    ("two-systems", "unlinked", lambda r: _edit(
        r / "zarr.json", lambda d: _ome(d)["multiscales"][0].pop("coordinateTransformations")),
     "transformations.graph.connected", "/attributes/ome/multiscales/0/coordinateSystems"),
    ("stitching-scene", "missing-tile", lambda r: shutil.rmtree(r / "tile_3"),
     "scene.paths.resolve", "/attributes/ome/scene/coordinateTransformations/3/input/path"),
    ("stitching-scene", "tile-system-renamed", lambda r: _edit(
        r / "tile_2" / "zarr.json",
        lambda d: _ome(d)["multiscales"][0]["coordinateSystems"][0].update(name="tile")),
     "scene.paths.resolve", "/attributes/ome/scene/coordinateTransformations/2/input/path"),
]


@pytest.mark.parametrize(("name", "what", "mutate", "rule", "pointer"), BROKEN,
                         ids=[f"{b[0]}-{b[1]}" for b in BROKEN])
def test_broken_copy_exits_1_naming_the_rule(
    name: str, what: str, mutate: Callable[[Path], None], rule: str, pointer: str,
    written: dict[str, Path], tmp_path: Path,
) -> None:
    root = tmp_path / f"{name}.zarr"
    shutil.copytree(written[name], root)
    mutate(root)
    result = cli(str(root), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert any(f["rule"] == rule and f["node"] == "" and f["pointer"] == pointer
               for f in findings), findings
    text = cli(str(root))
    assert rule in text.stdout


def test_readme_example_is_what_the_cli_prints(written: dict[str, Path], tmp_path: Path) -> None:
    """The README's 0.6 example (a scene whose fourth tile is missing) is the text report as
    the CLI prints it, but for the figures that change from run to run (time, rule hash)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ ome-zarr-validate stitching-scene.zarr\n", 1)[1].split("```", 1)[0]
    root = tmp_path / "stitching-scene.zarr"
    shutil.copytree(written["stitching-scene"], root)
    shutil.rmtree(root / "tile_3")
    result = subprocess.run([sys.executable, "-m", "validator.cli", root.name, "--no-progress"],
                            capture_output=True, text=True, timeout=120, check=False,
                            cwd=tmp_path, env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": ""})
    assert result.returncode == 1, result.stdout + result.stderr

    def stable(text: str) -> list[str]:
        return [line for line in text.splitlines()
                if not line.startswith(("ome-zarr-validator ", "3 images, 3 arrays"))]

    assert stable(block) == stable(result.stdout)
