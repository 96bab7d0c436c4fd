"""One validation run: the root (format, version), the document checks of each group, the report.

:class:`Walk` holds what a run shares -- the store, the options, the report, the
:class:`~validator.walk.reading.Reader`, the :class:`~validator.walk.layout.Layout` and the
:class:`~validator.walk.findings.Findings` -- and hands the root group to the visitors
(:mod:`validator.walk.visitors`), which walk the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from validator import versions as ngff
from validator.document import (
    Issue,
    check_attributes,
    declared_version,
    is_ome,
    ome_metadata,
    version_absent_issue,
)
from validator.errors import BudgetExceeded, CouldNotValidate, DocumentTooLarge, FetchError
from validator.limiter import Limiter
from validator.model import NodeKind, Report, Severity, join_node, pointer
from validator.nodeinfo import NodeDetail, NodeDetailCallback, array_detail
from validator.options import Options
from validator.rules import builtin as B
from validator.stores import Store
from validator.walk import memo
from validator.walk.findings import FindingCallback, Findings
from validator.walk.layout import Group, Layout
from validator.walk.offload import off_loop
from validator.walk.reading import ProgressCallback, Reader, gather_pair
from validator.walk.visitors import visit_group
from validator.zarrmeta import V2_ARRAY, V2_GROUP, V3_METADATA

#: Called once for each node the walk visits, with its path ("" = root) and kind.
NodeCallback = Callable[[str, NodeKind], None]


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
        on_node_detail: NodeDetailCallback | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.report = Report(target=target, ngff_version=None, zarr_format=None,
                             strict=options.strict)
        self.findings = Findings(self.report, on_finding)
        self.findings.max_findings = options.max_findings
        self.reader = Reader(store, options, self.findings, on_progress, limiter)
        self.layout = Layout(self.reader, self.findings)
        self.findings.locate = self.layout.locate
        # Identical documents (most of a plate's) are checked once per walk, never across walks.
        self.memo = memo.CheckMemo(enabled=memo.ENABLED)
        self._on_node = on_node
        self._on_node_detail = on_node_detail
        self.reader.keep_documents = on_node_detail is not None
        self.fields_skipped = 0  # options.fields == "first": fields not visited
        self.fields_skipped_wells = 0
        self.labels_skipped = 0  # options.plate_labels off: fields whose labels were not read

    @property
    def version(self) -> ngff.SpecVersion:
        """The version of the hierarchy (the oldest supported release until the root is read)."""
        return self.findings.version

    # -- nodes ---------------------------------------------------------------------------

    def visit_node(self, path: str, kind: NodeKind) -> None:
        """Count a visited node in the report and tell ``on_node`` (nodes are not kept)."""
        self.report.nodes[kind] += 1
        self.emit_node(path, kind)

    def emit_node(self, path: str, kind: NodeKind) -> None:
        if self._on_node is not None:
            self._on_node(path, kind)
        if self._on_node_detail is not None:
            documents = self.reader.kept.pop(path, {})
            array = None
            if kind is NodeKind.ARRAY:
                fmt = self.report.zarr_format or 3
                document = documents.get(V3_METADATA if fmt == 3 else V2_ARRAY)
                if isinstance(document, Mapping):
                    array = array_detail(fmt, document)
            self._on_node_detail(NodeDetail(path, kind, documents, array))

    # -- checking ------------------------------------------------------------------------

    async def check_group(self, group: Group) -> tuple[str, Mapping[str, Any], str]:
        """Document checks of one group; returns its version, OME metadata and OME base.

        The checks of a large document run in a worker thread, so that other walks on this
        event loop (a service's other jobs) keep reading meanwhile; cancelling the walk (a
        deadline) stops them at the next rule or violation."""
        declared = _release(declared_version(group.attributes))
        current = self.version.id
        version = self.options.ngff_version or current
        if not group.readable:
            return version, {}, group.base
        if declared is not None and declared != current and not self.options.ngff_version:
            self.findings.add_builtin(
                B.VERSION_MIXED, group.node, group.document,
                group.base + pointer(*_version_path(group.attributes)),
                f"this group declares NGFF {declared} but the hierarchy is {current}",
            )
        # A group inside the hierarchy without ome.version (ome-zarr-py writes 0.5 labels
        # groups so) is read as the root's version: one warning, instead of the schema's
        # ome.version.required error. At the root nothing else gives the version: the error
        # stands there, alone.
        absent = bool(group.node) and declared is None and group.zarr_format == 3 and (
            isinstance(group.attributes.get("ome"), Mapping))
        if absent:
            # The same finding as --document's for an ome object given its version.
            self.findings.add(version_absent_issue(current).finding(group.node, group.document,
                                                                    group.base))
        size = self.reader.large.pop(join_node(group.node, group.document), 0)
        issues: Sequence[Issue]
        if size:
            issues = await off_loop(check_attributes, group.attributes, version, group.node)
        else:
            issues = self.memo.attribute_issues(
                group.attributes, version,
                lambda: check_attributes(group.attributes, version, group.node))
        for issue in issues:
            if absent and issue.rule == "ome.version.required":
                continue
            self.findings.add(issue.finding(group.node, group.document, group.base))
            if issue.incomplete is not None:
                self.report.mark_incomplete(issue.incomplete)
        ome, prefix = ome_metadata(group.attributes, version)
        return version, ome, group.base + pointer(*prefix)

    # -- the run -------------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        try:
            await self._run_root()
        except BudgetExceeded as exc:
            self.report.truncated = True
            self.report.skipped.append(f"walk stopped early: {exc}")
            self.report.mark_incomplete(f"walk stopped early: {exc}")
        finally:
            if self.labels_skipped:
                self.report.skipped.append(
                    f"labels: the labels groups of {self.labels_skipped} plate field images "
                    "were not checked (--no-plate-labels: not even looked for)")
            if self.fields_skipped:
                self.report.skipped.append(
                    f"fields: {self.fields_skipped} field images not checked (--fields first: "
                    f"only the first field listed by each well); {self.fields_skipped_wells} "
                    "wells have more than one field"
                )
            dropped = self.findings.dropped_rules
            if dropped:
                by_rule = ", ".join(f"{rule} {n}" for rule, n in dropped.most_common(10))
                self.report.skipped.append(
                    f"findings: {sum(dropped.values())} beyond the first "
                    f"{self.options.max_findings} were counted (in counts), not kept: {by_rule}"
                    + (" ..." if len(dropped) > 10 else ""))
            self.report.stats.seconds = time.monotonic() - started
            self.report.stats.documents = self.reader.documents
            self.report.stats.requests = self.store.stats.requests
            self.report.stats.bytes = self.store.stats.bytes
            self.reader.progress(force=True)
        self.report.sort()
        return self.report

    async def _detect_format(self) -> int:
        forced = self.options.ngff_version
        if forced is not None:
            return ngff.get(forced).zarr_format
        try:
            data = await self.reader.fetch("", V3_METADATA)
        except DocumentTooLarge as exc:
            # It exists, so this is Zarr v3; but a limit of ours stops the walk here: that is
            # a finding and a truncated report, not a refusal to answer.
            self.report.zarr_format = 3
            self.findings.add_builtin(B.DOCUMENT_TOO_LARGE, "", V3_METADATA, "", str(exc))
            raise BudgetExceeded("the root metadata is larger than the document size limit: "
                                 "nothing below it was checked") from None
        except FetchError as exc:
            # The store's message names the URL already ("could not read URL: Cannot connect
            # to host ..."): say it once.
            url = self.store.url(V3_METADATA)
            raise CouldNotValidate(str(exc) if url in str(exc) else f"cannot read {url}: {exc}"
                                   ) from None
        if data is not None:
            self.reader.cache_root(V3_METADATA, data)
            return 3
        return 2

    async def _run_root(self) -> None:
        try:
            fmt = await self._detect_format()
        except FetchError as exc:
            raise CouldNotValidate(str(exc)) from None
        self.report.zarr_format = fmt
        self.layout.zarr_format = fmt
        self.reader.adopt_v3_copy = fmt == 3 and self.options.consolidated
        try:
            if fmt == 2 and self.options.consolidated:
                # .zmetadata beside .zgroup and .zattrs, at once: no round trip added.
                root, _ = await gather_pair(self.layout.open_group(""),
                                            self.reader.open_v2_copy())
                self.reader.compare_v2_root()
            else:
                root = await self.layout.open_group("")
        except FetchError as exc:
            raise CouldNotValidate(str(exc)) from None
        if root is None:
            raise CouldNotValidate(await self._no_root_group(fmt))
        if "" in self.layout.array_nodes:
            raise CouldNotValidate("the root is a Zarr array, not an OME-Zarr group")
        if not root.readable and self._root_is_malformed():
            # A root document that is not JSON (or not an object) is a defect of the dataset,
            # reported with its line and column: the report is invalid, not "could not
            # validate". Nothing below it can be found.
            return
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
        declared = _release(declared_version(root.attributes))
        version = self.options.ngff_version or declared or ngff.undeclared(fmt).id
        self.report.ngff_version = version
        record = ngff.find(version)
        if record is None:
            raise CouldNotValidate(
                f"NGFF {version} is not supported: this validator checks {ngff.listing()}"
            )
        self.findings.version = record
        if fmt != record.zarr_format:
            self.findings.add_builtin(
                B.ZARR_FORMAT, "", root.document, "",
                f"NGFF {record.id} must be stored as Zarr v{record.zarr_format}, "
                f"found Zarr v{fmt}")
        await visit_group(self, root)

    def _root_is_malformed(self) -> bool:
        """Whether the root's metadata was read but is malformed (not a failed read)."""
        malformed = {B.DOCUMENT_INVALID_JSON.id, B.DOCUMENT_TOO_DEEP.id}
        return any(f.node == "" and f.rule in malformed for f in self.report.findings)

    async def _no_root_group(self, fmt: int) -> str:
        """Why there is no dataset at the root: the other Zarr format's metadata, when a
        forced version looked for the wrong one, else what is there instead (never a format
        the target does not have)."""
        forced = self.options.ngff_version
        if forced is not None:
            other, name = (3, V3_METADATA) if fmt == 2 else (2, V2_GROUP)
            try:
                found = await self.store.get(name)
            except FetchError:
                found = None
            if found is not None:
                return (f"{self.store.url('')} is Zarr v{other} ({name}), but NGFF {forced} "
                        f"(--ngff-version) is stored as Zarr v{fmt}: nothing to check as "
                        f"{forced}")
        from validator.diagnose import no_hierarchy  # only on this path

        return await no_hierarchy(self.store)


def _release(tag: str | None) -> str | None:
    """The release a declared version string names ("0.6rc0" and "0.6.dev3" are 0.6; the
    schema warns about a dev tag); an unknown tag stays as written."""
    if tag is None:
        return None
    release, _pre_release = ngff.resolve(tag)
    return release.id if release is not None else tag


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
