"""Rules on plates: the relations between rows, columns, wells and acquisitions, and the wells.

The shape of the plate object (required keys, types, patterns, minimum values) is checked by
the plate schema; these rules check what one entry cannot tell alone: names repeated under a
key, a well's path against the rows and columns, its indices against its path, and (in a walk)
the plate against the wells found.

:func:`repeated_entries` and :func:`is_int` are shared by the well and image-label rules.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, TypeGuard

from validator.model import Severity
from validator.rules.context import DocContext, PlateContext, WellSummary
from validator.rules.registry import Subject, Violation, rule

# The shape the plate schema requires of a well path (rule plate.wells.path-format); paths
# of another shape are left to it.
_WELL_PATH = re.compile(r"^([A-Za-z0-9]+)/([A-Za-z0-9]+)$")


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (``true`` is not one, though Python says so)."""
    return isinstance(value, int) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as ``uniqueItems`` sees it: ``1 == 1.0``, but ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def json_key(value: Any) -> Hashable:
    """A hashable key equal for two values exactly when :func:`json_equal` says they are equal
    (``1`` and ``1.0`` share a key, ``true`` and ``1`` do not): duplicates are found by one
    lookup instead of a comparison with every earlier entry."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Mapping):
        return ("object", frozenset((k, json_key(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(json_key(v) for v in value))
    if isinstance(value, int | float):
        return ("number", value)
    return ("other", value) if isinstance(value, Hashable) else ("id", id(value))


def repeated_entries(
    entries: Any, key: str, *, kind: type | tuple[type, ...], skip_copies: bool
) -> Iterator[tuple[int, Any, int]]:
    """``(index, value, first index)`` for each entry whose ``key`` repeats an earlier entry's.

    Only values of type ``kind`` count (``bool`` never does); others are the schema's to
    report. With ``skip_copies``, an entry that is an exact copy of an earlier entry with the
    same value is left out: the schema's ``uniqueItems`` already reports it, and one problem
    must give one finding. Linear in the number of entries.
    """
    if not isinstance(entries, list):
        return
    first: dict[Any, int] = {}
    copies: set[Hashable] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, kind):
            continue
        whole = json_key(entry) if skip_copies else None
        if value in first and not (skip_copies and whole in copies):
            yield i, value, first[value]
        first.setdefault(value, i)
        if skip_copies:
            copies.add(whole)


def _names(entries: Any) -> list[str | None]:
    """The ``name`` of each row or column object (``None`` where there is no string name)."""
    if not isinstance(entries, list):
        return []
    return [e.get("name") if isinstance(e, Mapping) and isinstance(e.get("name"), str)
            else None for e in entries]


def _name_index(names: Sequence[str | None]) -> dict[str, int]:
    """Each name's first index: membership and lookup in O(1), so that rules over the wells
    stay linear in the number of wells (a list scan per well made plates of 100k wells take
    minutes)."""
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name is not None:
            index.setdefault(name, i)
    return index


def _wells(plate: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    wells = plate.get("wells") if isinstance(plate, Mapping) else None
    if isinstance(wells, list):
        for i, well in enumerate(wells):
            if isinstance(well, Mapping):
                yield i, well


# -- rows and columns -----------------------------------------------------------------------


def _unique_names(plate: Any, key: str, what: str) -> Iterator[Violation]:
    entries = plate.get(key) if isinstance(plate, Mapping) else None
    for i, name, first in repeated_entries(entries, "name", kind=str, skip_copies=False):
        yield Violation(f"{what} name {name!r} is already used by {key}[{first}]",
                        (key, i, "name"))


@rule(
    "plate.rows.unique-names",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="No two rows of a plate have the same name.",
    versions=("0.4", "0.5", "0.6"),
)
def rows_name_unique(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `name` MUST contain only alphanumeric characters, MUST be case-sensitive, and MUST
    NOT be a duplicate of any other `name` in the `rows` list.

    Compared by name, so rows that differ otherwise count as duplicates too."""
    return _unique_names(plate, "rows", "row")


