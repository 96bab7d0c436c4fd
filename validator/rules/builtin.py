"""Rules the engine enforces itself while reading the hierarchy (no check function)."""

from __future__ import annotations

from validator import versions as ngff
from validator.model import Severity
from validator.rules.registry import declare

# The engine reads every release it supports, so its own rules apply to each of them.
_EVERY = ngff.ids()

DOCUMENT_UNREADABLE = declare(
    "io.document.unreadable",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A metadata document could not be read (network error, timeout, HTTP error).",
    versions=_EVERY,
)
DOCUMENT_TOO_LARGE = declare(
    "io.document.too-large",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A metadata document is larger than the configured size limit.",
    versions=_EVERY,
)
URL_REFUSED = declare(
    "io.url.refused",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A URL was refused by the network policy and was not fetched.",
    versions=_EVERY,
)
DOCUMENT_INVALID_JSON = declare(
    "io.document.invalid-json",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A metadata document is not a JSON object.",
    versions=_EVERY,
)
DOCUMENT_TOO_DEEP = declare(
    "io.document.too-deep",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A metadata document is nested deeper than the configured limit.",
    versions=_EVERY,
)
PATH_ESCAPES = declare(
    "hierarchy.path.escapes-root",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A path named in the metadata leaves the dataset (.., absolute, URL, backslash); "
    "it is not fetched.",
    versions=_EVERY,
)
GROUP_MISSING = declare(
    "zarr.group.missing",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A Zarr group has no group metadata document (.zgroup in Zarr v2, zarr.json in v3).",
    versions=_EVERY,
)
NODE_TYPE = declare(
    "zarr.node.type",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="A node is an array where a group is required, or the reverse.",
    versions=_EVERY,
)
ZARR_METADATA = declare(
    "zarr.metadata.malformed",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary="Zarr metadata (zarr.json, .zgroup) lacks required members or has the wrong "
    "zarr_format.",
    versions=_EVERY,
)
OME_VERSION_UNSUPPORTED = declare(
    "ome.version.unsupported",
    severity=Severity.ERROR,
    anchor="metadata",
    summary=f"The NGFF version is not one this validator checks ({', '.join(_EVERY)}).",
    versions=_EVERY,
)
VERSION_MIXED = declare(
    "hierarchy.version.consistent",
    severity=Severity.ERROR,
    anchor="metadata",
    summary="Every OME-Zarr group of a hierarchy declares the same NGFF version.",
    versions=_EVERY,
)
VERSION_ABSENT = declare(
    "hierarchy.version.present",
    severity=Severity.WARNING,
    anchor="metadata",
    summary="An OME-Zarr group inside a hierarchy declares no NGFF version "
    "(ome-zarr-py writes 0.5 labels groups so); it is read as the root's version.",
    # Only where the metadata lives in an "ome" object with its own version (Zarr v3).
    zarr_formats=(3,),
)
ZARR_FORMAT = declare(
    "hierarchy.zarr-format.matches-version",
    severity=Severity.ERROR,
    anchor="on-disk",
    summary=" and ".join(f"NGFF {v.id} data is stored as Zarr v{v.zarr_format}"
                         for v in ngff.supported()) + ".",
    versions=_EVERY,
)
RULE_CRASHED = declare(
    "engine.rule-crashed",
    severity=Severity.ERROR,
    anchor="metadata",
    summary="A check crashed instead of giving its answer: an error naming the rule and the "
    "exception, and the report is incomplete (what the check covers was not checked).",
    versions=_EVERY,
)


def crash_message(rule_id: str, exc: BaseException) -> str:
    """The message of an ``engine.rule-crashed`` finding: the rule and the exception type."""
    detail = str(exc)
    detail = f": {detail}" if detail else ""
    return (f"rule {rule_id} crashed ({type(exc).__name__}{detail}): what it checks was not "
            "checked here")


def crash_reason(rule_id: str, exc: BaseException) -> str:
    """Why a report with a crashed rule is incomplete: one line per rule and exception type
    (however many nodes it crashed on; the ``engine.rule-crashed`` findings name them)."""
    return (f"rule {rule_id} crashed ({type(exc).__name__}): what it checks was not checked "
            "where it crashed (see the engine.rule-crashed findings)")
