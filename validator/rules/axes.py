"""Rules on the ``axes`` of a multiscale that one axis alone cannot tell: names, order.

The shape of each axis (a string ``name``, ``type`` and ``unit`` values) and the counts of
axes by type are checked by the image schema (rules ``multiscales.axes.*``); these rules
compare axes with each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Severity
from validator.rules.context import DocContext
from validator.rules.plate import repeated_entries
from validator.rules.registry import Subject, Violation, rule

Path = tuple[str | int, ...]
# The rank of an axis type in the required order: time, then channel or custom, then space.
_TIME, _CHANNEL_OR_CUSTOM, _SPACE = 0, 1, 2
_RANK_NAMES = {_TIME: "time", _CHANNEL_OR_CUSTOM: "channel or custom", _SPACE: "space"}


def iter_axes(multiscales: Any) -> Iterator[tuple[int, list[Any]]]:
    """``(multiscale index, axes list)`` of every multiscale whose ``axes`` is a list."""
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        if isinstance(ms, Mapping) and isinstance(ms.get("axes"), list):
            yield i, ms["axes"]


def iter_axis_lists(multiscales: Any, version: str) -> Iterator[tuple[Path, list[Any]]]:
    """``(path from the multiscales list to the axes list, axes)``: up to 0.5 each
    multiscale's ``axes``; from 0.6 the ``axes`` of each of its ``coordinateSystems`` (the
    conditions on axes "apply to all coordinate systems inside multiscales metadata")."""
    if version in ("0.4", "0.5"):
        for i, axes in iter_axes(multiscales):
            yield (i, "axes"), axes
        return
    if not isinstance(multiscales, list):
        return
    for i, ms in enumerate(multiscales):
        systems = ms.get("coordinateSystems") if isinstance(ms, Mapping) else None
        if not isinstance(systems, list):
            continue
        for k, system in enumerate(systems):
            if isinstance(system, Mapping) and isinstance(system.get("axes"), list):
                yield (i, "coordinateSystems", k, "axes"), system["axes"]


def type_rank(axis: Any) -> int:
    """Where an axis of this type belongs: a missing, null or custom type counts as the
    spec's "channel or custom" axis ("one additional entry of "type:channel" or a null /
    custom type")."""
    kind = axis.get("type") if isinstance(axis, Mapping) else None
    if kind == "time":
        return _TIME
    if kind == "space":
        return _SPACE
    return _CHANNEL_OR_CUSTOM


def _label(axis: Any, k: int) -> str:
    name = axis.get("name") if isinstance(axis, Mapping) else None
    return repr(name) if isinstance(name, str) else f"#{k}"


@rule(
    "multiscales.axes.unique-names",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="axes-md",
    summary="No two axes of a multiscale have the same name.",
    versions=("0.4", "0.5"),
)
def axes_name_unique(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """[Each axis] MUST contain the field "name" that gives the name for this dimension. The
    values MUST be unique across all "name" fields.

    Compared by name, so axes that differ otherwise (say in type or unit) count too."""
    for i, axes in iter_axes(multiscales):
        for k, name, first in repeated_entries(axes, "name", kind=str, skip_copies=False):
            yield Violation(f"axis name {name!r} is already used by axes[{first}]",
                            (i, "axes", k, "name"))


@rule(
    "multiscales.axes.order",
    severity=Severity.ERROR,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    anchors={"0.6": "multiscales-md"},
    summary="Axes are ordered by type: time first, then channel or custom, then space.",
    versions=("0.4", "0.5", "0.6"),
)
def axes_order(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """In addition, the entries MUST be ordered by "type" where the "time" axis must come
    first (if present), followed by the "channel" or custom axis (if present) and the axes of
    type "space".

    An axis without a type (or with a null type) is a "custom" axis here, as the spec's
    count rule says ("MAY contain one additional entry of "type:channel" or a null / custom
    type"). Each axis that comes after an axis of a later rank is reported.

    0.6 states the same condition for "all coordinate systems inside multiscales metadata":
    each of them is checked. Its 'coordinate' and 'displacement' axes (the vector axis of a
    transformation field, "inserted after a time axis (if present) and before the spatial
    axes") rank with channel and custom axes; an 'array' axis ranks as a custom one."""
    for prefix, axes in iter_axis_lists(multiscales, ctx.version):
        highest = -1
        highest_at = 0
        for k, axis in enumerate(axes):
            rank = type_rank(axis)
            if rank < highest:
                path: tuple[str | int, ...] = (*prefix, k)
                if isinstance(axis, Mapping) and "type" in axis:
                    path = (*path, "type")
                yield Violation(
                    f"axis {_label(axis, k)} ({_RANK_NAMES[rank]}) comes after axis "
                    f"{_label(axes[highest_at], highest_at)} ({_RANK_NAMES[highest]}); axes "
                    "must be ordered time, then channel or custom, then space",
                    path,
                )
            elif rank > highest:
                highest, highest_at = rank, k


@rule(
    "multiscales.axes.zyx-order",
    severity=Severity.WARNING,
    subject=Subject.MULTISCALES,
    anchor="multiscale-md",
    anchors={"0.6": "multiscales-md"},
    summary="Three spatial axes named z, y and x are ordered z, y, x.",
    versions=("0.4", "0.5", "0.6"),
)
def axes_zyx_order(multiscales: Any, ctx: DocContext) -> Iterator[Violation]:
    """If there are three spatial axes where two correspond to the image plane ("yx") and
    images are stacked along the other (anisotropic) axis ("z"), the spatial axes SHOULD be
    ordered as "zyx".

    Axis names are arbitrary, so which axis is the stacking axis can only be told from the
    names the spec uses: the rule applies when the three space axes are named exactly "z",
    "y" and "x" (in some order) and reports any order other than z, y, x. In 0.6 every
    coordinate system of the multiscale is checked."""
    for prefix, axes in iter_axis_lists(multiscales, ctx.version):
        spatial = [(k, a.get("name")) for k, a in enumerate(axes)
                   if isinstance(a, Mapping) and a.get("type") == "space"]
        names = [name for _, name in spatial]
        if sorted(map(str, names)) == ["x", "y", "z"] and names != ["z", "y", "x"]:
            yield Violation(
                f"the spatial axes are ordered {''.join(map(str, names))}; they should be "
                "ordered zyx",
                (*prefix, spatial[0][0], "name"),
            )
