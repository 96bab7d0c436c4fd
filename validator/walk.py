"""The walk: discover an OME-Zarr hierarchy from its metadata alone and check every node.

The Zarr format is detected once, at the root; every other document is read by the name its
format gives it, only where a parent's metadata names a child (plate → wells → fields →
arrays, image → arrays, labels group → label images, bioformats2raw → series). Directories are
never listed. Independent documents are fetched concurrently, bounded by a
:class:`~validator.limiter.Limiter` (the cap on requests in flight, adapting to the server
below it). When the root holds consolidated metadata the documents are taken from that copy
(:mod:`validator.consolidated`) instead of being fetched. Each node kind has its own visitor;
parents keep small summaries of their children, never documents.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from validator.consolidated import (
    CONSOLIDATED_MATCHES,
    V2_CONSOLIDATED,
    Consolidated,
    differences,
    from_v2,
    from_v3,
)
from validator.document import check_attributes, declared_version, is_ome, ome_metadata, parse_json
from validator.errors import BudgetExceeded, CouldNotValidate, DocumentTooLarge, FetchError
from validator.limiter import Limiter
from validator.model import Finding, NodeKind, Report, Severity, join_node, pointer
from validator.options import Options
from validator.rules import (
    RULES,
    ArrayContext,
    ArrayInfo,
    Bioformats2rawContext,
    ImageContext,
    ImageSummary,
    LabelsContext,
    PlateContext,
    Subject,
    Violation,
    WellContext,
    WellSummary,
)
from validator.rules import builtin as B
from validator.rules.registry import Rule
from validator.stores import Store
from validator.zarrmeta import (
    V2_ARRAY,
    V2_ATTRS,
    V2_GROUP,
    V3_METADATA,
    array_info_v2,
    array_info_v3,
)

T = TypeVar("T")
R = TypeVar("R")

# Characters and forms that let a path named in metadata leave the dataset or address
# something other than a child node: parent segments, absolute paths, URLs, backslashes,
# percent-encoding (which a server may decode), queries and fragments, control characters.
_UNSAFE_PATH = re.compile(r"(^/)|(\\)|(://)|(%[0-9a-fA-F]{2})|([?#])|([\x00-\x1f\x7f])")


def unsafe_path_reason(path: str) -> str | None:
    """Why ``path`` (relative to its group) must not be fetched, or ``None`` when it is safe."""
    if path.endswith("/"):
        path = path[:-1]  # "0/" names the same child as "0"
    if not path:
        return "the path is empty"
    if _UNSAFE_PATH.search(path):
        return "absolute paths, URLs, backslashes, percent-escapes, '?' and '#' are not allowed"
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "empty, '.' and '..' path segments are not allowed"
    return None


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of a walk: documents read, documents known so far, findings so far."""

    documents: int
    known: int
    findings: int
    requests: int


ProgressCallback = Callable[[Progress], None]
FindingCallback = Callable[[Finding], None]
#: Called once for each node the walk visits, with its path ("" = root) and kind.
NodeCallback = Callable[[str, NodeKind], None]


@dataclass(slots=True)
class Group:
    """A group's metadata as read: where its attributes live and what they are."""

    node: str
    zarr_format: int
    document: str
    attributes: Mapping[str, Any]
    base: str  # JSON pointer of the attributes object inside the document
    #: False when the metadata exists but could not be read, parsed, or is not a group's:
    #: that is a finding already, and nothing more is checked or said about the node.
    readable: bool = True


async def gather_bounded(
    items: Sequence[T], func: Callable[[T], Awaitable[R]], limit: int
) -> list[R]:
    """``[await func(i) for i in items]``, at most ``limit`` at a time, results in order."""
    results: list[Any] = [None] * len(items)
    iterator = iter(enumerate(items))

    async def worker() -> None:
        for index, item in iterator:
            results[index] = await func(item)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(limit, len(items))):
                group.create_task(worker())
    except BaseExceptionGroup as group_error:
        # Callers (and Walk.run) expect the exception a worker raised -- BudgetExceeded
        # above all -- not a group of them: the first one stands for all.
        raise _first_leaf(group_error) from None
    return results


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


