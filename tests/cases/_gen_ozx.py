"""Generate the cases of the RFC-9 (single-file OME-Zarr, ``.ozx``) rules.

    python -m tests.cases._gen_ozx

Every case is an archive (the ``zip`` key, tests/zipkit.py) holding a valid 0.5 image (and the
same archive with 0.6 metadata, converted by ``_gen_v06.as_06``) whose
arrays are sharded, written as RFC-9 recommends -- root ``zarr.json`` first, the other
``zarr.json`` files breadth-first, then the chunks; stored; ZIP64; the comment with the
version and ``jsonFirst`` -- with one thing changed per failing case.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.casekit import Tree, image_tree, plate_tree, write_case
from tests.cases._gen_v06 import as_06

VERSION = "0.5"
#: Every case is written for 0.5 and replayed on 0.6 (same archive, 0.6 metadata).
REPLAYS = {"0.6": as_06}
COMMENT = {"ome": {"version": "0.5", "zipFile": {"centralDirectory": {"jsonFirst": True}}}}


def sharded(tree: Tree) -> Tree:
    """``tree`` with every array's codecs wrapped in the sharding codec (one shard)."""
    out = copy.deepcopy(tree)
    for key, doc in out.items():
        if key.endswith("zarr.json") and doc.get("node_type") == "array":
            shape = doc["chunk_grid"]["configuration"]["chunk_shape"]
            doc["codecs"] = [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": [max(1, n // 2) for n in shape],
                "codecs": doc["codecs"],
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                 {"name": "crc32c"}],
                "index_location": "end"}}]
    return out


def entries(tree: Tree, chunks: bool = True) -> list[list[Any]]:
    """Metadata first (breadth-first), then one chunk (shard) per array."""
    names = sorted(tree, key=lambda n: (n.count("/"), n))
    out: list[list[Any]] = [[n, tree[n]] for n in names]
    if chunks:
        for n in names:
            if tree[n].get("node_type") == "array":
                out.append([n.removesuffix("zarr.json") + "c/0/0", "\u0001" * 64])
    return out


def good() -> dict[str, Any]:
    return {"name": "image.ozx", "entries": entries(sharded(image_tree(VERSION))),
            "comment": copy.deepcopy(COMMENT), "zip64": True}


def case(rule: str, name: str, description: str, archive: dict[str, Any],
         expect: list[dict[str, Any]] | None = None, valid: bool | None = None) -> None:
    data: dict[str, Any] = {"description": description, "zip": archive}
    if expect:
        data["expect"] = expect
    if valid is not None:
        data["valid"] = valid
    write_case(rule, name, VERSION, data)
    for version, convert in REPLAYS.items():
        write_case(rule, name.replace(f"-{VERSION}", f"-{version}", 1), version,
                   convert(copy.deepcopy(data)))


