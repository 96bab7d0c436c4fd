"""The wheel carries the schemas: a CLI installed from it finds them outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_schemas_and_runs_outside_the_repo(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("ome_zarr_validator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for version in ("0.4", "0.5"):
        assert f"validator/_schemas/{version}/image.json" in names
    assert "validator/_schemas/report/report.schema.json" in names
    assert "api/static/index.html" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    document = tmp_path / "zarr.json"
    document.write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {
        "ome": {"version": "0.5", "well": {"images": []}}}}))
    # Run from elsewhere, with only the installed package (and the venv's dependencies) on
    # the path: the checkout's schemas/ is out of reach.
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    result = subprocess.run(
        [sys.executable, "-c", "import validator.schemas as s, validator.cli as c; "
         "print(s.schema_dir()); c.main()", "--document", str(document), "--format", "json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    first, _, rest = result.stdout.partition("\n")
    assert Path(first).is_relative_to(site), first
    assert result.returncode == 1, result.stderr
    assert json.loads(rest)["findings"][0]["rule"] == "well.images.non-empty"
