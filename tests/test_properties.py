"""Property tests: valid metadata mutated at random -- a subtree replaced by any JSON value, a
key removed, a list emptied -- never makes the validator raise, and every finding's JSON pointer
resolves in the document it names (a finding must point at something the user can find).

Two levels: single attributes documents (``validate_document``) and whole hierarchies in memory
(``avalidate`` on a dict store), whose array documents are mutated too.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.casekit import image_tree, plate_tree
from validator.document import validate_document
from validator.engine import avalidate
from validator.errors import CouldNotValidate
from validator.model import Finding
from validator.options import Options

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
#: Values that have broken validators before (issue 14): odd digits, huge numbers, long strings.
HOSTILE = st.sampled_from(["<u\u00b2", "<f" + "9" * 5000, "r" + "9" * 5000, 10**300, -1,
                           "NaN", "", "../..", "%2e%2e", "a/../b", [], {}, [[]], 2**64])

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = doc
        for token in path[:-1]:
            parent = parent[token]
        action = draw(st.sampled_from(["replace", "hostile", "delete"]))
        if action == "delete":
            del parent[path[-1]]
        else:
            # A copy: HOSTILE's lists and objects are shared constants, never to be mutated.
            parent[path[-1]] = copy.deepcopy(draw(JSON if action == "replace" else HOSTILE))
    return doc


def resolve(document: Any, ptr: str) -> bool:
    """Whether RFC 6901 pointer ``ptr`` names a value in ``document``."""
    if ptr == "":
        return True
    if not ptr.startswith("/"):
        return False
    value = document
    for raw in ptr[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return False
    return True


def _attributes(tree: dict[str, Any], key: str) -> Any:
    return tree[key]["attributes"] if key.endswith("zarr.json") else tree[key]


DOCUMENTS = {
    "image-0.5": image_tree("0.5")["zarr.json"],
    "image-0.4": image_tree("0.4")[".zattrs"],
    "plate-0.5": plate_tree("0.5")["zarr.json"],
    "plate-0.4": plate_tree("0.4")[".zattrs"],
    "well-0.5": plate_tree("0.5")["A/1/zarr.json"],
}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(DOCUMENTS)))
def test_document_checks_never_raise_and_point_into_the_document(data: st.DataObject,
                                                                 name: str) -> None:
    doc = data.draw(mutated(DOCUMENTS[name]))
    # Through the bytes, as a user's file arrives: serialisable, or not JSON at all.
    text = json.dumps(doc)
    try:
        report = validate_document(text)
    except CouldNotValidate as exc:
        # The refusals --document makes: a mutation removed every OME key, made it an array's
        # metadata, or left no version to check against; said in words, never a traceback.
        assert any(w in str(exc) for w in ("OME-NGFF metadata", "array", "--ngff-version")), exc
        return
    for finding in report.findings:
        assert resolve(doc, finding.pointer), (finding.rule, finding.pointer, finding.message)


def _hierarchy_findings(tree: dict[str, Any]) -> list[Finding]:
    store = {key: json.dumps(value).encode() for key, value in tree.items()}
    report = asyncio.run(avalidate(store, options=Options(concurrency=4)))
    return report.findings


TREES = {"image-0.5": image_tree("0.5"), "image-0.4": image_tree("0.4"),
         "plate-0.5": plate_tree("0.5", rows=1, columns=2, fields=1)}


@SETTINGS
@given(data=st.data(), name=st.sampled_from(sorted(TREES)))
def test_walk_never_raises_and_points_into_documents(data: st.DataObject, name: str) -> None:
    tree = copy.deepcopy(TREES[name])
    key = data.draw(st.sampled_from(sorted(tree)))
    tree[key] = data.draw(mutated(tree[key]))
    try:
        findings = _hierarchy_findings(tree)
    except Exception as exc:  # CouldNotValidate is an answer, not a crash
        from validator.errors import CouldNotValidate

        assert isinstance(exc, CouldNotValidate), repr(exc)
        return
    for finding in findings:
        if not finding.document:
            continue
        path = f"{finding.node}/{finding.document}" if finding.node else finding.document
        assert path in tree, (finding.rule, path)
        assert resolve(tree[path], finding.pointer), (finding.rule, path, finding.pointer,
                                                      finding.message)