@rule(
    "plate.columns.unique-names",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="No two columns of a plate have the same name.",
    versions=("0.4", "0.5", "0.6"),
)
def columns_name_unique(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `name` MUST contain only alphanumeric characters, MUST be case-sensitive, and MUST
    NOT be a duplicate of any other `name` in the `columns` list.

    Compared by name, so columns that differ otherwise count as duplicates too."""
    return _unique_names(plate, "columns", "column")


def _case_collisions(plate: Any, key: str, what: str) -> Iterator[Violation]:
    first: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(_names(plate.get(key) if isinstance(plate, Mapping) else None)):
        if name is None:
            continue
        folded = name.casefold()
        if folded in first and first[folded][1] != name:
            j, other = first[folded]
            yield Violation(
                f"{what} names {other!r} ({what} {j}) and {name!r} differ only in case: they "
                "collide on case-insensitive file systems",
                (key, i, "name"),
            )
        first.setdefault(folded, (i, name))


@rule(
    "plate.rows.case-collision",
    severity=Severity.WARNING,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="Row names should not differ only in case (they collide on case-insensitive "
    "file systems).",
    versions=("0.4", "0.5", "0.6"),
)
def rows_case_collision(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """Care SHOULD be taken to avoid collisions on case-insensitive filesystems (e.g. avoid
    using both `Aa` and `aA`). (In the rows paragraph.)"""
    return _case_collisions(plate, "rows", "row")


@rule(
    "plate.columns.case-collision",
    severity=Severity.WARNING,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="Column names should not differ only in case (they collide on case-insensitive "
    "file systems).",
    versions=("0.4", "0.5", "0.6"),
)
def columns_case_collision(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """Care SHOULD be taken to avoid collisions on case-insensitive filesystems (e.g. avoid
    using both `Aa` and `aA`). (In the columns paragraph.)"""
    return _case_collisions(plate, "columns", "column")


# -- wells ----------------------------------------------------------------------------------


def _split_path(well: Mapping[str, Any]) -> tuple[str, str] | None:
    path = well.get("path")
    match = _WELL_PATH.match(path) if isinstance(path, str) else None
    return (match.group(1), match.group(2)) if match else None


def _row_and_column(
    well: Mapping[str, Any], rows: Mapping[str, int], columns: Mapping[str, int],
    version: str,
) -> tuple[str, str] | None:
    """The (row, column) names a well's path names, or ``None`` when it names no pair.

    In 0.4 a path in column/row order is read as such (see ``wells_path_row_column``).
    """
    parts = _split_path(well)
    if parts is None:
        return None
    first, second = parts
    if first in rows and second in columns:
        return first, second
    if version == "0.4" and first in columns and second in rows:
        return second, first
    return None


@rule(
    "plate.wells.path-row-column",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="A well path is a row name, '/', and a column name, in that order (0.4: a path in "
    "column/row order is info, as the official 0.4 suites write it).",
    versions=("0.4", "0.5", "0.6"),
)
def wells_path_row_column(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `path` MUST consist of a `name` in the `rows` list, a file separator (`/`), and a
    `name` from the `columns` list, in that order.

    Paths that are not two alphanumeric names joined by '/' are reported by the schema rule
    plate.wells.path-format. Decision: every plate of the official 0.4 suites (which must
    pass, strict ones included) names its wells `<column>/<row>`; in 0.4 a path that is a
    column name and a row name in that order is therefore reported as info, not as an error.
    In 0.5 it is an error (the 0.5 suite's plate/well_path_has_column_before_row)."""
    if not isinstance(plate, Mapping):
        return
    row_names, column_names = _names(plate.get("rows")), _names(plate.get("columns"))
    if not row_names or not column_names:
        return  # the schema reports missing or empty rows and columns
    rows, columns = _name_index(row_names), _name_index(column_names)
    for i, well in _wells(plate):
        parts = _split_path(well)
        if parts is None:
            continue
        first, second = parts
        if first in rows and second in columns:
            continue
        where = ("wells", i, "path")
        if first in columns and second in rows:
            message = (f"well path {well['path']!r} names the column before the row; it must "
                       f"be {second + '/' + first!r} (row/column)")
            severity = Severity.INFO if ctx.version == "0.4" else None
            yield Violation(message, where, severity=severity)
            continue
        problems = []
        if first not in rows:
            problems.append(f"{first!r} is not a row name")
        if second not in columns:
            problems.append(f"{second!r} is not a column name")
        yield Violation(f"well path {well['path']!r}: {' and '.join(problems)}", where)


def _index_in_range(well: Mapping[str, Any], key: str, size: int) -> bool | None:
    """Whether the well's index ``key`` is within a list of ``size``; ``None``: not an index."""
    index = well.get(key)
    if not is_int(index) or index < 0:
        return None  # the schema reports a missing, non-integer or negative index
    return bool(index < size)


@rule(
    "plate.wells.indices-in-range",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="A well's rowIndex and columnIndex are indices into the rows and columns lists.",
    versions=("0.4", "0.5", "0.6"),
)
def wells_indices_in_range(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """Each well object MUST contain both a `rowIndex` key whose value MUST be an integer
    identifying the index into the `rows` list and a `columnIndex` key whose value MUST be
    an integer identifying the index into the `columns` list. `rowIndex` and `columnIndex`
    MUST be 0-based."""
    if not isinstance(plate, Mapping):
        return
    sizes = {"rowIndex": ("rows", plate.get("rows")),
             "columnIndex": ("columns", plate.get("columns"))}
    for i, well in _wells(plate):
        for key, (name, entries) in sizes.items():
            if not isinstance(entries, list) or not entries:
                continue  # the schema reports a missing or empty list
            if _index_in_range(well, key, len(entries)) is False:
                yield Violation(
                    f"{key} {well[key]} is out of range: the plate has {len(entries)} {name} "
                    f"(0-based indices 0 to {len(entries) - 1})",
                    ("wells", i, key),
                )


@rule(
    "plate.wells.indices-match-path",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="A well's rowIndex and columnIndex name the same row and column as its path.",
    versions=("0.4", "0.5", "0.6"),
)
def wells_indices_match_path(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """The `rowIndex`, `columnIndex`, and `path` MUST all refer to the same row/column pair.

    Checked only where the path names a row and a column (else plate.wells.path-row-column
    reports it) and the index is in range (else plate.wells.indices-in-range does)."""
    if not isinstance(plate, Mapping):
        return
    rows, columns = _names(plate.get("rows")), _names(plate.get("columns"))
    row_index, column_index = _name_index(rows), _name_index(columns)
    for i, well in _wells(plate):
        pair = _row_and_column(well, row_index, column_index, ctx.version)
        if pair is None:
            continue
        for key, names, name, what in (("rowIndex", rows, pair[0], "row"),
                                       ("columnIndex", columns, pair[1], "column")):
            if not _index_in_range(well, key, len(names)):
                continue
            indexed = names[well[key]]
            if indexed is not None and indexed != name:
                yield Violation(
                    f"{key} {well[key]} is {what} {indexed!r}, but the path "
                    f"{well['path']!r} names {what} {name!r}",
                    ("wells", i, key),
                )


@rule(
    "plate.wells.unique-paths",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="No two wells of a plate have the same path.",
    versions=("0.4", "0.5", "0.6"),
)
def wells_path_unique(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """Each well object MUST contain a `path` key whose value MUST be a string specifying the
    path to the well subgroup. (Two wells with one path would be one subgroup.)

    Compared by path, so wells that differ otherwise (e.g. in their indices) count too."""
    wells = plate.get("wells") if isinstance(plate, Mapping) else None
    for i, path, first in repeated_entries(wells, "path", kind=str, skip_copies=False):
        yield Violation(f"well path {path!r} is already used by wells[{first}]",
                        ("wells", i, "path"))


# -- acquisitions ---------------------------------------------------------------------------


@rule(
    "plate.acquisitions.id-unique",
    severity=Severity.ERROR,
    subject=Subject.PLATE,
    anchor="plate-md",
    summary="No two acquisitions of a plate have the same id.",
    versions=("0.4", "0.5", "0.6"),
)
def acquisitions_id_unique(plate: Any, ctx: DocContext) -> Iterator[Violation]:
    """Each acquisition object MUST contain an `id` key whose value MUST be an unique integer
    identifier greater than or equal to 0 within the context of the plate to which fields of
    view can refer to."""
    acquisitions = plate.get("acquisitions") if isinstance(plate, Mapping) else None
    for i, ident, first in repeated_entries(acquisitions, "id", kind=int, skip_copies=False):
        yield Violation(f"acquisition id {ident} is already the id of acquisitions[{first}]",
                        ("acquisitions", i, "id"))


def acquisition_ids(plate: Mapping[str, Any] | None) -> list[int] | None:
    """The integer ids of a plate's acquisitions; ``None`` when it has no acquisitions list."""
    acquisitions = plate.get("acquisitions") if isinstance(plate, Mapping) else None
    if not isinstance(acquisitions, list):
        return None
    return [a["id"] for a in acquisitions if isinstance(a, Mapping) and is_int(a.get("id"))]


# -- the plate against its wells (walk) -----------------------------------------------------


def _found_wells(ctx: PlateContext) -> list[WellSummary]:
    return [w for w in ctx.wells.values() if w.exists and w.is_well]


@rule(
    "plate.field-count.matches-wells",
    severity=Severity.WARNING,
    subject=Subject.PLATE_NODE,
    anchor="plate-md",
    summary="The plate's field_count equals the largest number of fields found in a well.",
    versions=("0.4", "0.5", "0.6"),
)
def field_count_matches_wells(ctx: PlateContext) -> Iterator[Violation]:
    """The `plate` dictionary SHOULD contain a `field_count` key whose value MUST be a positive
    integer defining the maximum number of fields per view across all wells.

    A well with more fields than field_count contradicts it; so does a field_count that no
    well reaches, when every listed well was found (a missing well might have reached it)."""
    plate = ctx.ome.get("plate")
    count = plate.get("field_count") if isinstance(plate, Mapping) else None
    found = _found_wells(ctx)
    if not is_int(count) or count < 1 or not found:
        return
    largest = max(found, key=lambda w: len(w.images))
    most = len(largest.images)
    if most > count:
        yield Violation(f"field_count is {count}, but well {largest.node!r} has {most} fields",
                        ("plate", "field_count"))
    elif most < count and ctx.complete and len(found) == len(ctx.wells):
        yield Violation(f"field_count is {count}, but no well has more than {most} fields",
                        ("plate", "field_count"))


@rule(
    "plate.acquisitions.maximumfieldcount-respected",
    severity=Severity.WARNING,
    subject=Subject.PLATE_NODE,
    anchor="plate-md",
    summary="No well has more fields of an acquisition than its maximumfieldcount.",
    versions=("0.4", "0.5", "0.6"),
)
def maximumfieldcount_respected(ctx: PlateContext) -> Iterator[Violation]:
    """Each acquisition object SHOULD contain a `maximumfieldcount` key whose value MUST be a
    positive integer indicating the maximum number of fields of view for the acquisition.

    Decision: the maximum is per well (the spec's example plate has two acquisitions of
    `maximumfieldcount` 2 and a field_count of 4). With a single acquisition, fields that
    name none belong to it."""
    plate = ctx.ome.get("plate")
    acquisitions = plate.get("acquisitions") if isinstance(plate, Mapping) else None
    if not isinstance(acquisitions, list):
        return
    only = acquisition_ids(plate) if len(acquisitions) == 1 else None
    default = only[0] if only else None
    # Fields per (acquisition, well), counted in one pass over the wells: a pass over every
    # well for each acquisition would be quadratic on a plate with many of both.
    per_acquisition: dict[int | float, list[tuple[str, int]]] = {}
    for well in _found_wells(ctx):
        counts: dict[int | float, int] = {}
        for a in well.acquisitions:
            a = default if a is None else a
            if isinstance(a, int | float) and not isinstance(a, bool):
                counts[a] = counts.get(a, 0) + 1
        for a, fields in counts.items():
            per_acquisition.setdefault(a, []).append((well.node, fields))
    checked: set[tuple[int, int]] = set()
    for i, acquisition in enumerate(acquisitions):
        if not isinstance(acquisition, Mapping):
            continue
        ident, limit = acquisition.get("id"), acquisition.get("maximumfieldcount")
        if not is_int(ident) or not is_int(limit) or limit < 1 or (ident, limit) in checked:
            continue
        checked.add((ident, limit))
        for node, fields in per_acquisition.get(ident, ()):
            if fields > limit:
                yield Violation(
                    f"well {node!r} has {fields} fields of acquisition {ident}, more than "
                    f"its maximumfieldcount {limit}",
                    ("plate", "acquisitions", i, "maximumfieldcount"),
                )


@rule(
    "plate.wells.exist",
    severity=Severity.ERROR,
    subject=Subject.PLATE_NODE,
    anchor="plate-md",
    summary="Every well the plate lists exists as a well group.",
    versions=("0.4", "0.5", "0.6"),
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
        elif summary.readable and not summary.is_well:
            yield Violation(f"{path!r} exists but has no \"well\" metadata",
                            ("plate", "wells", i, "path"))


@rule(
    "plate.rows.group-exists",
    severity=Severity.ERROR,
    subject=Subject.PLATE_NODE,
    anchor="hcs-layout",
    summary="Each row of wells is a Zarr group between the plate and its wells.",
    versions=("0.4", "0.5", "0.6"),
)
def row_groups_exist(ctx: PlateContext) -> Iterator[Violation]:
    """Three groups MUST be defined above the images: [...] the group above the well defines
    a row of wells [...]. (A row group with no group metadata is not a Zarr group: in Zarr v3
    there are no implicit groups, in v2 a group has a ``.zgroup``.)"""
    plate = ctx.ome.get("plate")
    wells = plate.get("wells") if isinstance(plate, Mapping) else None
    if not isinstance(wells, list):
        return
    # Rows with at least one well found, indexed once (a scan of every well for each well
    # made this rule quadratic: 10k wells took 8 s).
    found_rows = {p.split("/", 1)[0] for p, w in ctx.wells.items() if w.exists}
    reported: set[str] = set()
    for i, well in enumerate(wells):
        path = well.get("path") if isinstance(well, Mapping) else None
        if not isinstance(path, str) or "/" not in path:
            continue
        row = path.split("/", 1)[0]
        if ctx.row_groups.get(row, True) or row in reported:
            continue
        if row not in found_rows:
            continue  # the whole row is gone: the missing wells say it already
        reported.add(row)
        yield Violation(f"the row group {row!r} above well {path!r} has no Zarr group "
                        "metadata", ("plate", "wells", i, "path"))
