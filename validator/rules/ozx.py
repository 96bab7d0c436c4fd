"""RFC-9, single-file OME-Zarr (``.ozx``): the archive's own rules.

The hierarchy inside an archive is walked and checked like a directory; these rules are about
the archive around it. They run once per archive (not per node), from its central directory,
its comment and the outcome of the walk: :func:`archive_findings`. Each rule quotes the
sentence of RFC-9 it enforces (text in ``../shared/ngff/rfc9.md``; the RFC was in review, R2,
when this was written) and links to the RFC, not to a release of the specification.

RFC-9 speaks of Zarr v3 hierarchies (a root-level ``zarr.json``): its rules apply to every
release stored in Zarr v3 (NGFF 0.5 and later, from :mod:`validator.versions`). A zipped Zarr
v2 (NGFF 0.4) hierarchy is still walked and checked, and the archive still has to be a
readable ZIP file (``ozx.zip.valid``); the RFC rules are then listed as not applied in the
report's ``skipped``.
"""

from __future__ import annotations

import json
import posixpath
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator import versions as ngff
from validator.model import Finding, Report, Severity
from validator.rules.registry import RULES, Rule

if TYPE_CHECKING:
    from validator.ozx.archive import Entry
    from validator.ozx.store import ZipStore

RFC9_URL = "https://ngff.openmicroscopy.org/rfc/9/"
#: RFC-9 is about Zarr v3 hierarchies: every supported release stored in Zarr v3.
RFC9_VERSIONS = frozenset(ngff.with_zarr_format(3))
ZIP_FILES = "ome-zarr-zip-files"
COMMENT = "ome-zarr-zip-comment-structure"
#: How many entries or nodes a message names before it says "and N more".
NAMED = 5


@dataclass(frozen=True, slots=True)
class RfcRule(Rule):
    """A rule of RFC-9: its link is the RFC's section, whatever the NGFF version."""

    def spec(self, version: str | None) -> str:
        return f"{RFC9_URL}#{self.anchor}"

    def to_dict(self) -> dict[str, Any]:
        return {**Rule.to_dict(self), "kind": "archive"}


def _declare(rule_id: str, severity: Severity, anchor: str, summary: str, doc: str) -> Rule:
    return RULES.add(RfcRule(id=rule_id, severity=severity, versions=RFC9_VERSIONS,
                             anchor=anchor, summary=summary, subject=None, check=None,
                             doc=doc.strip()))


ZIP_VALID = _declare(
    "ozx.zip.valid", Severity.ERROR, ZIP_FILES,
    "The archive is a well-formed ZIP file whose central directory can be trusted: end "
    "record found, central directory inside the file, entry count, offsets and sizes "
    "consistent, no overlapping entries (zip bombs), metadata entries readable.",
    """"An OME-Zarr hierarchy MAY be stored within a ZIP archive." -- a ZIP archive as the
    ZIP File Format Specification (PKWARE APPNOTE) defines it. Readers locate every entry
    through the central directory: one that lies cannot be read safely.""")
SINGLE_HIERARCHY = _declare(
    "ozx.hierarchy.single", Severity.ERROR, ZIP_FILES,
    "The archive holds exactly one OME-Zarr hierarchy.",
    """"The ZIP file MUST contain exactly one OME-Zarr hierarchy." Two OME-Zarr groups whose
    zarr.json files are not connected by parent groups are two hierarchies.""")
ROOT = _declare(
    "ozx.hierarchy.root", Severity.ERROR, ZIP_FILES,
    "The archive root is the root of the OME-Zarr hierarchy and holds its root-level "
    "zarr.json.",
    """"The root of the ZIP archive MUST correspond to the root of the OME-Zarr hierarchy.
    The ZIP file MUST contain the the OME-Zarr's root-level `zarr.json`." """)
NO_NESTED_ZIP = _declare(
    "ozx.hierarchy.no-nested-zip", Severity.ERROR, ZIP_FILES,
    "No OME-Zarr zip file is embedded in the hierarchy (no .ozx or .zip entry).",
    """"OME-Zarr zip files SHALL NOT be embedded in a parent OME-Zarr hierarchy (as a
    sub-hierarchy or otherwise)." Entries are recognised by name (.ozx, .zip): their bytes
    are chunk-sized data, never read.""")
SINGLE_PART = _declare(
    "ozx.archive.single-part", Severity.ERROR, ZIP_FILES,
    "The archive is not split into multiple parts (a part of a split archive is recognised "
    "and reported; nothing inside it can be checked).",
    """"OME-Zarr zip files SHALL NOT be split into multiple parts." """)
ZIP64 = _declare(
    "ozx.zip64.used", Severity.WARNING, ZIP_FILES,
    "The archive uses the ZIP64 format extension (a ZIP64 end of central directory record), "
    "whatever its size.",
    """"The ZIP64 format extension SHOULD be used, irrespective of the ZIP file size." """)
