"""``python -m validator.reporters FORMAT [REPORT.json]``: a JSON report in another format.

Reads a report written by ``ome-zarr-validate --format json`` (or ``GET /v1/jobs/{id}/report``)
from the file or stdin and writes it as FORMAT (text, html, sarif, junit, ...) to stdout, so
that one validation gives every format (the GitHub Action does this). Exit status 2 when the
input is not a report.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from validator.model import Report
from validator.reporters import REPORTERS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validator.reporters",
                                     description="Render a JSON report in another format.")
    parser.add_argument("format", choices=sorted(REPORTERS))
    parser.add_argument("report", nargs="?", default="-", help="the JSON report ('-': stdin)")
    args = parser.parse_args(argv)
    try:
        if args.report == "-":
            data = json.load(sys.stdin)
        else:
            with open(args.report, encoding="utf-8") as stream:
                data = json.load(stream)
        report = Report.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"python -m validator.reporters: not a report: {exc}\n")
        return 2
    REPORTERS[args.format]().write(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
