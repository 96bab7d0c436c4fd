"""Rules over collections are linear: the checks of a 100k-well plate cost about ten times those
of a 10k-well plate, not a hundred times (issue 14, reproduction 1: a plate listing 10k wells
took 8.3 s, 20k took 26.7 s, all on the event loop).

Measured as a ratio of CPU time of this process (best of a few runs), never against a wall
clock limit: a quadratic rule makes each tenfold step cost a hundredfold, far beyond the
generous factor allowed here, whatever the machine's speed or load.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from bench.cpu import DictStore
from validator.document import check_attributes
from validator.engine import avalidate
from validator.options import Options
from validator.rules import RULES, PlateContext, Subject, WellSummary
from validator.testing.plates import plate_document

SIZES = (1_000, 10_000, 100_000)
#: Linear is 10 per tenfold step; quadratic is 100. Generous for noise and cache effects.
FACTOR = 30.0


def _cpu(func: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        func()
        best = min(best, time.process_time() - started)
    return max(best, 1e-4)


def _plate_checks(wells: int) -> Callable[[], Any]:
    """Document checks of the plate, then its node rules with every well missing and every row
    group missing: the case of the reproduction (no well groups at all)."""
    document = json.loads(plate_document("0.5", wells))
    attributes = document["attributes"]
    plate = attributes["ome"]["plate"]
    summaries = {w["path"]: WellSummary(node=w["path"], exists=False) for w in plate["wells"]}
    rows = {r["name"]: False for r in plate["rows"]}
    ctx = PlateContext("", "0.5", attributes["ome"], summaries, row_groups=rows)

    def run() -> int:
        issues = check_attributes(attributes, "0.5")
        for rule in RULES.for_subject(Subject.PLATE_NODE, "0.5"):
            assert rule.check is not None
            issues.extend(rule.check(ctx))  # type: ignore[arg-type]
        return len(issues)

    return run


def test_plate_rules_scale_linearly() -> None:
    # Step by step, so that a quadratic rule fails at 10k instead of running for minutes.
    previous = _cpu(_plate_checks(SIZES[0]), repeat=3)
    for small, large in itertools.pairwise(SIZES):
        cost = _cpu(_plate_checks(large), repeat=3 if large < 100_000 else 1)
        assert cost / previous < FACTOR, (small, previous, large, cost)
        previous = cost


def test_duplicate_detection_is_linear() -> None:
    """Repeated names and paths are found by one lookup each, not by comparing every pair."""
    def run(n: int) -> Callable[[], Any]:
        document = json.loads(plate_document("0.5", n))
        wells = document["attributes"]["ome"]["plate"]["wells"]
        for well in wells:
            well["path"] = "A/1"  # every well repeats the first
        return lambda: check_attributes(document["attributes"], "0.5")

    small, large = _cpu(run(2_000), 3), _cpu(run(20_000), 2)
    assert large / small < FACTOR, (small, large)


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_100k_well_plate_walk_is_reported(version: str) -> None:
    """The whole walk over the reproduction's plate: a finding per missing well, no freeze."""
    docs = {("zarr.json" if version == "0.5" else ".zattrs"): plate_document(version, 100_000)}
    if version == "0.4":
        docs[".zgroup"] = b'{"zarr_format": 2}'
    report = asyncio.run(avalidate("memory://plate", store=DictStore(docs), options=Options()))
    missing = sum(1 for f in report.findings if f.rule == "plate.wells.exist")
    assert missing == 100_000
    assert report.nodes  # the plate was visited