class Walk:
    """One validation run over one store."""

    def __init__(
        self,
        store: Store,
        options: Options,
        target: str,
        *,
        on_progress: ProgressCallback | None = None,
        on_finding: FindingCallback | None = None,
        on_node: NodeCallback | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.report = Report(target=target, ngff_version=None, zarr_format=None,
                             strict=options.strict)
        # The cap on requests in flight (per run, so per host): options.concurrency at most.
        self.limiter = Limiter(options.concurrency, adaptive=options.adaptive)
        self._on_progress = on_progress
        self._on_finding = on_finding
        self._on_node = on_node
        self._documents = 0
        self._known = 0
        self._started = time.monotonic()
        self._last_progress = 0.0
        self._array_nodes: set[str] = set()
        self._root_cache: dict[str, bytes | None] = {}
        self._version: str = "0.4"
        # Consolidated metadata, when the root has some and options.consolidated is set.
        self._consolidated: Consolidated | None = None
        self._adopt_v3_copy = False
        self._root_docs: dict[str, tuple[Any, bool]] = {}  # v2 root documents as read
        self._fields_skipped = 0  # options.fields == "first": fields not visited
        self._fields_skipped_wells = 0

    # -- bookkeeping ---------------------------------------------------------------------

    def add(self, finding: Finding) -> None:
        self.report.findings.append(finding)
        if self._on_finding is not None:
            self._on_finding(finding)

    def _visit_node(self, path: str, kind: NodeKind) -> None:
        """Count a visited node in the report and tell ``on_node`` (nodes are not kept)."""
        self.report.nodes[kind] += 1
        self._emit_node(path, kind)

    def _emit_node(self, path: str, kind: NodeKind) -> None:
        if self._on_node is not None:
            self._on_node(path, kind)

    def add_builtin(
        self, rule: Rule, node: str, document: str, ptr: str, message: str
    ) -> None:
        self.add(Finding(rule.id, rule.severity, node, ptr, message, rule.spec(self._version),
                         document))

    def _progress(self, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 0.1:
            self._last_progress = now
            self._on_progress(
                Progress(self._documents, self._known, len(self.report.findings),
                         self.store.stats.requests)
            )

    def _check_budget(self) -> None:
        opts = self.options
        if opts.max_documents is not None and self._known >= opts.max_documents:
            raise BudgetExceeded(f"the limit of {opts.max_documents} documents was reached")
        if opts.max_bytes is not None and self.store.stats.bytes >= opts.max_bytes:
            raise BudgetExceeded(f"the limit of {opts.max_bytes} bytes was reached")

    # -- reading -------------------------------------------------------------------------

    async def fetch(self, node: str, name: str) -> bytes | None:
        """The bytes of document ``name`` of ``node``; ``None`` when it does not exist.

        Raises FetchError when it could not be read, BudgetExceeded when a budget ran out.
        """
        key = join_node(node, name)
        if key in self._root_cache:
            # Read once while detecting the format at the root; counted here, once.
            data = self._root_cache.pop(key)
            self._known += 1
            self._documents += data is not None
            return data
        self._check_budget()
        self._known += 1
        # The documents that may hold a whole hierarchy's consolidated metadata get a larger cap.
        cap = None
        if not node and name in (V3_METADATA, V2_CONSOLIDATED):
            cap = max(self.options.max_document_bytes, self.options.max_consolidated_bytes)
        stats = self.store.stats
        async with self.limiter.slot() as outcome:
            throttled = getattr(stats, "throttled", 0)
            try:
                if cap is not None and getattr(self.store, "accepts_max_bytes", False):
                    get: Any = self.store.get
                    data = await get(key, max_bytes=cap)
                else:
                    data = await self.store.get(key)
            except BaseException:
                outcome.failed = True
                raise
            finally:
                outcome.throttled = getattr(stats, "throttled", 0) > throttled
        if data is not None:
            self._documents += 1
        self._progress()
        return data

    async def read_json(self, node: str, name: str) -> tuple[Any, bool]:
        """``(value, exists)``: the parsed document, or a finding and ``(None, True)``.

        With consolidated metadata the document comes from the consolidated copy (no request);
        what the copy lacks is fetched, and a document found so is a disagreement. With
        ``verify_consolidated`` the real document is always fetched, compared and returned.
        """
        copy = self._consolidated
        if copy is None:
            value, exists = await self._read_json_real(node, name)
            if not node and name in (V2_GROUP, V2_ATTRS):
                self._root_docs[name] = (value, exists)
            return value, exists
        has_copy, copied = copy.take(join_node(node, name))
        if has_copy and not self.options.verify_consolidated:
            self._check_budget()
            self._known += 1
            self._documents += 1
            self._progress()
            if not isinstance(copied, dict):
                self.add_builtin(B.DOCUMENT_INVALID_JSON, node, name, "",
                                 f"the document is not a JSON object (in the consolidated "
                                 f"metadata, {copy.source})")
                return None, True
            return copied, True
        value, exists = await self._read_json_real(node, name)
        self._compare_copy(node, name, has_copy, copied, value, exists)
        return value, exists

    def _compare_copy(self, node: str, name: str, has_copy: bool, copied: Any, value: Any,
                      exists: bool) -> None:
        """Report where the consolidated copy of a document disagrees with the document."""
        assert self._consolidated is not None
        source = self._consolidated.source
        key = join_node(node, name)
        if exists and value is None:
            return  # unreadable: reported already
        rule = CONSOLIDATED_MATCHES
        if has_copy and not exists:
            self.add_builtin(rule, node, name, "", f"{key} is in the consolidated metadata "
                             f"({source}) but does not exist")
        elif exists and not has_copy:
            self.add_builtin(rule, node, name, "", f"{key} exists but is missing from the "
                             f"consolidated metadata ({source})")
        elif has_copy:
            found = differences(copied, value, limit=4)
            for i, (ptr, what) in enumerate(found[:3]):
                more = " (and more)" if i == 2 and len(found) > 3 else ""
                self.add_builtin(rule, node, name, ptr, f"the consolidated metadata ({source}) "
                                 f"disagrees with {key}: {what}{more}")

    async def _read_json_real(self, node: str, name: str) -> tuple[Any, bool]:
        try:
            data = await self.fetch(node, name)
        except FetchError as exc:
            self.add_builtin(RULES[exc.rule], node, name, "", str(exc))
            return None, True
        if data is None:
            return None, False
        value, problem = parse_json(data, self.options.max_json_depth)
        if problem is not None:
            rule = B.DOCUMENT_TOO_DEEP if "deeper" in problem else B.DOCUMENT_INVALID_JSON
            self.add_builtin(rule, node, name, "", f"{self.store.url(join_node(node, name))}: "
                             f"{problem}")
            return None, True
        if not isinstance(value, dict):
            self.add_builtin(B.DOCUMENT_INVALID_JSON, node, name, "",
                             "the document is not a JSON object")
            return None, True
        if not node and name == V3_METADATA and self._adopt_v3_copy:
            self._adopt_v3_copy = False
            self._adopt_v3(value)
        return value, True

    def _adopt_v3(self, root: dict[str, Any]) -> None:
        """Use the ``consolidated_metadata`` of the root ``zarr.json``, when it has some."""
        copy, problem = from_v3(root)
        if problem is not None:
            self.add_builtin(CONSOLIDATED_MATCHES, "", V3_METADATA, "/consolidated_metadata",
                             f"the consolidated metadata cannot be used: {problem}")
        if copy is not None:
            # The copy now owns the documents: hand each over once, then forget it.
            root.pop("consolidated_metadata", None)
            self._consolidated = copy

    async def _open_v2_copy(self) -> None:
        """Read ``.zmetadata`` at a Zarr v2 root and use it when it is well-formed."""
        document, _ = await self._read_json_real("", V2_CONSOLIDATED)
        if document is None:
            return  # absent, or unreadable (reported)
        copy, problem = from_v2(document)
        if copy is None:
            self.add_builtin(CONSOLIDATED_MATCHES, "", V2_CONSOLIDATED, "",
                             f"the consolidated metadata cannot be used: {problem}")
            return
        self._consolidated = copy

    async def open_group(self, node: str, *, probe: bool = False) -> Group | None:
        """Read a group's metadata; ``None`` when no group is there (no finding added).

        ``probe`` is for groups no metadata names (``labels``, ``OME``): in Zarr v2 it asks
        for ``.zattrs`` first and for ``.zgroup`` only when that exists, so that looking for
        an absent group costs one request, not two.
        """
        if self.report.zarr_format == 3:
            doc, exists = await self.read_json(node, V3_METADATA)
            if not exists:
                return None
            if doc is None:
                return Group(node, 3, V3_METADATA, {}, "/attributes", readable=False)
            if doc.get("node_type") == "array":
                self._array_nodes.add(node)
                self.add_builtin(B.NODE_TYPE, node, V3_METADATA, "/node_type",
                                 "expected a group here, found an array")
                return Group(node, 3, V3_METADATA, {}, "/attributes", readable=False)
            self._check_v3_group(node, doc)
            attrs = doc.get("attributes", {})
            return Group(node, 3, V3_METADATA, attrs if isinstance(attrs, dict) else {},
                         "/attributes")
        if probe:
            zattrs, attrs_exist = await self.read_json(node, V2_ATTRS)
            if not attrs_exist:
                return None
            zgroup, group_exists = await self.read_json(node, V2_GROUP)
        else:
            (zgroup, group_exists), (zattrs, attrs_exist) = await asyncio.gather(
                self.read_json(node, V2_GROUP), self.read_json(node, V2_ATTRS)
            )
        if not group_exists and not attrs_exist:
            return None
        if not group_exists:
            self.add_builtin(B.GROUP_MISSING, node, V2_GROUP, "",
                             "the group has .zattrs but no .zgroup: it is not a Zarr group")
        elif zgroup is not None and zgroup.get("zarr_format") != 2:
            self.add_builtin(B.ZARR_METADATA, node, V2_GROUP, "/zarr_format",
                             f"zarr_format must be 2, found {zgroup.get('zarr_format')!r}")
        readable = not attrs_exist or zattrs is not None
        return Group(node, 2, V2_ATTRS, zattrs if isinstance(zattrs, dict) else {}, "",
                     readable=readable)

    def _check_v3_group(self, node: str, doc: Mapping[str, Any]) -> None:
        if doc.get("zarr_format") != 3:
            self.add_builtin(B.ZARR_METADATA, node, V3_METADATA, "/zarr_format",
                             f"zarr_format must be 3, found {doc.get('zarr_format')!r}")
        if doc.get("node_type") != "group":
            self.add_builtin(B.ZARR_METADATA, node, V3_METADATA, "/node_type",
                             f"node_type must be 'group', found {doc.get('node_type')!r}")
        if "attributes" in doc and not isinstance(doc["attributes"], dict):
            self.add_builtin(B.ZARR_METADATA, node, V3_METADATA, "/attributes",
                             "attributes must be a JSON object")

    async def read_array(self, node: str) -> ArrayInfo | None:
        """Read an array's metadata; ``None`` when no array is there."""
        if self.report.zarr_format == 3:
            doc, _ = await self.read_json(node, V3_METADATA)
            if doc is None or doc.get("node_type") != "array":
                return None
            info = array_info_v3(node, doc)
            name = V3_METADATA
        else:
            doc, _ = await self.read_json(node, V2_ARRAY)
            if doc is None:
                return None
            info = array_info_v2(node, doc)
            name = V2_ARRAY
        self._array_nodes.add(node)
        self._visit_node(node, NodeKind.ARRAY)
        ctx = ArrayContext(node, self._version, info.zarr_format, doc, info)
        self.run_rules(Subject.ARRAY_NODE, ctx, node, location=(name, ""))
        return info

    # -- checking ------------------------------------------------------------------------

    def check_group(self, group: Group) -> tuple[str, Mapping[str, Any], str]:
        """Document checks of one group; returns its version, OME metadata and OME base."""
        declared = declared_version(group.attributes)
        version = self.options.ngff_version or self._version
        if not group.readable:
            return version, {}, group.base
        if declared is not None and declared != self._version and not self.options.ngff_version:
            self.add_builtin(
                B.VERSION_MIXED, group.node, group.document,
                group.base + pointer(*_version_path(group.attributes)),
                f"this group declares NGFF {declared} but the hierarchy is {self._version}",
            )
        # A group inside the hierarchy without ome.version (ome-zarr-py writes 0.5 labels
        # groups so) is read as the root's version: one warning, instead of the schema's
        # ome.version.required error. At the root nothing else gives the version: the error
        # stands there, alone.
        absent = bool(group.node) and declared is None and group.zarr_format == 3 and (
            isinstance(group.attributes.get("ome"), Mapping))
        if absent:
            self.add_builtin(B.VERSION_ABSENT, group.node, group.document,
                             group.base + "/ome",
                             f"ome.version is missing; read as {self._version}")
        for issue in check_attributes(group.attributes, version, group.node):
            if absent and issue.rule == "ome.version.required":
                continue
            self.add(issue.finding(group.node, group.document, group.base))
        ome, prefix = ome_metadata(group.attributes, version)
        return version, ome, group.base + pointer(*prefix)

    def run_rules(
        self, subject: Subject, ctx: Any, node: str, *, location: tuple[str, str]
    ) -> None:
        """Run the node rules of ``subject``; ``location`` = (document, OME base pointer)."""
        for rule in RULES.for_subject(subject, self._version):
            assert rule.check is not None
            try:
                for violation in rule.check(ctx):
                    self._add_violation(rule, violation, node, location)
            except Exception as exc:  # a check must never take the walk down with it
                self.add_builtin(B.RULE_CRASHED, node, location[0], location[1],
                                 f"rule {rule.id} could not run: {exc!r}")

    def _add_violation(
        self, rule: Rule, v: Violation, node: str, location: tuple[str, str]
    ) -> None:
        document, base = location
        target = node
        if v.node is not None and v.node != node:
            target = v.node
            if v.node in self._array_nodes:
                document, base = (V3_METADATA if self.report.zarr_format == 3 else V2_ARRAY), ""
            elif self.report.zarr_format == 3:
                document, base = V3_METADATA, "/attributes" + ("/ome" if self._version == "0.5"
                                                               else "")
            else:
                document, base = V2_ATTRS, ""
        if v.document is not None:
            document, base = v.document, ""
        self.add(Finding(rule.id, v.severity or rule.severity, target, base + pointer(*v.path),
                         v.message, rule.spec(self._version), document))

    def safe_children(
        self, group: Group, ome_base: str, entries: Iterable[tuple[tuple[str | int, ...], Any]]
    ) -> list[str]:
        """The distinct child paths that may be fetched; the unsafe ones become findings."""
        seen: dict[str, None] = {}
        for tokens, path in entries:
            if not isinstance(path, str):
                continue  # the schema reports the wrong type
            reason = unsafe_path_reason(path)
            if reason is not None:
                self.add_builtin(B.PATH_ESCAPES, group.node, group.document,
                                 ome_base + pointer(*tokens),
                                 f"path {path!r} was not followed: {reason}")
                continue
            seen.setdefault(path.removesuffix("/"), None)
        return list(seen)

    # -- visitors ------------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        try:
            await self._run_root()
        except BudgetExceeded as exc:
            self.report.truncated = True
            self.report.skipped.append(f"walk stopped early: {exc}")
        finally:
            if self._fields_skipped:
                self.report.skipped.append(
                    f"fields: {self._fields_skipped} field images not checked (--fields first: "
                    f"only the first field listed by each well); {self._fields_skipped_wells} "
                    "wells have more than one field"
                )
            self.report.stats.seconds = time.monotonic() - started
            self.report.stats.documents = self._documents
            self.report.stats.requests = self.store.stats.requests
            self.report.stats.bytes = self.store.stats.bytes
            self._progress(force=True)
        self.report.sort()
        return self.report

    async def _detect_format(self) -> int:
        forced = self.options.ngff_version
        if forced == "0.5":
            return 3
        if forced == "0.4":
            return 2
        try:
            data = await self.fetch("", V3_METADATA)
        except DocumentTooLarge as exc:
            # It exists, so this is Zarr v3; but a limit of ours stops the walk here: that is
            # a finding and a truncated report, not a refusal to answer.
            self.report.zarr_format = 3
            self.add_builtin(B.DOCUMENT_TOO_LARGE, "", V3_METADATA, "", str(exc))
            raise BudgetExceeded("the root metadata is larger than the document size limit: "
                                 "nothing below it was checked") from None
        except FetchError as exc:
            raise CouldNotValidate(f"cannot read {self.store.url(V3_METADATA)}: {exc}") from None
        if data is not None:
            self._root_cache[V3_METADATA] = data
            self._known -= 1  # counted when open_group takes it from the cache
            self._documents -= 1
            return 3
        return 2

    async def _run_root(self) -> None:
        try:
            fmt = await self._detect_format()
        except FetchError as exc:
            raise CouldNotValidate(str(exc)) from None
        self.report.zarr_format = fmt
        self._adopt_v3_copy = fmt == 3 and self.options.consolidated
        try:
            if fmt == 2 and self.options.consolidated:
                # .zmetadata beside .zgroup and .zattrs, at once: no round trip added.
                root, _ = await asyncio.gather(self.open_group(""), self._open_v2_copy())
                self._compare_v2_root()
            else:
                root = await self.open_group("")
        except FetchError as exc:
            raise CouldNotValidate(str(exc)) from None
        if root is None:
            raise CouldNotValidate(
                f"no Zarr {'v3' if fmt == 3 else 'v2'} metadata at {self.store.url('')}: "
                "not a Zarr hierarchy (or not reachable)"
            )
        if "" in self._array_nodes:
            raise CouldNotValidate("the root is a Zarr array, not an OME-Zarr group")
        if not is_ome(root.attributes):
            if any(f.rule == B.DOCUMENT_TOO_LARGE.id and f.node == ""
                   for f in self.report.findings):
                # Not a failure to reach the data but a limit of ours: say so in a report
                # (finding + truncated) rather than refusing to answer.
                self.report.truncated = True
                self.report.skipped.append(
                    "the root metadata is larger than the document size limit: nothing below "
                    "it was checked")
                return
            if any(f.node == "" and f.severity is Severity.ERROR for f in self.report.findings):
                detail = "; ".join(f.message for f in self.report.findings if f.node == "")
                raise CouldNotValidate(f"cannot read the root metadata: {detail}")
            raise CouldNotValidate("the root group has no OME-Zarr metadata: not an OME-Zarr")
        declared = declared_version(root.attributes)
        self._version = self.options.ngff_version or declared or ("0.5" if fmt == 3 else "0.4")
        self.report.ngff_version = self._version
        if self._version not in ("0.4", "0.5"):
            raise CouldNotValidate(
                f"NGFF {self._version} is not supported: this validator checks 0.4 and 0.5"
            )
        expected = 3 if self._version == "0.5" else 2
        if fmt != expected:
            self.add_builtin(B.ZARR_FORMAT, "", root.document, "",
                             f"NGFF {self._version} must be stored as Zarr v{expected}, "
                             f"found Zarr v{fmt}")
        await self.visit_group(root, top=True)

    def _compare_v2_root(self) -> None:
        """The root's own documents were read anyway: compare them with their copies."""
        copy = self._consolidated
        if copy is None:
            return
        for name in (V2_GROUP, V2_ATTRS):
            value, exists = self._root_docs.pop(name, (None, False))
            has_copy, copied = copy.take(name)
            if self.options.verify_consolidated or has_copy or exists:
                self._compare_copy("", name, has_copy, copied, value, exists)

    async def visit_group(self, group: Group, *, top: bool = False) -> None:
        _, ome, base = self.check_group(group)
        if "bioformats2raw.layout" in ome:
            await self.visit_bioformats2raw(group, ome, base)
        elif "plate" in ome:
            await self.visit_plate(group, ome, base)
        if "well" in ome and "plate" not in ome:
            await self.visit_well_body(group, ome, base, plate=None)
        if "multiscales" in ome:
            await self.visit_image_body(group, ome, base, probe_labels=True)
        elif "labels" in ome:
            await self.visit_labels(group, ome, base, parent=None)
        if not any(k in ome for k in ("bioformats2raw.layout", "plate", "well", "multiscales",
                                       "labels")):
            self._visit_node(group.node, NodeKind.GROUP)

    async def visit_image_body(
        self, group: Group, ome: Mapping[str, Any], base: str, *, probe_labels: bool,
        label: bool = False,
    ) -> ImageSummary:
        self._visit_node(group.node, NodeKind.LABEL_IMAGE if label else NodeKind.IMAGE)
        entries: list[tuple[tuple[str | int, ...], Any]] = []
        multiscales = ome.get("multiscales")
        first: Mapping[str, Any] = {}
        if isinstance(multiscales, list):
            for i, ms in enumerate(multiscales):
                if not isinstance(ms, Mapping):
                    continue
                first = first or ms
                datasets = ms.get("datasets")
                if isinstance(datasets, list):
                    entries.extend(
                        (("multiscales", i, "datasets", j, "path"), d.get("path"))
                        for j, d in enumerate(datasets) if isinstance(d, Mapping)
                    )
        paths = self.safe_children(group, base, entries)
        infos = await gather_bounded(
            paths, lambda p: self.read_array(join_node(group.node, p)), self.options.concurrency
        )
        arrays = dict(zip(paths, infos, strict=True))
        labels_summary: ImageSummary | None = None
        summary = _image_summary(group.node, ome, arrays, label=label)
        if probe_labels:
            labels_summary = await self.probe_labels(group, summary)
        ctx = ImageContext(group.node, self._version, ome, arrays, labels_summary)
        self.run_rules(Subject.IMAGE_NODE, ctx, group.node, location=(group.document, base))
        return summary

    async def probe_labels(self, image: Group, summary: ImageSummary) -> ImageSummary | None:
        node = join_node(image.node, "labels")
        group = await self.open_group(node, probe=True)
        if group is None:
            return None
        _, ome, base = self.check_group(group)
        if "labels" not in ome:
            return ImageSummary(node=node, exists=True, is_group=True)
        await self.visit_labels(group, ome, base, parent=summary)
        return ImageSummary(node=node, exists=True, is_group=True)

    async def visit_child_image(self, node: str, *, label: bool = False,
                                probe_labels: bool = False) -> ImageSummary:
        group = await self.open_group(node)
        if group is None:
            return ImageSummary(node=node, exists=False)
        if not group.readable:
            return ImageSummary(node=node, exists=True, readable=False)
        _, ome, base = self.check_group(group)
        if "multiscales" not in ome:
            return ImageSummary(node=node, exists=True, is_group=node not in self._array_nodes,
                                is_label="image-label" in ome)
        return await self.visit_image_body(group, ome, base, probe_labels=probe_labels,
                                           label=label)

    async def visit_labels(
        self, group: Group, ome: Mapping[str, Any], base: str, *, parent: ImageSummary | None
    ) -> None:
        self._visit_node(group.node, NodeKind.LABELS)
        labels = ome.get("labels")
        entries = [(("labels", i), p) for i, p in enumerate(labels)] if isinstance(
            labels, list) else []
        paths = self.safe_children(group, base, entries)
        summaries = await gather_bounded(
            paths,
            lambda p: self.visit_child_image(join_node(group.node, p), label=True),
            self.options.concurrency,
        )
        ctx = LabelsContext(group.node, self._version, ome, parent,
                            dict(zip(paths, summaries, strict=True)))
        self.run_rules(Subject.LABELS_NODE, ctx, group.node, location=(group.document, base))

    async def visit_plate(
        self, group: Group, ome: Mapping[str, Any], base: str
    ) -> Mapping[str, WellSummary]:
        self._visit_node(group.node, NodeKind.PLATE)
        plate = ome.get("plate")
        plate = plate if isinstance(plate, Mapping) else {}
        wells = plate.get("wells")
        entries = [(("plate", "wells", i, "path"), w.get("path")) for i, w in enumerate(wells)
                   if isinstance(w, Mapping)] if isinstance(wells, list) else []
        paths = self.safe_children(group, base, entries)
        visited = self._sample_wells(group.node, paths)
        rows = list(dict.fromkeys(p.split("/", 1)[0] for p in visited if "/" in p))
        summaries, row_groups = await asyncio.gather(
            gather_bounded(visited, lambda p: self.visit_well(join_node(group.node, p), plate),
                           self.options.concurrency),
            # The row groups are named by no metadata but MUST exist: one document each,
            # read alongside the wells (no round trip added).
            gather_bounded(rows, lambda r: self._row_group(join_node(group.node, r)),
                           self.options.concurrency),
        )
        ctx = PlateContext(group.node, self._version, ome, dict(zip(visited, summaries,
                                                                     strict=True)),
                           complete=len(visited) == len(paths),
                           row_groups=dict(zip(rows, row_groups, strict=True)))
        self.run_rules(Subject.PLATE_NODE, ctx, group.node, location=(group.document, base))
        return ctx.wells

    async def _row_group(self, node: str) -> bool:
        """Whether a plate's row group exists; one that does is a node (not counted)."""
        exists = await self.group_exists(node)
        if exists:
            self._emit_node(node, NodeKind.GROUP)
        return exists

    async def group_exists(self, node: str) -> bool:
        """Whether a Zarr group is at ``node``: one document (.zgroup, or zarr.json)."""
        if self.report.zarr_format == 3:
            doc, _ = await self.read_json(node, V3_METADATA)
            return doc is not None and doc.get("node_type") == "group"
        doc, _ = await self.read_json(node, V2_GROUP)
        return doc is not None

    def _sample_wells(self, node: str, paths: list[str]) -> list[str]:
        """``options.sample_wells`` of a plate's wells, evenly spread; the rest is recorded."""
        n = self.options.sample_wells
        if n is None or len(paths) <= n:
            return paths
        if n == 1:
            chosen = [0]
        else:
            chosen = sorted({round(i * (len(paths) - 1) / (n - 1)) for i in range(n)})
        visited = [paths[i] for i in chosen]
        taken = set(chosen)
        skipped = [p for i, p in enumerate(paths) if i not in taken]
        plate = node or "/"
        if len(visited) <= len(skipped):
            listed = f"only these were checked: {', '.join(visited)}"
        else:
            listed = f"not checked: {', '.join(skipped)}"
        self.report.skipped.append(
            f"plate {plate}: {len(skipped)} of {len(paths)} wells not checked (--sample-wells "
            f"{n}: evenly spread, first and last included); {listed}"
        )
        return visited

    async def visit_well(self, node: str, plate: Mapping[str, Any]) -> WellSummary:
        group = await self.open_group(node)
        if group is None:
            return WellSummary(node=node, exists=False)
        if not group.readable:
            return WellSummary(node=node, exists=True, readable=False)
        _, ome, base = self.check_group(group)
        if "well" not in ome:
            return WellSummary(node=node, exists=True)
        return await self.visit_well_body(group, ome, base, plate=plate)

    async def visit_well_body(
        self, group: Group, ome: Mapping[str, Any], base: str,
        *, plate: Mapping[str, Any] | None,
    ) -> WellSummary:
        self._visit_node(group.node, NodeKind.WELL)
        well = ome.get("well")
        well = well if isinstance(well, Mapping) else {}
        images = well.get("images")
        images = images if isinstance(images, list) else []
        entries = [(("well", "images", i, "path"), im.get("path")) for i, im in enumerate(images)
                   if isinstance(im, Mapping)]
        paths = self.safe_children(group, base, entries)
        visited = paths
        if self.options.fields == "first" and len(paths) > 1:
            visited = paths[:1]
            self._fields_skipped += len(paths) - 1
            self._fields_skipped_wells += 1
        summaries = await gather_bounded(
            visited,
            lambda p: self.visit_child_image(join_node(group.node, p),
                                             probe_labels=self.options.probe_plate_labels),
            self.options.concurrency,
        )
        ctx = WellContext(group.node, self._version, ome, plate,
                          dict(zip(visited, summaries, strict=True)))
        self.run_rules(Subject.WELL_NODE, ctx, group.node, location=(group.document, base))
        acquisitions = tuple(im.get("acquisition") for im in images if isinstance(im, Mapping))
        return WellSummary(node=group.node, exists=True, is_well=True, images=tuple(paths),
                           acquisitions=acquisitions)

    async def visit_bioformats2raw(self, group: Group, ome: Mapping[str, Any], base: str) -> None:
        self._visit_node(group.node, NodeKind.BIOFORMATS2RAW)
        ome_node = join_node(group.node, "OME")
        series_group, (xml, xml_unreadable) = await asyncio.gather(
            self.open_group(ome_node, probe=True), self._fetch_ome_xml(ome_node))
        series: Mapping[str, Any] | None = None
        listed: list[str] = []
        if series_group is not None:
            _, series, series_base = self.check_group(series_group)
            self._visit_node(series_group.node, NodeKind.SERIES)
            value = series.get("series")
            entries = [(("series", i), p) for i, p in enumerate(value)
                       ] if isinstance(value, list) else []
            # Series paths are relative to the bioformats2raw group, not to OME/.
            listed = self.safe_children(series_group, series_base, entries)
        plate_images: tuple[str, ...] = ()
        if "plate" in ome:
            # The plate takes precedence: its fields are walked once, as the plate's; series
            # entries naming them are not visited again (that would repeat every finding).
            wells = await self.visit_plate(group, ome, base)
            plate_images = tuple(join_node(path, field) for path, well in wells.items()
                                 if well.is_well for field in well.images)
        if "plate" not in ome and (series is None or "series" not in series):
            images = await self._probe_numbered_images(group.node)
        else:
            known = set(plate_images)
            paths = [p for p in listed if p not in known]
            summaries = await gather_bounded(
                paths, lambda p: self.visit_child_image(join_node(group.node, p),
                                                        probe_labels=True),
                self.options.concurrency)
            images = dict(zip(paths, summaries, strict=True))
        ctx = Bioformats2rawContext(group.node, self._version, ome, series, xml, images,
                                    plate_images, xml_unreadable)
        self.run_rules(Subject.BIOFORMATS2RAW_NODE, ctx, group.node,
                       location=(group.document, base))

    async def _fetch_ome_xml(self, ome_node: str) -> tuple[bytes | None, bool]:
        """``(bytes, unreadable)`` of ``OME/METADATA.ome.xml``; a failed read is reported."""
        try:
            return await self.fetch(ome_node, "METADATA.ome.xml"), False
        except FetchError as exc:
            self.add_builtin(RULES[exc.rule], ome_node, "METADATA.ome.xml", "", str(exc))
            return None, True

    async def _probe_numbered_images(self, node: str) -> dict[str, ImageSummary]:
        # Without a series list, images live in consecutive groups 0, 1, 2, ...: the only
        # way to find how many is to look, a batch at a time, until one is missing. Groups
        # are opened first and walked only up to the first gap, so that groups past it
        # (not part of the collection) are not checked; batches grow, so that a large
        # collection costs few round trips and a single image few wasted requests.
        images: dict[str, ImageSummary] = {}
        start, batch = 0, 8
        while True:
            names = [str(i) for i in range(start, start + batch)]
            groups = await asyncio.gather(
                *(self.open_group(join_node(node, n), probe=True) for n in names))
            present: list[Group] = []
            for found in groups:
                if found is None:
                    break
                present.append(found)
            summaries = await gather_bounded(present, self._visit_probed_image,
                                             self.options.concurrency)
            images.update(zip(names, summaries, strict=False))
            if len(present) < batch:
                return images
            start += batch
            batch = min(batch * 2, max(8, self.options.concurrency))

    async def _visit_probed_image(self, group: Group) -> ImageSummary:
        """What :meth:`visit_child_image` does once the group is open."""
        _, ome, base = self.check_group(group)
        if "multiscales" not in ome:
            return ImageSummary(node=group.node, exists=True,
                                is_group=group.node not in self._array_nodes,
                                is_label="image-label" in ome)
        return await self.visit_image_body(group, ome, base, probe_labels=True)


def _version_path(attributes: Mapping[str, Any]) -> tuple[str | int, ...]:
    if isinstance(attributes.get("ome"), Mapping):
        return ("ome", "version")
    multiscales = attributes.get("multiscales")
    if isinstance(multiscales, list):
        for i, ms in enumerate(multiscales):
            if isinstance(ms, Mapping) and "version" in ms:
                return ("multiscales", i, "version")
    for key in ("plate", "well", "image-label"):
        value = attributes.get(key)
        if isinstance(value, Mapping) and "version" in value:
            return (key, "version")
    return ()


def _image_summary(
    node: str, ome: Mapping[str, Any], arrays: Mapping[str, ArrayInfo | None], *, label: bool
) -> ImageSummary:
    multiscales = ome.get("multiscales")
    first = multiscales[0] if isinstance(multiscales, list) and multiscales else {}
    first = first if isinstance(first, Mapping) else {}
    datasets = first.get("datasets")
    n_datasets = len(datasets) if isinstance(datasets, list) else 0
    axes = first.get("axes")
    names: list[str] = []
    if isinstance(axes, list):
        for axis in axes:
            if isinstance(axis, Mapping) and isinstance(axis.get("name"), str):
                names.append(axis["name"])
            elif isinstance(axis, str):
                names.append(axis)
    ndims = Counter(a.ndim for a in arrays.values() if a is not None and a.ndim is not None)
    ndim = ndims.most_common(1)[0][0] if ndims else None
    level0 = datasets[0] if isinstance(datasets, list) and datasets else None
    first_path = level0.get("path") if isinstance(level0, Mapping) else None
    first_array = arrays.get(first_path) if isinstance(first_path, str) else None
    image_label = ome.get("image-label")
    source = image_label.get("source") if isinstance(image_label, Mapping) else None
    source_image = source.get("image") if isinstance(source, Mapping) else None
    # ``label`` (listed by a labels group) does not make is_label: the labels rules need to
    # tell a listed label image without "image-label" metadata from one with it.
    return ImageSummary(
        node=node, exists=True, is_group=True, is_image=True,
        is_label="image-label" in ome, version=declared_version_of(ome),
        datasets=n_datasets, ndim=ndim, axes=tuple(names),
        shape=first_array.shape if first_array is not None else None,
        label_source=source_image if isinstance(source_image, str) else None,
    )


def declared_version_of(ome: Mapping[str, Any]) -> str | None:
    version = ome.get("version")
    if version is not None:
        return str(version)
    return declared_version(ome)
