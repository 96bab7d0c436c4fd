"""Data-driven rule fixtures: ``tests/cases/<rule id>/<pass|fail>-<version>[-what].json``.

Each case is a small JSON file:

``tree``
    the dataset as ``{relative file path: JSON value}`` (a string value is written as raw
    text, for broken documents). The case runs the full walk on it.
``document``
    instead of ``tree``: one attributes document, run through ``validate_document``.
``zip``
    instead of ``tree``: a ZIP archive (single-file OME-Zarr), written by stdlib ``zipfile``
    from its entries and patched where the case needs it to lie (format in tests/zipkit.py).
    The case validates the archive file.
``version``
    "0.4", "0.5" or "0.6" (must match the file name); ``strict`` (optional) runs with --strict.
``options``
    optional: more keyword options of the walk (``Options`` fields, e.g.
    ``{"verify_consolidated": true}``).
``expect``
    findings that must be reported: ``{"rule", "node", "pointer"}`` (``node`` and ``pointer``
    optional, ``severity`` optional). A ``fail-*`` case must report its folder's rule.
``valid``
    optional: the expected verdict.

A ``pass-*`` case must not report its folder's rule at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class RuleCase:
    rule: str
    name: str
    path: Path
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.name}"

    @property
    def passing(self) -> bool:
        return self.name.startswith("pass")

    @property
    def version(self) -> str:
        return str(self.data["version"])


def load_cases() -> list[RuleCase]:
    cases = []
    for path in sorted(CASES_DIR.glob("*/*.json")):
        data = json.loads(path.read_text())
        cases.append(RuleCase(rule=path.parent.name, name=path.stem, path=path, data=data))
    return cases


def materialize(tree: dict[str, Any], root: Path) -> Path:
    """Write a case's tree below ``root``."""
    for rel, value in tree.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, str):
            target.write_text(value)
        else:
            target.write_text(json.dumps(value))
    root.mkdir(parents=True, exist_ok=True)
    return root
