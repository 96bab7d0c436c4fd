"""Visitor of a plate: its wells (sampled with ``--sample-wells``) and its row groups."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.model import NodeKind, join_node
from validator.rules import PlateContext, Subject, WellSummary
from validator.walk.offload import LARGE_PLATE, off_loop
from validator.walk.reading import gather_bounded, gather_pair
from validator.walk.visitors.well import visit_well

if TYPE_CHECKING:
    from validator.walk.core import Walk
    from validator.walk.layout import Group


#: Wells handled between two returns to the event loop.
SLICE = 5000


async def visit_plate(
    walk: Walk, group: Group, ome: Mapping[str, Any], base: str
) -> Mapping[str, WellSummary]:
    """Check a plate: every well it lists (each with its fields), its rows, then the rules."""
    walk.visit_node(group.node, NodeKind.PLATE)
    plate = ome.get("plate")
    plate = plate if isinstance(plate, Mapping) else {}
    wells = plate.get("wells")
    wells = wells if isinstance(wells, list) else []
    # In slices, handing the event loop back between them: a plate of 280k wells is seconds
    # of path checks, which would stall every other walk on the loop (another job).
    paths: list[str] = []
    for start in range(0, len(wells), SLICE):
        entries = [(("plate", "wells", i, "path"), w.get("path"))
                   for i, w in enumerate(wells[start:start + SLICE], start)
                   if isinstance(w, Mapping)]
        paths.extend(walk.findings.safe_children(group, base, entries))
        if len(wells) > SLICE:
            await asyncio.sleep(0)
    paths = list(dict.fromkeys(paths))  # distinct across slices too
    visited = _sample_wells(walk, group.node, paths)
    rows = list(dict.fromkeys(p.split("/", 1)[0] for p in visited if "/" in p))
    concurrency = walk.options.concurrency
    # gather_pair, not asyncio.gather: when the wells stop the walk (a budget), the row
    # groups' reads are cancelled and waited for, not left running past the walk's end.
    summaries, row_groups = await gather_pair(
        gather_bounded(visited, lambda p: visit_well(walk, join_node(group.node, p), plate),
                       concurrency),
        # The row groups are named by no metadata but MUST exist: one document each,
        # read alongside the wells (no round trip added).
        gather_bounded(rows, lambda r: _row_group(walk, join_node(group.node, r)),
                       concurrency),
    )
    ctx = PlateContext(group.node, walk.version.id, ome,
                       dict(zip(visited, summaries, strict=True)),
                       complete=len(visited) == len(paths),
                       row_groups=dict(zip(rows, row_groups, strict=True)))
    if len(visited) >= LARGE_PLATE:
        # Off the event loop, like the checks of a large document (Walk.check_group).
        outcomes = await off_loop(walk.findings.collect, Subject.PLATE_NODE, ctx)
        walk.findings.add_outcomes(outcomes, group.node, location=(group.document, base))
    else:
        walk.findings.run_rules(Subject.PLATE_NODE, ctx, group.node,
                                location=(group.document, base))
    return ctx.wells


async def _row_group(walk: Walk, node: str) -> bool:
    """Whether a plate's row group exists; one that does is a node (not counted)."""
    exists = await walk.layout.group_exists(node)
    if exists:
        walk.emit_node(node, NodeKind.GROUP)
    return exists


def _sample_wells(walk: Walk, node: str, paths: list[str]) -> list[str]:
    """``options.sample_wells`` of a plate's wells, evenly spread; the rest is recorded."""
    n = walk.options.sample_wells
    if n is None or len(paths) <= n:
        return paths
    last = len(paths) - 1
    chosen = [0] if n == 1 else sorted({round(i * last / (n - 1)) for i in range(n)})
    visited = [paths[i] for i in chosen]
    taken = set(chosen)
    skipped = [p for i, p in enumerate(paths) if i not in taken]
    plate = node or "/"
    if len(visited) <= len(skipped):
        listed = f"only these were checked: {', '.join(visited)}"
    else:
        listed = f"not checked: {', '.join(skipped)}"
    walk.report.skipped.append(
        f"plate {plate}: {len(skipped)} of {len(paths)} wells not checked (--sample-wells "
        f"{n}: evenly spread, first and last included); {listed}"
    )
    return visited
