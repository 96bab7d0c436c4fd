"""Rules on plates that need the wells."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from validator.model import Severity
from validator.rules.context import PlateContext
from validator.rules.registry import Subject, Violation, rule


@rule(
    "plate.wells.exist",
    severity=Severity.ERROR,
    subject=Subject.PLATE_NODE,
    anchor="plate-md",
    summary="Every well the plate lists exists as a well group.",
)
def wells_exist(ctx: PlateContext) -> Iterator[Violation]:
    """Each well object MUST contain a `path` key whose value MUST be a string specifying the
    path to the well subgroup. (A listed well that is missing, or a group without "well"
    metadata, cannot be that subgroup.)"""
    plate = ctx.ome.get("plate")
    wells = plate.get("wells") if isinstance(plate, Mapping) else None
    if not isinstance(wells, list):
        return
    for i, well in enumerate(wells):
        path = well.get("path") if isinstance(well, Mapping) else None
        summary = ctx.wells.get(path) if isinstance(path, str) else None
        if summary is None:
            continue
        if not summary.exists:
            yield Violation(f"well {path!r} is listed but does not exist",
                            ("plate", "wells", i, "path"))
        elif not summary.is_well:
            yield Violation(f"{path!r} exists but has no \"well\" metadata",
                            ("plate", "wells", i, "path"))
