"""Options of a validation run, with the defaults the CLI and the library use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from validator import versions as ngff

MiB = 1024 * 1024

#: Default cap on requests in flight (per run, so per host; each is one HTTP/1.1 connection).
#: Metadata documents are tiny, so a walk is bound by round trips: at 20 ms per request 128
#: in flight read a 384-well plate's 2,700 documents in 0.42 s (64: 0.84 s), and on this
#: project's benchmark machine 128 is where more in flight stops paying (the client's CPU is
#: the limit; see bench/README.md). Polite because the walk adapts within the cap (see
#: ``Options.adaptive``): it starts at 64 -- a quarter of Apache's default 256 workers, an
#: eighth of a default nginx -- grows only while the server's latency stays flat, and backs
#: off when latency climbs or the server answers 429/503 (honouring Retry-After). On S3, 128
#: in flight at >= 25 ms stays under the 5,500 GET/s a key prefix serves.
DEFAULT_CONCURRENCY = 128


@dataclass(frozen=True, slots=True)
class Options:
    """How to walk and what to check.

    Every fetch has a size cap (``max_document_bytes``), a timeout (``timeout`` seconds per
    request) and belongs to a budget (``max_documents``, ``max_bytes``, ``deadline`` seconds
    for the whole walk). When a budget runs out the report is incomplete (``complete`` false,
    ``truncated``, the reason in ``incomplete_reasons``), with the findings found so far.
    """

    ngff_version: str | None = None
    strict: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = 30.0
    retries: int = 3
    max_document_bytes: int = 32 * MiB
    max_json_depth: int = 128
    max_documents: int | None = None
    max_bytes: int | None = None
    #: Findings kept in the report at most (a memory budget): beyond it, findings of a
    #: severity the report already holds are counted (``counts``), not kept. ``None``: all.
    max_findings: int | None = None
    #: Bytes of metadata documents the walk may hold at once (a memory budget): a document
    #: counts from its read until the group or array it describes is let go (consolidated
    #: metadata and documents no node owns: until the walk ends). Beyond it the walk stops
    #: and the report is incomplete. ``None``: no budget.
    max_held_bytes: int | None = None
    deadline: float | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    #: Read the ``labels`` group of every field image of a plate (a field is an image, and an
    #: image's labels are part of the dataset). The plate metadata does not name such groups:
    #: one read per field (a 404 where there is none), issued alongside the field's own
    #: reads; free with consolidated metadata. ``False`` is a triage that skips them, and the
    #: report's ``skipped`` says so.
    plate_labels: bool = True
    #: Deprecated (before plate_labels, the fields' labels were read only when this was set):
    #: accepted and ignored, since they are read by default.
    probe_plate_labels: bool | None = None
    #: Read the documents from the root's consolidated metadata when it has some (v2
    #: ``.zmetadata``, v3 ``consolidated_metadata`` in the root ``zarr.json``): one request
    #: for the whole tree. In Zarr v2, looking for ``.zmetadata`` costs one request at the root.
    consolidated: bool = True
    #: Also read every real document and report where the consolidated copy disagrees
    #: (``zarr.consolidated.matches``); the real documents are the ones checked.
    verify_consolidated: bool = False
    #: Size cap of the documents that may hold a whole hierarchy's consolidated metadata (the
    #: root ``zarr.json`` and ``.zmetadata``); other documents have ``max_document_bytes``.
    max_consolidated_bytes: int = 256 * MiB
    #: Triage of very large plates: check only this many wells of each plate, evenly spread
    #: over its wells list (first and last included); ``None`` checks every well.
    sample_wells: int | None = None
    #: ``"all"`` fields of every well, or only the ``"first"`` one listed.
    fields: str = "all"
    #: Adapt the number of requests in flight to the server, within ``concurrency``: start at
    #: 64 (or ``concurrency`` when lower), halve on 429/503, shrink when latency climbs, grow
    #: while it stays flat (see :mod:`validator.limiter`). ``False``: always ``concurrency``.
    adaptive: bool = True

    def __post_init__(self) -> None:
        if self.ngff_version is not None and ngff.find(self.ngff_version) is None:
            raise ValueError(f"unsupported NGFF version {self.ngff_version!r}: use "
                             f"{ngff.listing('or')}")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if not 0 <= self.retries <= 20:
            raise ValueError("retries must be between 0 and 20")
        if self.max_document_bytes < 1:
            raise ValueError("max_document_bytes must be positive")
        if self.max_held_bytes is not None and self.max_held_bytes < 1:
            raise ValueError("max_held_bytes must be positive")
        if self.max_findings is not None and self.max_findings < 1:
            raise ValueError("max_findings must be at least 1")
        if self.sample_wells is not None and self.sample_wells < 1:
            raise ValueError("sample_wells must be at least 1")
        if self.fields not in ("all", "first"):
            raise ValueError(f"fields must be 'all' or 'first', not {self.fields!r}")