STORED = _declare(
    "ozx.entries.uncompressed", Severity.WARNING, ZIP_FILES,
    "Entries are stored without ZIP-level compression (the Zarr codecs compress).",
    """"ZIP-level compression SHOULD be disabled in favor of Zarr-level compression
    codecs." """)
SHARDED = _declare(
    "ozx.arrays.sharded", Severity.WARNING, ZIP_FILES,
    "Arrays use the sharding codec, to keep the number of entries small.",
    """"The sharding codec SHOULD be used to reduce the number of entries within the ZIP
    archive." Checked on the arrays the walk read.""")
ORDER = _declare(
    "ozx.entries.json-first", Severity.WARNING, ZIP_FILES,
    "The root zarr.json is the first entry, and the other zarr.json files follow it at "
    "once, breadth-first, both in the file and in the central directory.",
    """"The root-level `zarr.json` file SHOULD be the first ZIP file entry and the first
    entry in the central directory header; other `zarr.json` files SHOULD follow immediately
    afterwards, in breadth-first order." """)
EXTENSION = _declare(
    "ozx.name.extension", Severity.WARNING, ZIP_FILES,
    "The archive's name ends with .ozx.",
    """"The name of OME-Zarr zip files SHOULD end with `.ozx`." """)
COMMENT_VERSION = _declare(
    "ozx.comment.ome-version", Severity.WARNING, ZIP_FILES,
    "The archive comment is UTF-8 JSON {\"ome\": {\"version\": ...}} and its version is the "
    "hierarchy's.",
    """"The ZIP archive comment SHOULD contain an UTF-8-encoded JSON string with an `ome`
    attribute that holds a `version` key with the OME-Zarr version as string value, such
    that `{"ome": { "version": "XX.YY" }}` is the minimum recommended content." """)
JSON_FIRST = _declare(
    "ozx.comment.json-first", Severity.ERROR, COMMENT,
    "A comment saying zipFile.centralDirectory.jsonFirst: true is true of the archive: the "
    "zarr.json entries come first in the central directory, breadth-first.",
    """"`jsonFirst`: If `true`, this indicates that the `zarr.json` files are ordered
    breadth-first in the central directory and precede other content, as recommended above.
    [...] Implementations MAY assume that no further `zarr.json` files exist beyond the first
    non-`zarr.json` file if `jsonFirst` is `true`." A false claim misleads such readers: it
    is reported as an error.""")

ARCHIVE_RULES = (ZIP_VALID, SINGLE_HIERARCHY, ROOT, NO_NESTED_ZIP, SINGLE_PART, ZIP64, STORED,
                 SHARDED, ORDER, EXTENSION, COMMENT_VERSION, JSON_FIRST)


def finding(rule: Rule, message: str, node: str = "", document: str = "") -> Finding:
    return Finding(rule.id, rule.severity, node, "", message, rule.spec(None), document)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMED])
    return shown + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def extension_finding(name: str) -> Finding | None:
    """``ozx.name.extension`` for an archive called ``name`` (a path or a URL)."""
    base = name.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if base.lower().endswith(".ozx"):
        return None
    return finding(EXTENSION, f"the archive is named {base!r}, not *.ozx")


def order_problem(entries: Sequence[Entry]) -> str | None:
    """What is wrong with the order of ``entries`` (RFC-9: root zarr.json, then the other
    zarr.json files breadth-first, then the rest), or ``None``."""
    if not entries:
        return None
    if entries[0].name != "zarr.json":
        return f"the first entry is {entries[0].name!r}, not the root zarr.json"
    previous: Entry | None = None
    ended: Entry | None = None  # the first entry that is not a zarr.json
    for entry in entries:
        is_json = posixpath.basename(entry.name) == "zarr.json"
        if not is_json:
            ended = ended or entry
            continue
        if ended is not None:
            return f"{entry.name!r} comes after {ended.name!r}, which is not a zarr.json"
        if previous is not None and entry.name.count("/") < previous.name.count("/"):
            return (f"not breadth-first: {entry.name!r} comes after the deeper "
                    f"{previous.name!r}")
        previous = entry
    return None


@dataclass(frozen=True, slots=True)
class Comment:
    """The archive comment as RFC-9 reads it."""

    problem: str | None  # why it is not the recommended JSON (None: it is)
    version: str | None
    json_first: bool


