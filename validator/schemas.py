"""Our JSON Schemas for the OME-NGFF metadata, and the code that loads and runs them.

One schema per metadata kind and version lives in ``schemas/<version>/<kind>.json``, plus
``common.json`` (definitions shared by the image schema) and, for 0.5, the ``ome.json``
envelope. Each schema validates the *attributes object* of a group as stored: the ``.zattrs``
object for 0.4, the ``attributes`` object of ``zarr.json`` (everything under ``ome``) for 0.5.
A kind schema constrains only its own key, so it passes attributes that lack the key.

Subschemas carry custom annotations that turn a JSON Schema error into a finding:

* ``x-rule``: the stable rule id, ``<kind>.<subject>.<check>``;
* ``x-severity``: ``warning`` for a SHOULD; ``info`` for a SHOULD that the official strict
  suites contradict (see the schemas); absent means error, a MUST;
* ``x-spec``: the anchor of the spec section; ``x-summary``: the requirement in one line.

An error takes the rule, severity, anchor and summary of the deepest annotated subschema on
its schema path (the keywords from the root to the failing one, through ``$ref``); with none,
it falls back to ``<kind>.schema`` (tests/test_schemas.py makes sure that never happens).

Two engines run the schemas with the same result: python-jsonschema (``Draft202012Validator``,
always available, the reference) and, when it is installed, jsonschema-rs, which is 20 to
200 times faster. Anything jsonschema-rs cannot report in full goes to the Python engine.
Validators, registries and path lookups are built once and cached.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import pathlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import referencing
from referencing.jsonschema import DRAFT202012

from validator import versions as ngff
from validator.model import Severity
from validator.rules.registry import declare

__all__ = [
    "KINDS",
    "SUPPORTED_VERSIONS",
    "SchemaViolation",
    "registry",
    "schema_dir",
    "schema_id",
    "schema_rules",
    "schema_violations",
]

#: The schema kind (file stem) of each OME metadata key, over every supported release.
KINDS: dict[str, str] = {key: kind for v in ngff.supported() for key, kind in v.kinds.items()}
SUPPORTED_VERSIONS = ngff.ids()
SCHEMA_BASE = "https://ome-zarr-validator.dev/schemas"

_KINDS_BY_VERSION: dict[str, tuple[str, ...]] = {v.id: v.schema_kinds for v in ngff.supported()}
# The spec section of a kind's fallback rule (``<kind>.schema``), for an error outside any
# annotated subschema.
_KIND_ANCHORS = {
    "image": "multiscale-md",
    "omero": "omero-md",
    "labels": "labels-md",
    "label": "labels-md",
    "plate": "plate-md",
    "well": "well-md",
    "bf2raw": "bf2raw",
    "series": "bf2raw",
    "ome": "metadata",  # the envelope of the metadata under "ome"
    "scene": "scene-md",
}
_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}

# How a schema path goes on after a keyword: a name (map keywords), an index (list keywords)
# or straight into one subschema. Any other keyword is the failing one and ends the path.
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
# jsonschema-rs reports these without the branch details a useful message needs.
_PYTHON_ONLY_KEYWORDS = frozenset({"anyOf", "oneOf", "not", "$dynamicRef"})
_VALUE_KEYWORDS = frozenset(
    {"enum", "const", "pattern", "not", "minimum", "maximum", "exclusiveMinimum",
     "exclusiveMaximum"}
)
_MAX_SHOWN = 60  # characters of a value quoted in a message
# The keys that name an entry of a list that must not repeat, by preference.
_NAMING_KEYS = ("name", "path", "label-value", "id")

PathToken = str | int


def _load_rs() -> Any:
    """jsonschema-rs when installed (an optional accelerator), else None."""
    try:
        return importlib.import_module("jsonschema_rs")
    except ImportError:
        return None


_RS: Any = _load_rs()
_ENGINE = "rs" if _RS is not None else "python"


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


@dataclass(frozen=True, slots=True)
class _RawError:
    """An error as either engine reports it, reduced to what a violation is built from.

    ``schema_path`` runs from the schema root to the failing keyword (its last token); the
    Python engine leaves ``$ref`` out of it, jsonschema-rs keeps it. ``missing`` is the key a
    ``required`` error is about.
    """

    schema_path: tuple[PathToken, ...]
    instance_path: tuple[PathToken, ...]
    instance: Any
    missing: str | None
    fallback_message: str


class _NeedsPythonEngine(Exception):
    """jsonschema-rs met an error whose details only the Python engine reports."""


# -- loading -------------------------------------------------------------------------------


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
        # What exists: a release's schemas may land after its record (the kinds it lists
        # are checked by tests/test_schemas.py).
        for path in sorted((schema_dir() / version).glob("*.json")):
            contents = json.loads(path.read_text(encoding="utf-8"))
            expected = schema_id(path.stem, version)
            if contents.get("$id") != expected:
                raise ValueError(f"{path}: $id must be {expected!r}")
            documents[expected] = contents
    return documents


@functools.cache
def registry() -> referencing.Registry[Any]:
    """All our schemas under their ``$id``. Offline: any other URI is unresolvable."""
    resources = [(uri, DRAFT202012.create_resource(doc)) for uri, doc in _documents().items()]
    return referencing.Registry().with_resources(resources).crawl()


@functools.cache
def _rs_registry() -> Any:
    return _RS.Registry(list(_documents().items()))


# -- running -------------------------------------------------------------------------------


class _CompiledSchema:
    """The compiled validators of one schema, and a cache from schema paths to annotations."""

    def __init__(self, kind: str, version: str) -> None:
        self.uri = schema_id(kind, version)
        self.root: dict[str, Any] = _documents()[self.uri]
        self.default = _Annotation(
            rule=f"{kind}.schema", severity=Severity.ERROR,
            anchor=_KIND_ANCHORS.get(kind, "metadata"), summary=""
        )
        self._python: Any = None
        self._rs: Any = None
        self._places: dict[tuple[PathToken, ...], tuple[_Annotation, Mapping[str, Any]]] = {}

    def python_errors(self, attributes: Mapping[str, Any]) -> Iterator[_RawError]:
        # python-jsonschema is imported here, when first needed: a run that jsonschema-rs
        # serves in full never pays for its import (about 0.1 s of start-up).
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
        from jsonschema.exceptions import best_match  # type: ignore[import-untyped, unused-ignore]

        if self._python is None:
            self._python = Draft202012Validator(self.root, registry=registry())
        for error in self._python.iter_errors(attributes):
            # The branch error that came closest to passing names the missing key or the bad
            # value; its paths extend the parent's.
            if error.validator in {"anyOf", "oneOf"} and error.context:
                error = best_match(error.context)
            yield _RawError(
                schema_path=tuple(error.absolute_schema_path),
                instance_path=tuple(error.absolute_path),
                instance=error.instance,
                missing=_missing_key(error.message) if error.validator == "required" else None,
                fallback_message=str(error.message),
            )

    def rs_errors(self, attributes: Mapping[str, Any]) -> list[_RawError]:
        if self._rs is None:
            try:
                self._rs = _RS.validator_for(self.root, registry=_rs_registry())
            except Exception:  # a schema it cannot compile: the Python engine, from now on
                self._rs = False
        if self._rs is False:
            raise _NeedsPythonEngine(())
        errors = []
        for error in self._rs.iter_errors(attributes):
            path = tuple(error.evaluation_path)
            if not path or path[-1] in _PYTHON_ONLY_KEYWORDS:
                raise _NeedsPythonEngine(path)
            missing = error.kind.as_dict().get("property") if path[-1] == "required" else None
            errors.append(
                _RawError(
                    schema_path=path,
                    instance_path=tuple(error.instance_path),
                    instance=error.instance,
                    missing=missing,
                    fallback_message=str(error.message),
                )
            )
        return errors

    def place(self, schema_path: tuple[PathToken, ...]) -> tuple[_Annotation, Mapping[str, Any]]:
        """The annotation in force for an error, and the subschema holding its keyword."""
        found = self._places.get(schema_path)
        if found is None:
            found = _Walk(self.root, self.uri, self.default).run(schema_path)
            self._places[schema_path] = found
        return found

    def violation(self, raw: _RawError) -> SchemaViolation:
        note, holder = self.place(raw.schema_path)
        detail = _detail(raw, holder)
        if note.summary:
            message = f"{note.summary}; {detail}" if detail else note.summary
        else:
            message = raw.fallback_message
        return SchemaViolation(
            rule=note.rule,
            severity=note.severity,
            path=raw.instance_path,
            message=message,
            anchor=note.anchor,
        )


class _Walk:
    """Follows a schema path from the root, keeping the deepest ``x-rule`` annotation seen.

    A ``$ref`` token (jsonschema-rs) is followed where it stands; where the Python engine left
    it out, a token missing from the current node means the node's ``$ref`` comes first.
    """

    def __init__(self, root: Mapping[str, Any], uri: str, default: _Annotation) -> None:
        self.node: Any = root
        self.resolver = registry().resolver(base_uri=uri)
        self.best = _annotation_of(root) or default

    def run(self, schema_path: Sequence[PathToken]) -> tuple[_Annotation, Mapping[str, Any]]:
        if not schema_path:
            return self.best, {}
        *structure, keyword = schema_path
        tokens = iter(structure)
        for token in tokens:
            if token == "$ref" and self._has("$ref"):
                self._follow_ref()
                continue
            self._refs_until(token)
            if not self._has(token):
                return self.best, {}
            self.node = self.node[token]
            if token in _MAP_KEYWORDS or token in _LIST_KEYWORDS:
                name = next(tokens, None)
                try:
                    self.node = self.node[name]
                except (KeyError, IndexError, TypeError):
                    return self.best, {}
            elif token not in _SCHEMA_KEYWORDS:
                return self.best, {}
            self.best = _annotation_of(self.node) or self.best
        self._refs_until(keyword)
        return self.best, self.node if isinstance(self.node, Mapping) else {}

    def _has(self, token: PathToken) -> bool:
        return isinstance(self.node, Mapping) and token in self.node

    def _refs_until(self, token: PathToken) -> None:
        while not self._has(token) and self._has("$ref"):
            self._follow_ref()

    def _follow_ref(self) -> None:
        resolved = self.resolver.lookup(self.node["$ref"])
        self.node, self.resolver = resolved.contents, resolved.resolver
        self.best = _annotation_of(self.node) or self.best


def _annotation_of(node: Any) -> _Annotation | None:
    if not isinstance(node, Mapping) or "x-rule" not in node:
        return None
    return _Annotation(
        rule=node["x-rule"],
        severity=_SEVERITIES[node.get("x-severity", "error")],
        anchor=node.get("x-spec", ""),
        summary=node.get("x-summary", ""),
    )


def _missing_key(message: str) -> str | None:
    """The key of the Python engine's "'key' is a required property"."""
    quoted, sep, _ = message.rpartition(" is a required property")
    if not sep:
        return None
    try:
        key = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted
    return key if isinstance(key, str) else quoted


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

    ``kind`` is a value of :data:`KINDS`, or ``"ome"`` for the 0.5 envelope. Violations come
    sorted by path, then rule id.
    """
    return iter(_violations(kind, version, attributes, _ENGINE))


def _violations(
    kind: str, version: str, attributes: Mapping[str, Any], engine: str
) -> list[SchemaViolation]:
    compiled = _compiled(kind, version)
    if type(attributes) is not dict:
        # Both engines see JSON objects only as dicts: a read-only or custom Mapping would
        # silently pass every check.
        attributes = _as_json(attributes)
    raws: Iterable[_RawError] | None = None
    if engine == "rs" and _RS is not None:
        try:
            raws = compiled.rs_errors(attributes)
        except Exception:  # anything jsonschema-rs cannot do (or report in full), Python can
            raws = None
    if raws is None:
        raws = compiled.python_errors(attributes)
    found = [compiled.violation(raw) for raw in raws]
    found.sort(key=_sort_key)
    return found


def _as_json(value: Any) -> Any:
    """``value`` with every Mapping made a dict and every tuple a list."""
    if isinstance(value, Mapping):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    return value


def _sort_key(violation: SchemaViolation) -> tuple[Any, ...]:
    path = tuple((0, t, "") if isinstance(t, int) else (1, 0, t) for t in violation.path)
    return (path, violation.rule, violation.message)


# -- messages ------------------------------------------------------------------------------


def _detail(raw: _RawError, holder: Mapping[str, Any]) -> str:
    """What was found, in a few words, to follow the rule's summary."""
    keyword = raw.schema_path[-1] if raw.schema_path else ""
    instance = raw.instance
    if keyword == "required":
        return f"'{raw.missing}' is missing" if raw.missing is not None else ""
    if keyword == "type":
        return f"got {_json_type(instance)} {_show(instance)}"
    if keyword in _VALUE_KEYWORDS:
        return f"got {_show(instance)}"
    if keyword in {"minItems", "maxItems"} and isinstance(instance, list):
        return f"got {_count(len(instance), 'item', 'items')}"
    if keyword == "uniqueItems" and isinstance(instance, list):
        return _duplicate(instance)
    if keyword in {"contains", "minContains", "maxContains"} and isinstance(instance, list):
        return f"{_matches(holder.get('contains', True), instance)} found"
    return raw.fallback_message


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:  # a circular structure: not from JSON, but never crash on it
        text = repr(value)
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


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _duplicate(items: Sequence[Any]) -> str:
    """Describe the first repeated entry, by its naming key when it has one."""
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
    """JSON equality as uniqueItems sees it: 1 equals 1.0, but true does not equal 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _matches(contains: Any, items: list[Any]) -> str:
    """How many items match a ``contains`` subschema (ours are small and ref-free)."""
    check = _contains_validator(json.dumps(contains, sort_keys=True))
    return _count(sum(1 for item in items if check.is_valid(item)), "match", "matches")


@functools.lru_cache(maxsize=64)
def _contains_validator(contains: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

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
        prefix = f"{SCHEMA_BASE}/{version}/"
        for uri, document in _documents().items():
            if uri.startswith(prefix):
                for node in _annotated_nodes(document):
                    _merge(merged, node, version)
    return tuple(merged[rule_id] for rule_id in sorted(merged))


def _merge(merged: dict[str, dict[str, Any]], node: Mapping[str, Any], version: str) -> None:
    note = _annotation_of(node)
    if note is None:
        return
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
        raise ValueError(f"schema rule {note.rule} has two severities")
    if version not in entry["versions"]:
        # Versions are visited oldest first: the newest wording and anchor win.
        entry["versions"].append(version)
        entry["anchor"] = note.anchor
        entry["summary"] = note.summary
    entry["anchors"][version] = note.anchor


def schema_rules() -> list[dict[str, Any]]:
    """Every rule declared by an ``x-rule`` annotation, merged by id and sorted by id.

    Each entry has ``id``, ``severity`` (a :class:`Severity`), ``versions`` (sorted list of
    versions whose schemas use the rule), ``anchor`` (the newest version's), ``anchors`` (by
    version: the 0.4 and 0.5 sections of a rule can differ) and ``summary``.
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
            anchors=entry["anchors"],
        )


# So that ``--list-rules`` and the spec links know every schema rule once this module loads.
_declare_all(_rules())
