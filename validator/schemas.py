"""Our JSON Schemas for the OME-NGFF metadata, and the code that loads and runs them.

One schema per metadata kind and version lives in ``schemas/<version>/<kind>.json`` (plus
``common.json`` for shared definitions and, for 0.5, the ``ome.json`` envelope). Each schema
validates the *attributes object* of a group as stored: the ``.zattrs`` object for 0.4, the
``attributes`` object of ``zarr.json`` (with everything under ``ome``) for 0.5.

Subschemas carry custom annotations that turn a JSON Schema error into a finding:

* ``x-rule``: the stable rule id (``<kind>.<subject>.<check>``);
* ``x-severity``: ``warning`` for a SHOULD, ``info`` for a SHOULD that the official strict test
  suites contradict; absent means error (a MUST);
* ``x-spec``: the anchor of the spec section; ``x-summary``: the requirement in one line.

For an error, the deepest annotated subschema on the error's schema path (following ``$ref``)
gives its rule, severity, anchor and summary. Validators and that lookup are built once and
cached, so validating a document costs one pass of the compiled validator.
"""

from __future__ import annotations

import functools
import json
import pathlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    ValidationError,
    best_match,
)
from referencing.jsonschema import DRAFT202012

from validator.model import Severity
from validator.rules.registry import declare

__all__ = [
    "KINDS",
    "SUPPORTED_VERSIONS",
    "SchemaViolation",
    "registry",
    "schema_dir",
    "schema_rules",
    "schema_violations",
]

KINDS: dict[str, str] = {
    "multiscales": "image",
    "omero": "omero",
    "labels": "labels",
    "image-label": "label",
    "plate": "plate",
    "well": "well",
    "bioformats2raw.layout": "bf2raw",
    "series": "series",
}
SUPPORTED_VERSIONS = ("0.4", "0.5")
SCHEMA_BASE = "https://ome-zarr-validator.dev/schemas"

# The kind schemas plus the 0.5 envelope ("ome"), by version.
_ENVELOPE = "ome"
_KINDS_BY_VERSION: dict[str, tuple[str, ...]] = {
    "0.4": tuple(KINDS.values()),
    "0.5": (*KINDS.values(), _ENVELOPE),
}
# The spec section a kind's default rule (``<kind>.schema``) points at.
_KIND_ANCHORS = {
    "image": "multiscale-md",
    "omero": "omero-md",
    "labels": "labels-md",
    "label": "labels-md",
    "plate": "plate-md",
    "well": "well-md",
    "bf2raw": "bf2raw",
    "series": "bf2raw",
    _ENVELOPE: "metadata",
}
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}

