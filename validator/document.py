"""Single-document checking: JSON Schema of each metadata kind, then the document rules.

This is what ``validate_document`` exposes and what the walk runs on every group it reads.
Paths here are JSON tokens relative to the *attributes object* (``.zattrs`` in 0.4, the
``attributes`` member of ``zarr.json`` in 0.5 and 0.6); the caller adds the document's base pointer.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from validator import schemas, strictjson
from validator import versions as ngff
from validator.errors import CouldNotValidate
from validator.model import Finding, Report, Severity, pointer
from validator.provenance import now, provenance
from validator.rules import RULES, DocContext, Subject, Violation
from validator.rules.builtin import (
    DOCUMENT_INVALID_JSON,
    DOCUMENT_TOO_DEEP,
    OME_VERSION_UNSUPPORTED,
    RULE_CRASHED,
    VERSION_ABSENT,
    crash_message,
    crash_reason,
)
from validator.rules.registry import Rule, spec_url

log = logging.getLogger(__name__)

SUPPORTED = ngff.ids()
#: Keys of the OME metadata object that make a group an OME-Zarr node (any supported release).
OME_KEYS = tuple(dict.fromkeys(key for v in ngff.supported() for key in v.kinds))


@dataclass(frozen=True, slots=True)
class Issue:
    """A violation located in one document, before it is attached to a node."""

    rule: str
    severity: Severity
    path: tuple[str | int, ...]
    message: str
    spec: str
    #: Set when a check crashed: why the report is incomplete (``Report.mark_incomplete``).
    incomplete: str | None = None

    def finding(self, node: str, document: str, base: str) -> Finding:
        return Finding(
            rule=self.rule,
            severity=self.severity,
            node=node,
            document=document,
            pointer=base + pointer(*self.path),
            message=self.message,
            spec=self.spec,
        )


def parse_json(data: bytes, max_depth: int) -> tuple[Any, str | None]:
    """Parse a JSON document; return ``(value, None)`` or ``(None, problem)``.

    Strict JSON (:mod:`validator.strictjson`): duplicate keys, ``NaN``/``Infinity`` literals,
    numbers beyond a double's range and bytes that are not UTF-8 are problems. A problem is
    a :class:`~validator.strictjson.JsonProblem` when it knows its JSON pointer.
    """
    try:
        value = strictjson.loads(data)
    except RecursionError:
        return None, f"JSON nested deeper than {max_depth} levels"
    except UnicodeDecodeError as exc:
        return None, (f"not valid JSON: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
                      f"offset {exc.start})")
    except json.JSONDecodeError as exc:
        # Line and column first: what a curator needs to find the defect in the file.
        return None, f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except ValueError as exc:
        problem = exc.args[0] if exc.args else ""
        if isinstance(problem, strictjson.JsonProblem):
            return None, problem
        return None, f"not valid JSON: {exc}"
    # Nesting cannot be deeper than the number of opening brackets (those inside strings
    # only add to the count): most documents need no walk at all.
    if isinstance(data, bytes | bytearray) and data.count(b"[") + data.count(b"{") <= max_depth:
        return value, None
    if _depth_exceeds(value, max_depth):
        return None, f"JSON nested deeper than {max_depth} levels"
    return value, None


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    # Iterative, so a hostile document cannot exhaust the interpreter's stack.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                return True
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            if depth > max_depth:
                return True
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def declared_version(attributes: Mapping[str, Any]) -> str | None:
    """The NGFF version an attributes object declares, if any."""
    ome = attributes.get("ome")
    if isinstance(ome, Mapping):
        version = ome.get("version")
        return str(version) if version is not None else None
    candidates: list[Any] = []
    multiscales = attributes.get("multiscales")
    if isinstance(multiscales, list):
        candidates.extend(m.get("version") for m in multiscales if isinstance(m, Mapping))
    for key in ("plate", "well", "image-label"):
        value = attributes.get(key)
        if isinstance(value, Mapping):
            candidates.append(value.get("version"))
    for candidate in candidates:
        if candidate is not None:
            return str(candidate)
    return None


def ome_metadata(
    attributes: Mapping[str, Any], version: str
) -> tuple[Mapping[str, Any], tuple[str, ...]]:
    """The OME metadata object of a group and its path inside the attributes object."""
    record = ngff.get(version)
    if record.ome_key is None:
        return attributes, ()
    ome = attributes.get(record.ome_key)
    return (ome if isinstance(ome, Mapping) else {}), record.ome_prefix


def is_ome(attributes: Mapping[str, Any]) -> bool:
    """Whether an attributes object carries any OME-Zarr metadata (of either layout)."""
    ome = attributes.get("ome")
    if isinstance(ome, Mapping):
        return True
    return any(key in attributes for key in OME_KEYS)


class CheckInterrupted(Exception):
    """The checks of a document were stopped (``cancel`` was set): a deadline or budget."""


def check_attributes(attributes: Mapping[str, Any], version: str, node: str = "",
                     *, cancel: threading.Event | None = None) -> list[Issue]:
    """Every schema and document-rule violation of one attributes object.

    ``cancel``: checked between rules and between violations; once set, the checks stop with
    :class:`CheckInterrupted` (a worker thread cannot be cancelled otherwise).
    """
    issues: list[Issue] = []
    record = ngff.find(version)
    if record is None:
        message = (f"NGFF version {version!r} is not one of the supported versions "
                   f"{', '.join(SUPPORTED)}")
        issues.append(_builtin(OME_VERSION_UNSUPPORTED, (), message, version))
        return issues
    ome, prefix = ome_metadata(attributes, version)
    kinds: list[str] = [record.envelope] if record.envelope else []
    kinds.extend(kind for key, kind in record.kinds.items() if key in ome)
    for kind in kinds:
        for v in schemas.schema_violations(kind, version, attributes):
            _stop_if(cancel)
            issues.append(Issue(v.rule, v.severity, v.path, v.message, spec_url(version, v.anchor)))
    ctx = DocContext(version=version, ome=ome, node=node)
    for rule in RULES.for_subject(Subject.OME, version):
        issues.extend(_run(rule, ome, ctx, prefix, version, cancel))
    for key in record.kinds:
        if key in ome:
            for rule in RULES.for_subject(Subject(key), version):
                path = (*prefix, key)
                issues.extend(_run(rule, ome[key], ctx, path, version, cancel))
    return _dedupe(issues)


def _stop_if(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CheckInterrupted("the document checks were stopped")


def _run(
    rule: Rule, value: Any, ctx: DocContext, prefix: tuple[str | int, ...], version: str,
    cancel: threading.Event | None = None,
) -> Iterator[Issue]:
    assert rule.check is not None
    _stop_if(cancel)
    try:
        for violation in rule.check(value, ctx):
            _stop_if(cancel)
            yield _issue(rule, violation, prefix, version)
    except CheckInterrupted:
        raise
    except Exception as exc:  # a check must never take the run down with it
        log.exception("rule %s crashed", rule.id)
        crashed = _builtin(RULE_CRASHED, prefix, crash_message(rule.id, exc), version)
        yield dataclasses.replace(crashed, incomplete=crash_reason(rule.id, exc))


def _issue(rule: Rule, v: Violation, prefix: tuple[str | int, ...], version: str) -> Issue:
    return Issue(
        rule=rule.id,
        severity=v.severity or rule.severity,
        path=(*prefix, *v.path),
        message=v.message,
        spec=rule.spec(version),
    )


def _builtin(rule: Rule, path: tuple[str | int, ...], message: str, version: str | None) -> Issue:
    return Issue(rule.id, rule.severity, path, message, rule.spec(version))


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, tuple[str | int, ...], str]] = set()
    unique: list[Issue] = []
    for issue in issues:
        key = (issue.rule, issue.path, issue.message)
        if key not in seen:
            seen.add(key)
            unique.append(issue)
    return unique


def validate_document(
    document: Mapping[str, Any] | bytes | str,
    version: str | None = None,
    strict: bool = False,
    *,
    max_depth: int = 128,
) -> Report:
    """Validate one attributes document without walking a hierarchy.

    ``document`` is an attributes object as stored in ``.zattrs`` (0.4) or the ``attributes``
    of a ``zarr.json`` (0.5), or a whole ``zarr.json``; bytes or text are parsed as JSON.
    Only checks that need this one document run (schemas and document rules). A document that
    is not JSON (or not an object) is a finding. Raises :class:`CouldNotValidate` when there is
    nothing to judge: no OME-NGFF metadata, an array's metadata, or a version that neither the
    document nor ``version`` gives (an ``ome`` object without ``version``).

    The version checked and how it was known are in ``report.notes``: declared by the
    document, given (``version``), or inferred from the layout (OME keys at the top level of
    the attributes are the 0.4 layout). A group of a walk whose ``ome`` object lacks a version
    is read as the root's; here ``version`` plays the root's part, with the same finding
    (``hierarchy.version.present``, a warning), so both modes judge the document alike.
    """
    started, clock = now(), time.monotonic()
    report = _validate_document(document, version, strict, max_depth=max_depth)
    report.provenance = provenance(started, time.monotonic() - clock)
    return report


def _validate_document(
    document: Mapping[str, Any] | bytes | str,
    version: str | None,
    strict: bool,
    *,
    max_depth: int,
) -> Report:
    report = Report(target="<document>", ngff_version=None, zarr_format=None, strict=strict)
    base = ""
    if isinstance(document, bytes | str):
        raw = document.encode() if isinstance(document, str) else document
        parsed, problem = parse_json(raw, max_depth)
        if problem is not None:
            rule = DOCUMENT_TOO_DEEP if "deeper" in problem else DOCUMENT_INVALID_JSON
            finding = _builtin(rule, (), problem, version).finding("", "", "")
            at = getattr(problem, "pointer", "")
            report.findings.append(dataclasses.replace(finding, pointer=at) if at else finding)
            report.ngff_version = version
            return report
        document = parsed
    if not isinstance(document, Mapping):
        report.findings.append(
            _builtin(DOCUMENT_INVALID_JSON, (), "the document is not a JSON object", version)
            .finding("", "", "")
        )
        report.ngff_version = version
        return report
    attributes: Mapping[str, Any] = document
    _reject_array(document)
    if "zarr_format" in document and "node_type" in document:
        attrs = document.get("attributes", {})
        attributes = attrs if isinstance(attrs, Mapping) else {}
        base = "/attributes"
        zarr_format = document.get("zarr_format")
        report.zarr_format = zarr_format if isinstance(zarr_format, int) else None
    if not is_ome(attributes):
        raise CouldNotValidate("no OME-NGFF metadata in this document (no ome object and none "
                               f"of the keys {', '.join(OME_KEYS)})")
    declared = declared_version(attributes)
    if declared is not None:
        # "0.6rc0" and "0.6.dev3" name 0.6; an unknown tag stays as declared (unsupported).
        release, _pre = ngff.resolve(declared)
        declared = release.id if release is not None else declared
    has_ome_object = isinstance(attributes.get("ome"), Mapping)
    inherited = False
    if declared is not None and version is None:
        effective = declared
        report.notes.append(f"NGFF {declared}: declared by the document")
    elif version is not None:
        effective = version
        how = "given (--ngff-version)"
        if declared is not None and declared != version:
            how += f"; the document declares {declared}"
        elif declared is None and has_ome_object:
            # The version comes from outside, as a walk's root gives it to its groups.
            inherited = True
        report.notes.append(f"NGFF {version}: {how}")
    elif has_ome_object:
        raise CouldNotValidate("the document's ome object declares no version (ome.version): "
                               "give the version to check against (--ngff-version)")
    else:
        # OME keys at the top level of the attributes: the layout of the Zarr v2 releases.
        effective = ngff.undeclared(2).id
        report.notes.append(f"NGFF {effective}: inferred (the document declares no version; "
                            "OME keys at the top level of the attributes are its layout)")
    report.ngff_version = effective
    record = ngff.find(effective)
    if inherited and record is not None and record.ome_key is not None:
        report.findings.append(version_absent_issue(effective).finding("", "", base))
    for issue in check_attributes(attributes, effective):
        if inherited and issue.rule == "ome.version.required":
            continue
        report.findings.append(issue.finding("", "", base))
        if issue.incomplete is not None:
            report.mark_incomplete(issue.incomplete)
    report.stats.documents = 1
    report.sort()
    return report


def version_absent_issue(version: str) -> Issue:
    """``hierarchy.version.present``: an ``ome`` object without ``version``, read as
    ``version`` (the root's in a walk, the given one for a single document)."""
    return _builtin(VERSION_ABSENT, ("ome",), f"ome.version is missing; read as {version}",
                    version)


def _reject_array(document: Mapping[str, Any]) -> None:
    """An array's metadata (a v3 array ``zarr.json``, a v2 ``.zarray``) has no OME metadata
    to check: say what it is rather than judging it as attributes."""
    if document.get("node_type") == "array":
        raise CouldNotValidate("this is an array's metadata (zarr.json with node_type "
                               "\"array\"): give a group's zarr.json or .zattrs")
    if document.get("zarr_format") == 2 and {"shape", "dtype", "chunks"} <= document.keys():
        raise CouldNotValidate("this is an array's metadata (.zarray): give a group's .zattrs")


def builtin_spec(rule: Rule, version: str | None) -> str:
    return rule.spec(version) if version else rule.spec(None)
