"""Reading documents: fetches within the budgets, JSON parsing, consolidated metadata.

Every document of a walk is read here: fetched from the store (bounded by the
:class:`~validator.limiter.Limiter`, counted against ``max_documents`` and ``max_bytes``), or
taken from the root's consolidated metadata when there is some (:mod:`validator.consolidated`),
and parsed. What cannot be read becomes a finding, never an exception the walk has to catch
(except a budget running out, which stops the walk).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
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
from validator.document import parse_json
from validator.errors import BudgetExceeded, FetchError
from validator.limiter import Limiter
from validator.model import join_node
from validator.options import Options
from validator.rules import RULES
from validator.rules import builtin as B
from validator.stores import Store
from validator.walk.findings import Findings
from validator.walk.offload import LARGE_DOCUMENT, is_large
from validator.zarrmeta import V2_ATTRS, V2_GROUP, V3_METADATA

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of a walk: documents read, documents known so far, findings so far."""

    documents: int
    known: int
    findings: int
    requests: int


ProgressCallback = Callable[[Progress], None]


async def gather_bounded(
    items: Sequence[T], func: Callable[[T], Awaitable[R]], limit: int
) -> list[R]:
    """``[await func(i) for i in items]``, at most ``limit`` at a time, results in order."""
    if len(items) <= 1 or limit <= 1:
        # Nothing to run side by side: awaited here, without a task group and a task per
        # worker (a well with one field, an image with one level). An exception propagates
        # as it is, as the first leaf of the group would.
        return [await func(item) for item in items]
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


A = TypeVar("A")
B_ = TypeVar("B_")


async def gather_pair(first: Awaitable[A], second: Awaitable[B_]) -> tuple[A, B_]:
    """``asyncio.gather(first, second)`` for two awaitables, at half the cost: ``second`` runs
    in a task of its own, ``first`` in the caller's (one task instead of two, and no gather
    future), started in the same order. When ``first`` raises (or the caller is cancelled),
    ``second`` is cancelled and waited for, as a task group would: nothing of a walk may still
    run once it has returned (its store is closed next). When ``second`` raises, the exception
    is raised once ``first`` is done (gather raised it at once, leaving ``first`` running: it
    ran to its end either way)."""
    task = asyncio.ensure_future(second)
    try:
        result = await first
    except BaseException:
        if not task.done():
            task.cancel()
            await asyncio.wait((task,))
        if not task.cancelled():
            task.exception()  # retrieved (the first error stands): never "never retrieved"
        raise
    return result, await task


#: The root documents that may hold a whole hierarchy's consolidated metadata.
_CONSOLIDATED_DOCUMENTS = frozenset({V3_METADATA, V2_CONSOLIDATED})


class _Owned(weakref.ref[Any]):
    """A weak reference to the owner of held documents, and how many bytes they are."""

    __slots__ = ("size",)
    size: int


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