def generate() -> None:
    v = VERSION
    # -- ozx.zip.valid ------------------------------------------------------------------
    rule = "ozx.zip.valid"
    case(rule, f"pass-{v}", "a well-formed archive, written as RFC-9 recommends", good(),
         valid=True)
    past = good()
    past["zip64"] = False
    past["comment"] = None
    past["eocd"] = {"cd_offset": 10_000_000}
    case(rule, f"fail-{v}-offset-past-end", "the end record puts the central directory past "
         "the end of the file", past, [{"rule": rule, "severity": "error"}], valid=False)
    count = good()
    count["zip64"] = False
    count["eocd"] = {"total_entries": 60_000, "disk_entries": 60_000}
    case(rule, f"fail-{v}-absurd-count", "the end record claims 60,000 entries in a central "
         "directory of a few hundred bytes", count, [{"rule": rule}])
    overlap = good()
    overlap["point_at"] = [["1/zarr.json", "0/zarr.json"]]
    case(rule, f"fail-{v}-overlapping-entries", "two entries share the same bytes (how "
         "non-recursive zip bombs work)", overlap, [{"rule": rule}], valid=False)
    bomb = good()
    bomb["compressed"] = ["0/zarr.json"]
    bomb["declare"] = {"0/zarr.json": {"file_size": 40}}
    case(rule, f"fail-{v}-size-lie", "a deflated zarr.json inflates to more than its declared "
         "size (read up to the declared size, then the CRC fails)", bomb,
         [{"rule": rule, "node": "0"}], valid=False)

    # -- ozx.hierarchy.single ------------------------------------------------------------
    rule = "ozx.hierarchy.single"
    case(rule, f"pass-{v}", "one hierarchy", good())
    two = good()
    other = sharded(image_tree(v))
    two["entries"] = entries({**sharded(image_tree(v)),
                              **{f"other/image/{k}": d for k, d in other.items()}})
    case(rule, f"fail-{v}-two-images", "a second OME-Zarr image at other/image/, with no group "
         "at other/ connecting it to the root", two,
         [{"rule": rule, "severity": "error"}], valid=False)

    # -- ozx.hierarchy.root --------------------------------------------------------------
    rule = "ozx.hierarchy.root"
    case(rule, f"pass-{v}", "the root zarr.json is the image's", good())
    nested = good()
    nested["entries"] = [[f"image.ome.zarr/{n}", d] for n, d in nested["entries"]]
    case(rule, f"fail-{v}-folder-zipped", "the folder was zipped, not its contents: "
         "everything is below image.ome.zarr/", nested, [{"rule": rule}], valid=False)

    # -- ozx.hierarchy.no-nested-zip -----------------------------------------------------
    rule = "ozx.hierarchy.no-nested-zip"
    case(rule, f"pass-{v}", "no archive inside", good())
    inner = good()
    inner["entries"].append(["extra/inner.ozx", "PK\u0005\u0006" + "\u0000" * 18])
    case(rule, f"fail-{v}", "an .ozx inside the archive", inner, [{"rule": rule}],
         valid=False)

    # -- ozx.archive.single-part ---------------------------------------------------------
    rule = "ozx.archive.single-part"
    case(rule, f"pass-{v}", "one part", good())
    split = good()
    split["zip64"] = False
    split["eocd"] = {"disk": 2, "cd_disk": 0, "disk_entries": 0}
    case(rule, f"fail-{v}-last-part", "the last part of a three-part archive (its central "
         "directory starts in part 1)", split, [{"rule": rule, "severity": "error"}],
         valid=False)

    # -- ozx.zip64.used ------------------------------------------------------------------
    rule = "ozx.zip64.used"
    case(rule, f"pass-{v}", "a ZIP64 end record", good())
    plain = good()
    plain["zip64"] = False
    case(rule, f"fail-{v}", "no ZIP64 end record (a small archive written without forcing "
         "ZIP64)", plain, [{"rule": rule, "severity": "warning"}], valid=True)

    # -- ozx.entries.uncompressed --------------------------------------------------------
    rule = "ozx.entries.uncompressed"
    case(rule, f"pass-{v}", "every entry stored", good())
    deflated = good()
    deflated["compressed"] = ["0/zarr.json", "0/c/0/0"]
    case(rule, f"fail-{v}", "two entries deflated by the archive", deflated,
         [{"rule": rule, "severity": "warning"}], valid=True)

    # -- ozx.arrays.sharded --------------------------------------------------------------
    rule = "ozx.arrays.sharded"
    case(rule, f"pass-{v}", "every array sharded", good())
    unsharded = good()
    unsharded["entries"] = entries(image_tree(v))
    case(rule, f"fail-{v}", "arrays without the sharding codec", unsharded,
         [{"rule": rule, "severity": "warning"}], valid=True)

    # -- ozx.entries.json-first ----------------------------------------------------------
    rule = "ozx.entries.json-first"
    case(rule, f"pass-{v}", "root zarr.json first, the others breadth-first, then chunks",
         good())
    plate = sharded(plate_tree(v, rows=1, columns=2, fields=1))
    case(rule, f"pass-{v}-plate", "a plate: root, row, wells, fields, arrays, breadth-first",
         {**good(), "entries": entries(plate, chunks=False)})
    depth = {**good(), "comment": {"ome": {"version": "0.5"}}}
    depth["entries"] = [[n, plate[n]] for n in sorted(plate, key=lambda n: (n != "zarr.json", n))]
    case(rule, f"fail-{v}-depth-first", "a plate, each well's subtree before the next well "
         "(depth-first)", depth, [{"rule": rule, "severity": "warning"}], valid=True)
    chunk_first = good()
    chunk_first["comment"] = {"ome": {"version": "0.5"}}
    chunk_first["entries"] = chunk_first["entries"][-1:] + chunk_first["entries"][:-1]
    case(rule, f"fail-{v}-chunk-first", "a chunk is the first entry", chunk_first,
         [{"rule": rule}], valid=True)
    directory = good()
    directory["comment"] = {"ome": {"version": "0.5"}}
    names = [e[0] for e in directory["entries"]]
    directory["cd_order"] = names[1:] + names[:1]
    case(rule, f"fail-{v}-central-directory", "the file order is right; the central directory "
         "lists the root zarr.json last", directory, [{"rule": rule}], valid=True)

    # -- ozx.name.extension --------------------------------------------------------------
    rule = "ozx.name.extension"
    case(rule, f"pass-{v}", "named image.ozx", good())
    renamed = good()
    renamed["name"] = "image.ome.zarr.zip"
    case(rule, f"fail-{v}", "named image.ome.zarr.zip", renamed,
         [{"rule": rule, "severity": "warning"}], valid=True)

    # -- ozx.comment.ome-version ---------------------------------------------------------
    rule = "ozx.comment.ome-version"
    case(rule, f"pass-{v}", "the RFC's comment", good())
    for what, comment, description in (
            ("none", None, "no comment"),
            ("not-json", "written by hand", "a comment that is not JSON"),
            ("no-version", {"ome": {}}, "no ome.version"),
            ("other-version", {"ome": {"version": "0.4"}}, "the comment says 0.4; the "
             "hierarchy is 0.5")):
        changed = good()
        changed["comment"] = comment
        case(rule, f"fail-{v}-{what}", description, changed,
             [{"rule": rule, "severity": "warning"}], valid=True)

    # -- ozx.comment.json-first ----------------------------------------------------------
    rule = "ozx.comment.json-first"
    case(rule, f"pass-{v}", "jsonFirst: true, and true", good())
    case(rule, f"pass-{v}-not-claimed", "zarr.json files not first, and the comment does not "
         "claim they are", chunk_first)
    lying = copy.deepcopy(chunk_first)
    lying["comment"] = copy.deepcopy(COMMENT)
    case(rule, f"fail-{v}", "jsonFirst: true, but a chunk is the first entry of the central "
         "directory", lying, [{"rule": rule, "severity": "error"}], valid=False)


if __name__ == "__main__":
    generate()