# Keywords whose value is a map of name -> subschema, a list of subschemas, or one subschema.
# The schema path of an error alternates keywords with names/indexes accordingly.
_MAP_KEYWORDS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_KEYWORDS = frozenset(
    {
        "items",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "additionalProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_MAX_SHOWN = 60  # characters of a value quoted in a message

PathToken = str | int


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One schema error, as a finding-to-be.

    ``path`` holds JSON tokens into the attributes object (for 0.5 it starts with ``"ome"``).
    """

    rule: str
    severity: Severity
    path: tuple[PathToken, ...]
    message: str
    anchor: str


@dataclass(frozen=True, slots=True)
class _Annotation:
    rule: str
    severity: Severity
    anchor: str
    summary: str


def schema_dir() -> pathlib.Path:
    """The folder holding ``<version>/<kind>.json``.

    From a checkout that is the repository's ``schemas/``; an installed wheel carries a copy
    in ``validator/_schemas`` (``force-include`` in pyproject.toml).
    """
    checkout = pathlib.Path(__file__).resolve().parent.parent / "schemas"
    if (checkout / SUPPORTED_VERSIONS[0]).is_dir():
        return checkout
    return pathlib.Path(__file__).resolve().parent / "_schemas"


def schema_id(kind: str, version: str) -> str:
    """The ``$id`` of our schema for ``kind`` (a file stem such as ``plate``) in ``version``."""
    return f"{SCHEMA_BASE}/{version}/{kind}.json"


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    """Every schema document, by ``$id``; the ``$id`` must match the file's place."""
    documents: dict[str, dict[str, Any]] = {}
    for version in SUPPORTED_VERSIONS:
        for path in sorted((schema_dir() / version).glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            expected = schema_id(path.stem, version)
            if contents.get("$id") != expected:
                raise ValueError(f"{path}: $id must be {expected!r}")
            documents[expected] = contents
    return documents


@functools.cache
def registry() -> referencing.Registry[Any]:
    """All our schemas under their ``$id``. Offline: anything else is unresolvable."""
    resources = [(uri, DRAFT202012.create_resource(doc)) for uri, doc in _documents().items()]
    return referencing.Registry().with_resources(resources).crawl()


class _CompiledSchema:
    """A compiled validator for one schema, plus a cache from schema paths to annotations."""

    def __init__(self, kind: str, version: str) -> None:
        uri = schema_id(kind, version)
        self.kind = kind
        self.root: dict[str, Any] = _documents()[uri]
        self.validator = Draft202012Validator(self.root, registry=registry())
        self.resolver = registry().resolver(base_uri=uri)
        self.default = _Annotation(
            rule=f"{kind}.schema",
            severity=Severity.ERROR,
            anchor=_KIND_ANCHORS[kind],
            summary="",
        )
        self._annotations: dict[tuple[PathToken, ...], _Annotation] = {}

    def annotation(self, schema_path: Sequence[PathToken]) -> _Annotation:
        key = tuple(schema_path)
        found = self._annotations.get(key)
        if found is None:
            found = self._walk(key)
            self._annotations[key] = found
        return found

    def _walk(self, schema_path: tuple[PathToken, ...]) -> _Annotation:
        """Follow ``schema_path`` from the root and keep the deepest ``x-rule`` seen.

        jsonschema leaves ``$ref`` out of schema paths, so when a keyword is not in the
        current node, the node's ``$ref`` is followed first.
        """
        best = _annotation_of(self.root) or self.default
        node: Any = self.root
        resolver = self.resolver
        tokens = iter(schema_path)
        for keyword in tokens:
            while isinstance(node, Mapping) and keyword not in node and "$ref" in node:
                resolved = resolver.lookup(node["$ref"])
                node, resolver = resolved.contents, resolved.resolver
                best = _annotation_of(node) or best
            if not isinstance(node, Mapping) or keyword not in node:
                break
            value = node[keyword]
            if keyword in _MAP_KEYWORDS or keyword in _LIST_KEYWORDS:
                token = next(tokens, None)
                if token is None:
                    break
                try:
                    node = value[token]
                except (KeyError, IndexError, TypeError):
                    break
            elif keyword in _SCHEMA_KEYWORDS:
                node = value
            else:
                break  # the failing keyword itself (required, enum, minItems, ...)
            best = _annotation_of(node) or best
        return best


def _annotation_of(node: Any) -> _Annotation | None:
    if not isinstance(node, Mapping) or "x-rule" not in node:
        return None
    return _Annotation(
        rule=node["x-rule"],
        severity=_SEVERITIES[node.get("x-severity", "error")],
        anchor=node.get("x-spec", ""),
        summary=node.get("x-summary", ""),
    )


@functools.cache
def _compiled(kind: str, version: str) -> _CompiledSchema:
    if version not in _KINDS_BY_VERSION:
        raise ValueError(f"unsupported NGFF version {version!r}")
    if kind not in _KINDS_BY_VERSION[version]:
        raise ValueError(f"no schema for kind {kind!r} in NGFF {version}")
    return _CompiledSchema(kind, version)


def schema_violations(
    kind: str, version: str, attributes: Mapping[str, Any]
) -> Iterator[SchemaViolation]:
    """Validate a group's attributes object against our schema for ``kind`` in ``version``.

    ``kind`` is a value of :data:`KINDS` or ``"ome"`` (the 0.5 envelope). A kind schema only
    looks at its own key, so running it on attributes without that key yields nothing.
    """
    compiled = _compiled(kind, version)
    for error in compiled.validator.iter_errors(attributes):
        yield _violation(compiled, error)


def _violation(compiled: _CompiledSchema, error: ValidationError) -> SchemaViolation:
    # For anyOf/oneOf the interesting part is the branch error that came closest to passing:
    # it names the missing key or the bad value, and its paths extend the parent's.
    shown = error
    if error.validator in {"anyOf", "oneOf"} and error.context:
        shown = best_match(error.context)
    note = compiled.annotation(shown.absolute_schema_path)
    detail = _detail(shown)
    if note.summary:
        message = f"{note.summary}; {detail}" if detail else note.summary
    else:
        message = shown.message
    return SchemaViolation(
        rule=note.rule,
        severity=note.severity,
        path=tuple(shown.absolute_path),
        message=message,
        anchor=note.anchor,
    )


# -- messages ------------------------------------------------------------------------------


def _detail(error: ValidationError) -> str:
    """What was found, in a few words, to follow the rule's summary."""
    keyword = error.validator
    instance = error.instance
    if keyword == "required":
        # One error per missing key; jsonschema names it as "'key' is a required property".
        key, sep, _ = str(error.message).rpartition(" is a required property")
        return f"{key} is missing" if sep else str(error.message)
    if keyword == "type":
        return f"got {_json_type(instance)} {_show(instance)}"
    if keyword in {"enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum",
                   "exclusiveMaximum", "not"}:
        return f"got {_show(instance)}"
    if keyword in {"minItems", "maxItems"}:
        return f"got {_count(len(instance), 'item')}"
    if keyword == "uniqueItems":
        return _duplicate(instance)
    if keyword in {"contains", "minContains", "maxContains"}:
        return f"found {_matches(error.schema.get('contains', True), instance)}"
    return str(error.message)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    return "array"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# The keys that name an entry in the lists that must not repeat, in order of preference.
_NAMING_KEYS = ("name", "path", "label-value", "id")


def _duplicate(items: Sequence[Any]) -> str:
    """Describe the first repeated entry: "name "x" appears 2 times"."""
    for i, item in enumerate(items):
        times = sum(1 for other in items[i:] if _same(item, other))
        if times > 1:
            if isinstance(item, Mapping):
                for key in _NAMING_KEYS:
                    if key in item:
                        return f"{key} {_show(item[key])} appears {times} times"
            return f"{_show(item)} appears {times} times"
    return "an entry appears more than once"


def _same(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0 but True != 1 (as jsonschema's uniqueItems sees it).
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _matches(contains: Any, items: Any) -> str:
    """How many items match a ``contains`` subschema (ours are small and self-contained)."""
    if not isinstance(items, list):
        return "no list"
    check = _contains_validator(json.dumps(contains, sort_keys=True))
    n = sum(1 for item in items if check.is_valid(item))
    return _count(n, "matching entry").replace("entrys", "entries")


@functools.lru_cache(maxsize=64)
def _contains_validator(contains: str) -> Any:
    return Draft202012Validator(json.loads(contains))


# -- the rule catalogue ----------------------------------------------------------------------


def _annotated_nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every subschema of ``node`` (itself included) that carries ``x-rule``."""
    if isinstance(node, Mapping):
        if "x-rule" in node:
            yield node
        for value in node.values():
            yield from _annotated_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _annotated_nodes(value)


@functools.cache
def _rules() -> tuple[dict[str, Any], ...]:
    merged: dict[str, dict[str, Any]] = {}
    for version in SUPPORTED_VERSIONS:
        for uri, document in _documents().items():
            if f"/{version}/" not in uri:
                continue
            for node in _annotated_nodes(document):
                _merge(merged, node, version)
    return tuple(merged[rule_id] for rule_id in sorted(merged))


def _merge(merged: dict[str, dict[str, Any]], node: Mapping[str, Any], version: str) -> None:
    note = _annotation_of(node)
    assert note is not None
    entry = merged.get(note.rule)
    if entry is None:
        merged[note.rule] = {
            "id": note.rule,
            "severity": note.severity,
            "versions": [version],
            "anchor": note.anchor,
            "anchors": {version: note.anchor},
            "summary": note.summary,
        }
        return
    if entry["severity"] is not note.severity:
        raise ValueError(f"rule {note.rule} has different severities in different places")
    if version not in entry["versions"]:
        entry["versions"].append(version)
        # Later versions win: their anchors and wording are the current ones.
        entry["anchor"] = note.anchor
        entry["summary"] = note.summary
    entry["anchors"][version] = note.anchor


def schema_rules() -> list[dict[str, Any]]:
    """Every rule declared by an ``x-rule`` annotation, merged by id and sorted by id.

    Each entry has ``id``, ``severity`` (a :class:`Severity`), ``versions`` (sorted list),
    ``anchor`` (that of the newest version), ``anchors`` (by version) and ``summary``.
    """
    return [
        {**entry, "versions": list(entry["versions"]), "anchors": dict(entry["anchors"])}
        for entry in _rules()
    ]


def _declare_all(entries: Iterable[Mapping[str, Any]]) -> None:
    for entry in entries:
        declare(
            entry["id"],
            severity=entry["severity"],
            anchor=entry["anchor"],
            summary=entry["summary"],
            versions=entry["versions"],
        )


# So that ``--list-rules`` and spec links know the schema rules as soon as this module loads.
_declare_all(_rules())
