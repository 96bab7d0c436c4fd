"""The walk's memo of document checks (validator.walk.memo): the same report with it and
without it, and it is really used (identical documents are checked once per walk)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.cpu import DictStore
from tests.broken_plate import write_broken_plate
from tests.casekit import ome_of, plate_tree
from tests.cases._gen_consolidated import consolidate
from tests.rule_cases import RuleCase, load_cases, materialize
from tests.zipkit import write_zip
from validator import validate
from validator import versions as ngff
from validator.document import Issue, check_attributes
from validator.engine import avalidate
from validator.model import Report, Severity
from validator.rules import ArrayContext, Subject
from validator.testing import write_plate
from validator.walk import memo
from validator.walk.findings import Findings
from validator.walk.memo import CheckMemo, content_key
from validator.zarrmeta import array_info_v2, array_info_v3

# -- the key -------------------------------------------------------------------------------


def test_key_is_exact_content_and_context() -> None:
    base = content_key("ctx", {"a": 1, "b": [1.0, None]})
    assert base is not None and len(base) == 16
    assert content_key("ctx", {"a": 1, "b": [1.0, None]}) == base
    # What equality in Python conflates, the key does not: types, order, -0.0, context.
    for other in ({"a": True, "b": [1.0, None]}, {"a": 1.0, "b": [1.0, None]},
                  {"a": 1, "b": [1, None]}, {"b": [1.0, None], "a": 1},
                  {"a": 1, "b": [-0.0 + 1.0, None], "c": 0}, {"a": "1", "b": [1.0, None]}):
        assert content_key("ctx", other) != base, other
    assert content_key("other", {"a": 1, "b": [1.0, None]}) != base
    assert content_key(("a", "b"), {}) != content_key(("ab",), {})


def test_large_or_foreign_content_is_not_memoized() -> None:
    assert content_key("c", {"x": "y" * 100}, limit=50) is None
    assert content_key("c", {"x": object()}) is None

    class Sub(dict[str, Any]):
        pass

    assert content_key("c", Sub(a=1)) is None


# -- the cache -----------------------------------------------------------------------------


def test_hits_return_the_first_result() -> None:
    cache = CheckMemo()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, 2]

    assert cache.memoized("c", {"a": 1}, compute, lambda _: True) == (1, 2)
    assert cache.memoized("c", {"a": 1}, compute, lambda _: True) == (1, 2)
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    assert cache.memoized("c", {"a": 2}, compute, lambda _: True) == (1, 2)
    assert len(calls) == 2


def test_results_that_depend_on_more_than_the_content_are_not_kept() -> None:
    cache = CheckMemo()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [1, -1]

    for _ in range(3):
        cache.memoized("c", {}, compute, lambda item: item > 0)
    assert len(calls) == 3 and len(cache) == 0


def test_disabled_computes_every_time() -> None:
    cache = CheckMemo(enabled=False)
    calls: list[int] = []
    for _ in range(3):
        cache.memoized("c", {}, lambda: calls.append(1) or [], lambda _: True)
    assert len(calls) == 3 and cache.hits == 0


def test_bounded_least_recently_used_out() -> None:
    cache = CheckMemo(max_weight=10)
    for i in range(20):
        cache.memoized("c", {"i": i}, lambda: [0, 0], lambda _: True)  # weight 3 each
        assert cache.weight <= 10
    assert len(cache) == 3
    # The most recent stay; an entry used again is not the next one out.
    cache.memoized("c", {"i": 17}, lambda: [1], lambda _: True)
    assert cache.hits == 1
    cache.memoized("c", {"i": 99}, lambda: [], lambda _: True)
    hits = cache.hits
    cache.memoized("c", {"i": 17}, lambda: [1], lambda _: True)
    assert cache.hits == hits + 1
    # A result heavier than the whole memo is not kept (nor does it evict everything).
    kept = len(cache)
    cache.memoized("c", {"big": 1}, lambda: list(range(50)), lambda _: True)
    assert len(cache) == kept == 4 and cache.weight == 10


def test_gives_up_on_a_kind_that_never_repeats() -> None:
    cache = CheckMemo()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return []

    for i in range(memo.PROBE + 10):
        cache.memoized("c", {"i": i}, compute, lambda _: True, kind="unique")
        cache.memoized("c", {"same": 1}, compute, lambda _: True, kind="same")
    assert cache.gave_up("unique") and not cache.gave_up("same")
    assert cache.misses == memo.PROBE + 1  # keyed until given up on; then only checked
    assert len(calls) == memo.PROBE + 10 + 1 and cache.hits == memo.PROBE + 9
    # Given up on, a kind is still checked, each time.
    before = len(calls)
    cache.memoized("c", {"i": 0}, compute, lambda _: True, kind="unique")
    assert len(calls) == before + 1


def test_attribute_issues_are_those_of_check_attributes() -> None:
    attributes = {"ome": {"version": "0.5", "multiscales": [{"datasets": []}]}}
    cache = CheckMemo()
    first = cache.attribute_issues(attributes, "0.5",
                                   lambda: check_attributes(attributes, "0.5", "A/1/0"))
    again = cache.attribute_issues(attributes, "0.5",
                                   lambda: check_attributes(attributes, "0.5", "B/2/1"))
    assert list(first) == check_attributes(attributes, "0.5", "A/1/0") and first
    assert again is first and cache.hits == 1
    # Another version is another context.
    cache.attribute_issues(attributes, "0.6", lambda: check_attributes(attributes, "0.6"))
    assert cache.misses == 2


def test_crashed_checks_are_not_memoized() -> None:
    crashed = Issue("engine.rule-crashed", Severity.ERROR, (), "boom", "", incomplete="x")
    cache = CheckMemo()
    calls: list[int] = []

    def compute() -> list[Issue]:
        calls.append(1)
        return [crashed]

    cache.memoized("c", {}, compute, memo._issue_keeps)
    cache.memoized("c", {}, compute, memo._issue_keeps)
    assert len(calls) == 2


# -- the same reports with and without the memo ----------------------------------------------


@pytest.fixture
def memos(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[CheckMemo]]:
    """The memos of the walks run meanwhile."""
    made: list[CheckMemo] = []

    class Recorded(CheckMemo):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append(self)

    monkeypatch.setattr(memo, "CheckMemo", Recorded)
    yield made


def _comparable(report: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(report.to_dict()))
    data.pop("provenance", None)
    data.get("stats", {}).pop("seconds", None)
    return data


def _both(monkeypatch: pytest.MonkeyPatch, run: Callable[[], Any]
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    monkeypatch.setattr(memo, "ENABLED", True)
    on = _comparable(run())
    monkeypatch.setattr(memo, "ENABLED", False)
    off = _comparable(run())
    monkeypatch.setattr(memo, "ENABLED", True)
    return on, off


def _break_fields(root: Path, fields: dict[str, Callable[[dict[str, Any]], None]]) -> None:
    for node, change in fields.items():
        path = root / node / ("zarr.json" if (root / node / "zarr.json").exists() else ".zattrs")
        doc = json.loads(path.read_text())
        change(doc["attributes"]["ome"] if "attributes" in doc else doc)
        path.write_text(json.dumps(doc))


def _drop_scale(attrs: dict[str, Any]) -> None:
    attrs["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] = [1.0]


def _no_axes(attrs: dict[str, Any]) -> None:
    del attrs["multiscales"][0]["axes"]


def _wrong_array(doc: dict[str, Any]) -> None:
    doc["fill_value"] = "zero"
    if "chunk_grid" in doc:
        doc["chunk_grid"]["configuration"]["chunk_shape"] = [1, 1]
    else:
        doc["chunks"] = [1, 1]


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_plate_reports_identical(version: str, tmp_path: Path, memos: list[CheckMemo],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's plate (smaller), then the same with broken fields: some broken alike (the
    same bytes at several nodes: hits whose findings go to each node), some unlike."""
    root = tmp_path / "plate.zarr"
    write_plate(root, version=version, rows=4, columns=6, fields=2, levels=2)
    on, off = _both(monkeypatch, lambda: validate(str(root)))
    assert on == off
    groups = 1 + 4 + 4 * 6 + 4 * 6 * 2
    assert memos[0].hits > groups  # most groups and arrays are hits
    assert memos[1].hits == 0

    array = ".zarray" if version == "0.4" else "zarr.json"
    _break_fields(root, {"A/1/0": _drop_scale, "B/3/1": _drop_scale, "C/2/0": _drop_scale,
                         "A/2/0": _no_axes, "D/6/1": _no_axes})
    for node in ("A/1/1/s0", "B/2/0/s1", "D/6/0/s1"):
        path = root / node / array
        doc = json.loads(path.read_text())
        _wrong_array(doc)
        path.write_text(json.dumps(doc))
    memos.clear()
    on, off = _both(monkeypatch, lambda: validate(str(root)))
    assert on == off
    assert on["verdict"] == "invalid"
    nodes = {f["node"] for f in on["findings"]}
    assert {"A/1/0", "B/3/1", "C/2/0", "A/2/0", "D/6/1"} <= nodes
    assert {"A/1/1/s0", "B/2/0/s1", "D/6/0/s1"} <= nodes
    assert memos[0].hits > 0 and memos[1].hits == 0
    # Capped findings (counted beyond the cap) and a strict run: the same too.
    on, off = _both(monkeypatch, lambda: validate(str(root), max_findings=5, strict=True))
    assert on == off


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_consolidated_plate_reports_identical(version: str, memos: list[CheckMemo],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents taken from consolidated metadata (no bytes of their own), some broken alike."""
    tree = plate_tree(version, rows=3, columns=4, fields=2)
    for node in ("A/1/0", "B/2/1", "C/4/0"):
        del ome_of(tree, node, version)["multiscales"][0]["axes"]
    docs = {key: json.dumps(value).encode() for key, value in consolidate(tree, version).items()}
    on, off = _both(monkeypatch, lambda: asyncio.run(
        avalidate("memory://plate", store=DictStore(docs))))
    assert on == off and on["verdict"] == "invalid"
    assert on["stats"]["requests"] <= 3  # the root's documents: the others are copies
    assert memos[0].hits > 0 and memos[1].hits == 0


def test_broken_plate_reports_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_broken_plate(tmp_path / "broken.zarr")
    on, off = _both(monkeypatch, lambda: validate(str(root)))
    assert on == off and on["findings"]


#: The rule cases that walk a hierarchy (not those of a single document).
WALK_CASES = [c for c in load_cases() if "document" not in c.data]


@pytest.mark.parametrize("case", WALK_CASES, ids=[c.id for c in WALK_CASES])
def test_rule_case_reports_identical(case: RuleCase, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = case.data
    if "zip" in data:
        root = write_zip(data["zip"], tmp_path)
    else:
        root = materialize(data["tree"], tmp_path / "dataset.zarr")
    options = {"strict": bool(data.get("strict", False)),
               "ngff_version": data.get("ngff_version"), **data.get("options", {})}
    on, off = _both(monkeypatch, lambda: validate(str(root), **options))
    assert on == off


# -- what the memo relies on: the memoized checks do not read the node's path -----------------


def _documents() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(version, name, document) of every metadata document of the walk rule cases."""
    for case in WALK_CASES:
        for rel, value in case.data.get("tree", {}).items():
            name = rel.rpartition("/")[2]
            if isinstance(value, dict) and name in ("zarr.json", ".zattrs", ".zarray"):
                yield case.data.get("ngff_version") or case.version, name, value


def test_document_checks_do_not_depend_on_the_node() -> None:
    checked = 0
    for version, name, doc in _documents():
        if name == ".zarray" or doc.get("node_type") == "array":
            info = (array_info_v2 if name == ".zarray" else array_info_v3)("0", doc)
            here = ArrayContext("0", version, info.zarr_format, doc, info)
            info_b = (array_info_v2 if name == ".zarray" else array_info_v3)("B/3/s1", doc)
            there = ArrayContext("B/3/s1", version, info.zarr_format, doc, info_b)
            findings = Findings(Report("t", None, None), None)
            findings.version = ngff.get(version)
            assert ([(r.id, repr(o)) for r, o in findings.collect(Subject.ARRAY_NODE, here)]
                    == [(r.id, repr(o)) for r, o in findings.collect(Subject.ARRAY_NODE, there)])
        else:
            attrs = doc.get("attributes", {}) if name == "zarr.json" else doc
            if not isinstance(attrs, dict):
                continue
            assert check_attributes(attrs, version, "") == check_attributes(attrs, version,
                                                                            "B/3/labels/x")
        checked += 1
    assert checked > 500
