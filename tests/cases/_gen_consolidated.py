"""Generate the cases of zarr.consolidated.matches (consolidated metadata agrees with the tree).

    python -m tests.cases._gen_consolidated

Zarr v2: ``.zmetadata`` beside the root ``.zgroup``; Zarr v3: ``consolidated_metadata`` inline
in the root ``zarr.json``, both as zarr-python writes them.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.casekit import Tree, image_tree, write_case

VERSIONS = ("0.4", "0.5")
RULE = "zarr.consolidated.matches"


def consolidate(tree: Tree, version: str) -> Tree:
    """``tree`` with consolidated metadata copying every metadata document."""
    out = copy.deepcopy(tree)
    if version == "0.4":
        out[".zmetadata"] = {"metadata": {k: copy.deepcopy(v) for k, v in sorted(tree.items())},
                             "zarr_consolidated_format": 1}
        return out
    nodes = {k.rpartition("/")[0]: copy.deepcopy(v) for k, v in sorted(tree.items())
             if k.endswith("zarr.json") and k != "zarr.json"}
    out["zarr.json"]["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                                 "metadata": nodes}
    return out


def copies(tree: Tree, version: str) -> dict[str, Any]:
    if version == "0.4":
        metadata: dict[str, Any] = tree[".zmetadata"]["metadata"]
    else:
        metadata = tree["zarr.json"]["consolidated_metadata"]["metadata"]
    return metadata


def case(name: str, version: str, tree: Tree, description: str, options: dict[str, Any],
         expect: list[dict[str, Any]] | None = None) -> None:
    data: dict[str, Any] = {"description": description, "options": options, "tree": tree}
    if expect:
        data["expect"] = expect
    write_case(RULE, name, version, data)


def generate() -> None:
    for v in VERSIONS:
        level0 = "0/.zarray" if v == "0.4" else "0/zarr.json"
        level1_key = "1/.zarray" if v == "0.4" else "1"
        doc = ".zarray" if v == "0.4" else "zarr.json"
        good = consolidate(image_tree(v), v)
        case(f"pass-{v}", v, good, "every document agrees with its consolidated copy "
             "(verified)", {"verify_consolidated": True})

        differs = copy.deepcopy(good)
        copy_key = level0 if v == "0.4" else "0"
        copies(differs, v)[copy_key]["shape"][0] = 32
        case(f"fail-{v}-differs", v, differs, "the consolidated copy of level 0 has another "
             "shape than its document", {"verify_consolidated": True},
             [{"rule": RULE, "node": "0", "document": doc, "pointer": "/shape/0",
               "severity": "warning"}])

        missing = copy.deepcopy(good)
        del copies(missing, v)[level1_key]
        case(f"fail-{v}-missing", v, missing, "level 1 exists but is missing from the "
             "consolidated metadata (found without --verify-consolidated)", {},
             [{"rule": RULE, "node": "1", "document": doc, "pointer": ""}])


if __name__ == "__main__":
    generate()
