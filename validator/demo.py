"""``python -m validator.demo``: validate a generated sample over HTTP, clean and broken.

Writes a small NGFF 0.5 plate (metadata only) into a temporary directory, serves it on
127.0.0.1, validates it by URL, then breaks a copy in three ways and validates that too.
Pass a URL or path to validate that instead: ``python -m validator.demo TARGET``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from validator import validate
from validator.reporters import REPORTERS
from validator.reporters.text import use_color
from validator.testing.dataserver import DataServer
from validator.testing.plates import describe_downscaling, write_plate


def _break(root: Path) -> None:
    plate_doc = root / "zarr.json"
    doc = json.loads(plate_doc.read_text())
    plate = doc["attributes"]["ome"]["plate"]
    plate["wells"][1]["rowIndex"] = 1  # disagrees with the row named by its path
    plate["acquisitions"].append(dict(plate["acquisitions"][0]))  # duplicate acquisition id
    plate_doc.write_text(json.dumps(doc))
    level = root / "A" / "1" / "0" / "s1" / "zarr.json"
    array = json.loads(level.read_text())
    array["dimension_names"] = list(reversed(array["dimension_names"]))
    level.write_text(json.dumps(array))
    shutil.rmtree(root / "B" / "2" / "1")  # a listed field that is gone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validator.demo", description=__doc__)
    parser.add_argument("target", nargs="?", help="validate this instead of the sample")
    args = parser.parse_args(argv)
    reporter = REPORTERS["text"](color=use_color(sys.stdout.isatty()))
    if args.target:
        report = validate(args.target)
        sys.stdout.write(reporter.render(report))
        return 0 if report.valid else 1
    with tempfile.TemporaryDirectory(prefix="ome-zarr-demo-") as tmp:
        clean = Path(tmp) / "plate.ome.zarr"
        # Units and a downscaling description: the SHOULDs ome-zarr-py leaves out, so that
        # the clean sample has no finding at all.
        units = {"x": "micrometer", "y": "micrometer", "z": "micrometer", "t": "second"}
        info = write_plate(clean, version="0.5", rows=4, columns=6, fields=2, levels=2,
                           units=units)
        describe_downscaling(clean, "0.5", info.images)
        broken = Path(tmp) / "broken.ome.zarr"
        shutil.copytree(clean, broken)
        _break(broken)
        with DataServer(tmp) as server:
            for name in ("plate.ome.zarr", "broken.ome.zarr"):
                url = f"{server.url}/{name}"
                print(f"\n$ ome-zarr-validate {url}")
                sys.stdout.write(reporter.render(validate(url)))
        print(f"\n(the sample: a {len(info.rows)}x{len(info.columns)} plate, {info.fields} fields "
              f"per well, {info.levels} levels, {info.total_documents} metadata documents)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
