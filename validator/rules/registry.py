"""The rule registry: every check is a small generator function registered with a stable id.

A rule is registered with :func:`rule` on a *subject*, which says what the check receives:

* ``Subject.<KEY>`` document subjects (``MULTISCALES``, ``OMERO``, ``LABELS``, ``IMAGE_LABEL``,
  ``PLATE``, ``WELL``, ``BIOFORMATS2RAW``, ``SERIES``, ``OME``): the check is called as
  ``check(value, ctx)`` with the value stored under that key of the OME metadata (for ``OME``,
  the whole OME metadata object) and a :class:`~validator.rules.context.DocContext`. These
  need one document only, so they run in ``validate_document`` as well as in a walk.
* node subjects (``IMAGE_NODE``, ``LABELS_NODE``, ``PLATE_NODE``, ``WELL_NODE``,
  ``ARRAY_NODE``, ``BIOFORMATS2RAW_NODE``, ``LINKS_NODE``): the check is called as
  ``check(ctx)`` with a
  context object from :mod:`validator.rules.context` that carries what the walk fetched
  around the node (array metadata, summaries of child nodes). These run only in a walk.

Checks yield :class:`Violation` objects; the engine turns them into findings, adding the rule
id, severity, node, document, JSON pointer and spec link. Rule ids are API: never rename one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from validator import versions as ngff
from validator.model import Severity


def spec_url(version: str, anchor: str) -> str:
    """The link to a section of the specification of ``version``."""
    try:
        return ngff.get(version).spec_url(anchor)
    except KeyError:
        return f"{ngff.SPEC_SITE}/{version}/#{anchor}"


class Subject(enum.StrEnum):
    # Document subjects: the value is ``ome[key]`` (or the whole OME object for OME).
    OME = "ome"
    MULTISCALES = "multiscales"
    OMERO = "omero"
    LABELS = "labels"
    IMAGE_LABEL = "image-label"
    PLATE = "plate"
    WELL = "well"
    BIOFORMATS2RAW = "bioformats2raw.layout"
    SERIES = "series"
    SCENE = "scene"
    # Node subjects: the check receives a node context built by the walk.
    IMAGE_NODE = "image-node"
    LABELS_NODE = "labels-node"
    PLATE_NODE = "plate-node"
    WELL_NODE = "well-node"
    ARRAY_NODE = "array-node"
    BIOFORMATS2RAW_NODE = "bioformats2raw-node"
    LINKS_NODE = "links-node"
    HIERARCHY = "hierarchy"

    @property
    def is_document(self) -> bool:
        return self in _DOCUMENT_SUBJECTS


_DOCUMENT_SUBJECTS = frozenset(
    {
        Subject.OME,
        Subject.MULTISCALES,
        Subject.OMERO,
        Subject.LABELS,
        Subject.IMAGE_LABEL,
        Subject.PLATE,
        Subject.WELL,
        Subject.BIOFORMATS2RAW,
        Subject.SERIES,
        Subject.SCENE,
    }
)

PathToken = str | int


@dataclass(frozen=True, slots=True)
class Violation:
    """What a check yields: a message and where.

    ``path`` is a sequence of JSON tokens. For document subjects it is relative to the value
    the check received (the engine prefixes the key and the document's base pointer). For node
    subjects it is relative to the OME metadata object of the node being checked, unless
    ``node`` names another node: then ``path`` is relative to that node's metadata document
    (for an array: its ``zarr.json`` or ``.zarray``; for a group: its OME metadata object).
    ``severity`` overrides the rule's severity where one rule covers a MUST and a SHOULD
    case that the spec states in the same sentence (use sparingly). ``document`` names a
    document of ``node`` that is not its metadata (e.g. ``METADATA.ome.xml``); the finding
    then has an empty pointer unless ``path`` is given.
    """

    message: str
    path: tuple[PathToken, ...] = ()
    node: str | None = None
    severity: Severity | None = None
    document: str | None = None


CheckResult = Iterable[Violation]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    versions: frozenset[str]
    anchor: str
    summary: str
    subject: Subject | None
    check: Callable[..., CheckResult] | None = field(compare=False, default=None)
    doc: str = ""
    #: Anchors that differ by version (0.4's "label-md" became part of 0.5's "labels-md").
    anchors: Mapping[str, str] = field(default_factory=dict, compare=False)

    def spec(self, version: str | None) -> str:
        if version is None or version not in self.versions:
            version = ngff.newest(self.versions)
        return spec_url(version, self.anchors.get(version, self.anchor))

    def applies_to(self, version: str) -> bool:
        return version in self.versions

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "versions": sorted(self.versions),
            "spec": self.spec(None),
            "summary": self.summary,
            "kind": "schema" if self.check is None else self.subject.value if self.subject else "",
        }


class RuleRegistry:
    """An ordered table of rules by id, with lookups by subject and version."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._by_subject: dict[tuple[Subject, str], list[Rule]] = {}

    def add(self, rule: Rule) -> Rule:
        existing = self._rules.get(rule.id)
        if existing is not None:
            # Schema rules are declared by the schemas and again, with the same metadata, by
            # the catalogue; anything else registering an id twice is a programming error.
            if existing.check is None and rule.check is None:
                return existing
            raise ValueError(f"rule id registered twice: {rule.id}")
        self._rules[rule.id] = rule
        if rule.subject is not None and rule.check is not None:
            for version in rule.versions:
                self._by_subject.setdefault((rule.subject, version), []).append(rule)
        return rule

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def get(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)

    def for_subject(self, subject: Subject, version: str) -> list[Rule]:
        return self._by_subject.get((subject, version), [])


RULES = RuleRegistry()


def rule(
    rule_id: str,
    *,
    severity: Severity,
    subject: Subject,
    anchor: str,
    summary: str,
    versions: Iterable[str] = (),
    zarr_formats: Iterable[int] = (),
    anchors: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., CheckResult]], Callable[..., CheckResult]]:
    """Register a check function as the rule ``rule_id``.

    The function's docstring must quote the sentence of the spec it enforces. A rule names
    the NGFF ``versions`` it applies to; a rule about a Zarr format's own documents names the
    ``zarr_formats`` instead, and applies to every release stored in one of them.
    """
    applies = _applies(rule_id, versions, zarr_formats)

    def decorate(func: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
        RULES.add(
            Rule(
                id=rule_id,
                severity=severity,
                versions=applies,
                anchor=anchor,
                summary=summary,
                subject=subject,
                check=func,
                doc=(func.__doc__ or "").strip(),
                anchors=dict(anchors or {}),
            )
        )
        return func

    return decorate


def declare(
    rule_id: str,
    *,
    severity: Severity,
    anchor: str,
    summary: str,
    versions: Iterable[str] = (),
    zarr_formats: Iterable[int] = (),
    doc: str = "",
    anchors: Mapping[str, str] | None = None,
) -> Rule:
    """Declare a rule enforced by the engine itself or by a JSON Schema (no check function)."""
    return RULES.add(
        Rule(
            id=rule_id,
            severity=severity,
            versions=_applies(rule_id, versions, zarr_formats),
            anchor=anchor,
            summary=summary,
            subject=None,
            check=None,
            doc=doc,
            anchors=dict(anchors or {}),
        )
    )


def _applies(rule_id: str, versions: Iterable[str], zarr_formats: Iterable[int]) -> frozenset[str]:
    """The versions a rule applies to: named, or every release stored in a ``zarr_formats``."""
    named = frozenset(versions)
    formats = tuple(zarr_formats)
    if formats:
        if named:
            raise ValueError(f"rule {rule_id}: give versions or zarr_formats, not both")
        named = frozenset(v for f in formats for v in ngff.with_zarr_format(f))
    if not named:
        raise ValueError(f"rule {rule_id} names no version: rules declare the versions they "
                         "apply to")
    return named
