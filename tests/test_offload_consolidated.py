"""Documents taken from consolidated metadata are checked off the event loop when they are
big, like fetched ones (issue 14): a plate listing thousands of wells inside a root's
consolidated metadata is no longer checked inline, stalling every other walk."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from bench.cpu import DictStore
from tests.casekit import ome_of, plate_tree
from tests.cases._gen_consolidated import consolidate
from validator import document
from validator.engine import avalidate
from validator.options import Options
from validator.walk import core, offload


def _store(wells_listed: int) -> DictStore:
    """A consolidated 0.5 plate of one well whose well document lists ``wells_listed``
    images (only the first exists): the well's document, taken from the root's consolidated
    metadata, holds ~2 values per image."""
    tree = plate_tree("0.5", rows=1, columns=1, fields=1)
    well = ome_of(tree, "A/1", "0.5")["well"]
    well["images"] = [{"path": str(i)} for i in range(wells_listed)]
    tree = consolidate(tree, "0.5")
    return DictStore({key: json.dumps(value).encode() for key, value in tree.items()})


@pytest.mark.parametrize(("listed", "off"), [(1, False), (6000, True)])
def test_big_consolidated_documents_are_checked_in_a_worker_thread(
        monkeypatch: pytest.MonkeyPatch, listed: int, off: bool) -> None:
    threads: dict[str, str] = {}
    check = document.check_attributes

    def spy(attributes: Any, version: str, node: str = "", **kwargs: Any) -> Any:
        threads[node] = threading.current_thread().name
        return check(attributes, version, node, **kwargs)

    monkeypatch.setattr(core, "check_attributes", spy)
    store = _store(listed)
    report = asyncio.run(avalidate("memory://plate", store=store,
                                   options=Options(fields="first")))
    assert store.stats.requests == 1  # the root zarr.json: everything is inside
    assert report.complete
    main = threading.main_thread().name
    # (The root's own checks follow the size of its zarr.json, which holds the copies.)
    assert (threads["A/1"] != main) is off, threads
    # The same line as for a fetched document: the well's document, written out, is as
    # large as a fetched one checked off the loop (64 KiB) -- or far below it.
    copied = json.loads(store.docs["zarr.json"])["consolidated_metadata"]["metadata"]["A/1"]
    assert (len(json.dumps(copied)) >= offload.LARGE_DOCUMENT) is off


def test_is_large_counts_values_up_to_the_limit() -> None:
    assert not offload.is_large({"a": [1, 2, {"b": None}]}, limit=7)
    assert offload.is_large({"a": [1, 2, {"b": None}]}, limit=6)
    assert offload.is_large([[0] * 10**6], limit=100)  # stops early on anything big
    assert not offload.is_large("text", limit=2)