def parse_comment(raw: bytes) -> Comment:
    if not raw:
        return Comment("the archive has no comment", None, False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Comment("the archive comment is not UTF-8", None, False)
    try:
        value = json.loads(text)
    except ValueError:
        shown = text if len(text) <= 60 else text[:60] + "..."
        return Comment(f"the archive comment is not JSON: {shown!r}", None, False)
    ome = value.get("ome") if isinstance(value, dict) else None
    if not isinstance(ome, dict):
        return Comment('the archive comment has no "ome" object', None, False)
    zip_file = ome.get("zipFile")
    directory = zip_file.get("centralDirectory") if isinstance(zip_file, dict) else None
    json_first = isinstance(directory, dict) and directory.get("jsonFirst") is True
    version = ome.get("version")
    if not isinstance(version, str):
        return Comment('the archive comment has no "ome.version" string', None, json_first)
    return Comment(None, version, json_first)


def structure_findings(store: ZipStore) -> list[Finding]:
    """The problems found while reading the archive (before and during the walk)."""
    out = []
    for problem in store.problems:
        rule = RULES[problem.rule]
        node, document = "", ""
        if problem.entry:
            node, _, document = problem.entry.rpartition("/")
        out.append(finding(rule, problem.message, node, document))
    return out


async def archive_findings(store: ZipStore, report: Report, name: str) -> list[Finding]:
    """RFC-9's rules on an archive whose hierarchy was walked into ``report`` (see the module
    docstring). Reads at most a few orphan ``zarr.json`` files (``ozx.hierarchy.single``)."""
    out = structure_findings(store)
    archive = store.archive
    if archive is None:
        return out
    if report.zarr_format == 2:
        report.skipped.append("RFC-9 (single-file OME-Zarr) rules were not applied: they are "
                              "defined for Zarr v3 hierarchies (NGFF 0.5 and later), and this "
                              "archive holds a Zarr v2 one")
        return out
    entries = archive.entries
    names = [e.name for e in entries]
    if "zarr.json" not in archive.by_name:
        tops = sorted({n.split("/", 1)[0] + "/" for n in names if n.endswith("/zarr.json")})
        where = f"; zarr.json files are below {_names(tops)}" if tops else ""
        out.append(finding(ROOT, f"the archive has no root-level zarr.json{where}"))
    if not report.truncated:  # a deadline or budget stopped the walk: no further reads
        out.extend(await _hierarchies(store, names))
    nested = [n for n in names if n.lower().endswith((".ozx", ".zip"))]
    if nested:
        out.append(finding(NO_NESTED_ZIP, f"the archive holds ZIP archives: {_names(nested)}"))
    if not archive.end.zip64:
        out.append(finding(ZIP64, "the archive has no ZIP64 end of central directory record "
                                  "(the ZIP64 format extension is not used)"))
    compressed = [e.name for e in entries if e.info.compress_type != zipfile.ZIP_STORED]
    if compressed:
        out.append(finding(STORED, f"{len(compressed)} entries are compressed by the ZIP "
                                   f"archive: {_names(compressed)}"))
    unsharded = sorted(k.removesuffix("zarr.json").rstrip("/") or "/"
                       for k, note in store.arrays.items() if not note.sharded)
    if unsharded:
        out.append(finding(SHARDED, f"{len(unsharded)} of the {len(store.arrays)} arrays read "
                                    f"do not use the sharding codec: {_names(unsharded)}"))
    in_file = order_problem(archive.file_order())
    in_directory = order_problem(entries)
    for where, problem in (("in the file", in_file), ("in the central directory", in_directory)):
        if problem is not None:
            out.append(finding(ORDER, f"{where}, {problem}"))
    comment = parse_comment(archive.end.comment)
    if comment.problem is not None:
        out.append(finding(COMMENT_VERSION, comment.problem))
    elif report.ngff_version is not None and comment.version != report.ngff_version:
        out.append(finding(COMMENT_VERSION, f"the archive comment says OME-Zarr "
                                            f"{comment.version}; the hierarchy is "
                                            f"{report.ngff_version}"))
    if comment.json_first and in_directory is not None:
        out.append(finding(JSON_FIRST, f"the comment says jsonFirst: true, but in the central "
                                       f"directory {in_directory}"))
    extension = extension_finding(name)
    if extension is not None:
        out.append(extension)
    return out


async def _hierarchies(store: ZipStore, names: Iterable[str]) -> list[Finding]:
    """``ozx.hierarchy.single``: OME-Zarr groups that no parent group connects to the root."""
    nodes = {n.removesuffix("zarr.json").rstrip("/") for n in names
             if n == "zarr.json" or n.endswith("/zarr.json")}
    orphans = sorted(n for n in nodes if n and posixpath.dirname(n) not in nodes)
    roots = ["/"] if "" in nodes and await store.is_ome_group("zarr.json") else []
    extra = []
    for node in orphans[:20]:  # a bounded number of reads, whatever the archive holds
        if await store.is_ome_group(f"{node}/zarr.json"):
            extra.append(node)
    found = roots + extra
    if len(found) < 2:
        return []
    more = (f" (and {len(orphans) - 20} more unconnected groups, not read)"
            if len(orphans) > 20 else "")
    return [finding(SINGLE_HIERARCHY, f"the archive holds {len(found)} OME-Zarr hierarchies, "
                                      f"rooted at {_names(found)}{more}")]
