"""CPU cost of checking documents, without a network: documents per second on one core.

Two measures per plate version:

* ``checks``: parse + schemas + document rules of every group document and the array rules
  of every array document, called directly (what each document costs the validator itself);
* ``walk``: the whole walk (discovery, bookkeeping, node rules, report) over an in-memory
  store that answers at once, so only our own CPU counts.

Times are CPU seconds of this process (``time.process_time``), best of ``repeat``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.document import check_attributes, parse_json
from validator.engine import avalidate
from validator.options import Options
from validator.rules import RULES, ArrayContext, Subject
from validator.stores import StoreStats
from validator.zarrmeta import array_info_v2, array_info_v3

_NAMES = {".zattrs", ".zgroup", ".zarray", "zarr.json"}


class DictStore:
    """An in-memory store that answers at once (no thread, no I/O)."""

    def __init__(self, docs: dict[str, bytes]) -> None:
        self.docs = docs
        self.stats = StoreStats()

    def url(self, key: str) -> str:
        return f"memory://bench/{key}"

    async def get(self, key: str) -> bytes | None:
        self.stats.requests += 1
        data = self.docs.get(key)
        if data is not None:
            self.stats.bytes += len(data)
        return data

    async def close(self) -> None:
        return None


def load(root: Path) -> dict[str, bytes]:
    docs: dict[str, bytes] = {}
    for directory, _, files in os.walk(root):
        rel = os.path.relpath(directory, root)
        rel = "" if rel == "." else rel.replace(os.sep, "/")
        for name in files:
            if name in _NAMES:
                with open(os.path.join(directory, name), "rb") as f:
                    docs[f"{rel}/{name}" if rel else name] = f.read()
    return docs


@dataclass
class CpuResult:
    version: str
    measure: str
    documents: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else float("inf")


def _checks(docs: dict[str, bytes], version: str) -> int:
    """Parse and check every document the walk would read; returns how many."""
    n = 0
    array_rules = RULES.for_subject(Subject.ARRAY_NODE, version)
    for key, data in docs.items():
        node, _, name = key.rpartition("/")
        if version == "0.4" and name == ".zattrs" and f"{node}/.zarray".lstrip("/") in docs:
            continue  # an array's .zattrs: not read
        if version == "0.4" and name == ".zgroup":
            parse_json(data, 128)
            n += 1
            continue
        value, _ = parse_json(data, 128)
        n += 1
        if name == ".zarray" or (name == "zarr.json" and value.get("node_type") == "array"):
            info = array_info_v2(node, value) if name == ".zarray" else array_info_v3(node, value)
            ctx = ArrayContext(node, version, info.zarr_format, value, info)
            for rule in array_rules:
                assert rule.check is not None
                list(rule.check(ctx))
            continue
        attrs = value.get("attributes", {}) if name == "zarr.json" else value
        if not attrs and node.count("/") == 0 and node:
            continue  # a row group
        check_attributes(attrs, version, node)
    return n


def _walk(docs: dict[str, bytes]) -> tuple[int, dict[str, Any]]:
    store = DictStore(docs)
    report = asyncio.run(avalidate("memory://bench", store=store, options=Options()))
    return report.stats.documents, report.to_dict()["counts"]


def measure(root: Path, version: str, repeat: int = 3) -> list[CpuResult]:
    docs = load(root)
    results = []
    for name, func in (("checks", lambda: _checks(docs, version)),
                       ("walk", lambda: _walk(docs)[0])):
        func()  # warm up: compile validators, fill caches
        best = float("inf")
        count = 0
        for _ in range(repeat):
            started = time.process_time()
            count = func()
            best = min(best, time.process_time() - started)
        results.append(CpuResult(version, name, count, best))
    return results


def measure_big_plate(version: str, wells: int = 100_000) -> list[CpuResult]:
    """The plate of issue 14: one root document listing ``wells`` wells (200 x 500) and no
    well groups. ``checks``: that document's parse and checks; ``walk``: the whole walk (a
    request and a finding per missing well). ``documents`` counts wells here."""
    from validator.testing.plates import plate_document

    data = plate_document("0.5" if version == "0.5" else "0.4", wells)
    docs = {"zarr.json": data} if version == "0.5" else {".zattrs": data,
                                                          ".zgroup": b'{"zarr_format": 2}'}

    def checks() -> int:
        value, _ = parse_json(data, 128)
        check_attributes(value.get("attributes", value) if version == "0.5" else value,
                         version)
        return wells

    results = []
    for name, func in ((f"checks-{wells // 1000}k-wells", checks),
                       (f"walk-{wells // 1000}k-wells", lambda: _walk(docs) and wells)):
        started = time.process_time()
        count = func()
        results.append(CpuResult(version, name, int(count), time.process_time() - started))
    return results


if __name__ == "__main__":
    import sys

    from bench.harness import PlateSpec, plate

    for v in ("0.4", "0.5"):
        files = plate(PlateSpec(v))
        for r in measure(files.root, v) + measure_big_plate(v):
            print(json.dumps({"version": r.version, "measure": r.measure,
                              "documents": r.documents, "cpu_s": round(r.seconds, 3),
                              "documents_per_s": round(r.per_second)}))
    sys.exit(0)