class Reader:
    """Reads the documents of one walk and keeps its counts."""

    def __init__(
        self, store: Store, options: Options, findings: Findings,
        on_progress: ProgressCallback | None,
        limiter: Limiter | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.findings = findings
        # The cap on requests in flight (per run, so per host): options.concurrency at most.
        # A batch passes the limiter of the host, shared by every walk on that host.
        self.limiter = limiter or Limiter(options.concurrency, adaptive=options.adaptive)
        self._on_progress = on_progress
        self.documents = 0
        self.known = 0
        #: Sizes of the large documents read (key -> bytes), until their checks take them:
        #: those are checked in a worker thread (see Walk.check_group).
        self.large: dict[str, int] = {}
        self._last_progress = 0.0
        self._root_cache: dict[str, bytes | None] = {}
        # Consolidated metadata, when the root has some and options.consolidated is set.
        self._consolidated: Consolidated | None = None
        self.adopt_v3_copy = False
        self._root_docs: dict[str, tuple[Any, bool]] = {}  # v2 root documents as read
        #: With ``keep_documents`` (set by the walk when someone asks for node details): the
        #: documents read per node (name -> parsed value), until the node is visited.
        self.keep_documents = False
        self.kept: dict[str, dict[str, Any]] = {}
        #: Bytes of the documents held now (``Options.max_held_bytes``), and the sizes of those
        #: read that no group or array owns yet (key -> bytes; see :meth:`own`).
        self.held = 0
        self.held_peak = 0
        self._unowned: dict[str, int] = {}
        #: The weak references to the owners of held documents (id -> reference), kept alive
        #: until their owner goes (see :meth:`own`).
        self._owners: dict[int, _Owned] = {}

    # -- bookkeeping ---------------------------------------------------------------------

    def progress(self, force: bool = False) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_progress >= 0.1:
            self._last_progress = now
            self._on_progress(
                Progress(self.documents, self.known, len(self.findings.report.findings),
                         self.store.stats.requests)
            )

    def _check_budget(self) -> None:
        opts = self.options
        if opts.max_documents is not None and self.known >= opts.max_documents:
            raise BudgetExceeded(f"the limit of {opts.max_documents} documents was reached")
        if opts.max_bytes is not None and self.store.stats.bytes >= opts.max_bytes:
            raise BudgetExceeded(f"the limit of {opts.max_bytes} bytes was reached")

    def _hold(self, key: str, size: int) -> None:
        """Count a document read as held; stop the walk when the budget is exceeded."""
        self._unowned[key] = self._unowned.get(key, 0) + size
        self.held += size
        self.held_peak = max(self.held_peak, self.held)
        budget = self.options.max_held_bytes
        if budget is not None and self.held > budget:
            raise BudgetExceeded(f"the memory budget of {budget} bytes of documents held at "
                                 f"once was exceeded ({self.held} bytes)")

    def own(self, owner: object, node: str, *names: str) -> None:
        """``owner`` (a group or array as read) holds the documents ``names`` of ``node``:
        they count as held until it is let go (a weak reference says when)."""
        unowned = self._unowned
        if len(names) == 1:
            size = unowned.pop(join_node(node, names[0]), 0)
        else:
            size = sum(unowned.pop(join_node(node, name), 0) for name in names)
        if size:
            # A weak reference with a callback, not weakref.finalize: one per group and array
            # read, and finalize's registry and atexit bookkeeping cost three times as much.
            # The reference itself must outlive its owner for the callback to run: kept here.
            ref = _Owned(owner, self._owner_gone)
            ref.size = size
            self._owners[id(ref)] = ref

    def _owner_gone(self, ref: _Owned) -> None:
        del self._owners[id(ref)]
        self.held -= ref.size

    def drop(self, node: str, *names: str) -> None:
        """The documents ``names`` of ``node`` were looked at and let go."""
        self.held -= sum(self._unowned.pop(join_node(node, name), 0) for name in names)

    def cache_root(self, name: str, data: bytes | None) -> None:
        """Keep a root document read while detecting the format, for its first reader."""
        self._root_cache[name] = data
        self.known -= 1  # counted when it is taken from the cache
        self.documents -= 1

    # -- reading -------------------------------------------------------------------------

    async def fetch(self, node: str, name: str) -> bytes | None:
        """The bytes of document ``name`` of ``node``; ``None`` when it does not exist.

        Raises FetchError when it could not be read, BudgetExceeded when a budget ran out.
        """
        return await self._fetch(join_node(node, name), node, name)

    async def _fetch(self, key: str, node: str, name: str) -> bytes | None:
        """:meth:`fetch` of ``key`` (``join_node(node, name)``, which the caller has)."""
        root_cache = self._root_cache
        if root_cache and key in root_cache:
            # Read once while detecting the format at the root; counted here, once.
            data = root_cache.pop(key)
            self.known += 1
            self.documents += data is not None
            return data
        self._check_budget()
        self.known += 1
        store = self.store
        stats = store.stats
        async with self.limiter.slot() as outcome:
            # getattr: a store of someone else's may keep stats without ``throttled``.
            throttled = getattr(stats, "throttled", 0)
            try:
                if not node and name in _CONSOLIDATED_DOCUMENTS and getattr(
                        store, "accepts_max_bytes", False):
                    # The documents that may hold a whole hierarchy's consolidated metadata
                    # get a larger cap.
                    options = self.options
                    get: Any = store.get
                    data = await get(key, max_bytes=max(options.max_document_bytes,
                                                        options.max_consolidated_bytes))
                else:
                    data = await store.get(key)
            except BaseException:
                outcome.failed = True
                raise
            finally:
                outcome.throttled = getattr(stats, "throttled", 0) > throttled
        if data is not None:
            self.documents += 1
        if self._on_progress is not None:
            self.progress()
        return data

    async def fetch_reported(self, node: str, name: str) -> tuple[bytes | None, bool]:
        """``(bytes, unreadable)`` of a document that is not JSON; a failed read is reported."""
        try:
            return await self.fetch(node, name), False
        except FetchError as exc:
            self.findings.add_builtin(RULES[exc.rule], node, name, "", str(exc))
            return None, True

    async def read_json(self, node: str, name: str, *, probe: bool = False) -> tuple[Any, bool]:
        """``(value, exists)``: the parsed document, or a finding and ``(None, True)``.

        See :meth:`_read_json`; the document is also kept for the node's details when asked.
        """
        if self._consolidated is None:
            # Most walks have no consolidated metadata: straight to the store, one coroutine
            # less between every request and its visitor (each resumption passes through all).
            value, exists = await self._read_json_real(node, name, join_node(node, name))
            if not node and name in (V2_GROUP, V2_ATTRS):
                self._root_docs[name] = (value, exists)
        else:
            value, exists = await self._read_json(node, name, probe=probe)
        if exists and self.keep_documents:
            self.kept.setdefault(node, {})[name] = value
        return value, exists

    async def _read_json(self, node: str, name: str, *, probe: bool = False
                         ) -> tuple[Any, bool]:
        """``(value, exists)``: the parsed document, or a finding and ``(None, True)``.

        With consolidated metadata the document comes from the consolidated copy (no request);
        what the copy lacks is fetched, and a document found so is a disagreement -- except
        for a ``probe`` (a group no metadata names, such as a field's ``labels``): absent from
        the copy, it is taken as absent, for free. With ``verify_consolidated`` the real
        document is always fetched, compared and returned.
        """
        copy = self._consolidated
        key = join_node(node, name)
        if (copy is not None and probe and not self.options.verify_consolidated
                and key not in copy):
            return None, False
        if copy is None:
            value, exists = await self._read_json_real(node, name, key)
            if not node and name in (V2_GROUP, V2_ATTRS):
                self._root_docs[name] = (value, exists)
            return value, exists
        has_copy, copied = copy.take(key)
        if has_copy and not self.options.verify_consolidated:
            self._check_budget()
            self.known += 1
            self.documents += 1
            self.progress()
            if not isinstance(copied, dict):
                self.findings.add_builtin(
                    B.DOCUMENT_INVALID_JSON, node, name, "",
                    f"the document is not a JSON object (in the consolidated metadata, "
                    f"{copy.source})")
                return None, True
            if is_large(copied):
                # Checked off the event loop like a large fetched document (its bytes were
                # counted with the whole consolidated metadata: not counted again).
                self.large[key] = LARGE_DOCUMENT
            return copied, True
        value, exists = await self._read_json_real(node, name, key)
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
        add = self.findings.add_builtin
        if has_copy and not exists:
            add(rule, node, name, "", f"{key} is in the consolidated metadata "
                f"({source}) but does not exist")
        elif exists and not has_copy:
            add(rule, node, name, "", f"{key} exists but is missing from the "
                f"consolidated metadata ({source})")
        elif has_copy:
            found = differences(copied, value, limit=4)
            for i, (ptr, what) in enumerate(found[:3]):
                more = " (and more)" if i == 2 and len(found) > 3 else ""
                add(rule, node, name, ptr, f"the consolidated metadata ({source}) "
                    f"disagrees with {key}: {what}{more}")

    async def _read_json_real(self, node: str, name: str, key: str) -> tuple[Any, bool]:
        """Fetch and parse document ``name`` of ``node`` (``key``: the two joined)."""
        try:
            data = await self._fetch(key, node, name)
        except FetchError as exc:
            self.findings.add_builtin(RULES[exc.rule], node, name, "", str(exc))
            return None, True
        if data is None:
            return None, False
        size = len(data)
        if size >= LARGE_DOCUMENT:
            # Parsing a 16 MB document takes most of a second: not on the event loop.
            value, problem = await asyncio.to_thread(parse_json, data,
                                                     self.options.max_json_depth)
        else:
            value, problem = parse_json(data, self.options.max_json_depth)
        if problem is not None:
            rule = B.DOCUMENT_TOO_DEEP if "deeper" in problem else B.DOCUMENT_INVALID_JSON
            # Strict JSON problems (duplicate key, NaN literal) know where they are.
            self.findings.add_builtin(rule, node, name, getattr(problem, "pointer", ""),
                                      f"{self.store.url(key)}: {problem}")
            return None, True
        if not isinstance(value, dict):
            self.findings.add_builtin(B.DOCUMENT_INVALID_JSON, node, name, "",
                                      "the document is not a JSON object")
            return None, True
        if size >= LARGE_DOCUMENT:
            self.large[key] = size
        self._hold(key, size)
        if not node and name == V3_METADATA and self.adopt_v3_copy:
            self.adopt_v3_copy = False
            self._adopt_v3(value)
        return value, True

    # -- consolidated metadata -------------------------------------------------------------

    def _adopt_v3(self, root: dict[str, Any]) -> None:
        """Use the ``consolidated_metadata`` of the root ``zarr.json``, when it has some."""
        copy, problem = from_v3(root)
        if problem is not None:
            self.findings.add_builtin(CONSOLIDATED_MATCHES, "", V3_METADATA,
                                      "/consolidated_metadata",
                                      f"the consolidated metadata cannot be used: {problem}")
        if copy is not None:
            # The copy now owns the documents: hand each over once, then forget it.
            root.pop("consolidated_metadata", None)
            self._consolidated = copy

    async def open_v2_copy(self) -> None:
        """Read ``.zmetadata`` at a Zarr v2 root and use it when it is well-formed."""
        document, _ = await self._read_json_real("", V2_CONSOLIDATED, V2_CONSOLIDATED)
        if document is None:
            return  # absent, or unreadable (reported)
        copy, problem = from_v2(document)
        if copy is None:
            self.findings.add_builtin(CONSOLIDATED_MATCHES, "", V2_CONSOLIDATED, "",
                                      f"the consolidated metadata cannot be used: {problem}")
            return
        self._consolidated = copy

    def compare_v2_root(self) -> None:
        """The root's own documents were read anyway: compare them with their copies."""
        copy = self._consolidated
        if copy is None:
            return
        for name in (V2_GROUP, V2_ATTRS):
            value, exists = self._root_docs.pop(name, (None, False))
            has_copy, copied = copy.take(name)
            if self.options.verify_consolidated or has_copy or exists:
                self._compare_copy("", name, has_copy, copied, value, exists)
