"""A read-only :class:`~validator.stores.Store` over a ZIP archive: the walk reads an ``.ozx``
exactly as it reads a directory, keys relative to the archive root.

What it costs (each "read" is one range request on a remote archive):

1. the archive's last :data:`~validator.ozx.archive.TAIL_BYTES` (end record, comment, ZIP64
   locator and record) -- for a small archive that is the whole central directory too;
2. the central directory, unless the first read held it;
3. the metadata entries the walk asks for, fetched a *run* at a time: entries that lie next to
   each other in the file and are all metadata (``zarr.json``, ``.zattrs``, ``.zgroup``,
   ``.zarray``, ``.zmetadata``, ``METADATA.ome.xml``) are one range, cut at
   :data:`MAX_RANGE` bytes. An archive written metadata-first (RFC-9's recommendation) has one
   run: all its metadata arrives in one request (or a few, for a very large plate). A range
   never includes an entry that is not metadata: chunk data is never read.

Everything read goes through stdlib :mod:`zipfile` (local headers, decompression bounded by
the declared size, which is checked against the document size limit first, CRC checks).
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import zipfile
from dataclasses import dataclass, field

from validator.errors import DocumentTooLarge, FetchError
from validator.options import Options
from validator.ozx.archive import (
    SPANNING_SIGNATURE,
    TAIL_BYTES,
    Archive,
    EndRecord,
    Entry,
    Missing,
    Problem,
    SparseFile,
    check_end,
    parse_end,
    read_central_directory,
)
from validator.ozx.sources import RangeSource
from validator.stores import StoreStats

#: Names of the documents the walk reads (the last path segment of a key).
METADATA_NAMES = frozenset({"zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata",
                            "METADATA.ome.xml"})
#: The first read of an archive: its last 16 KiB. That holds the end record with any
#: comment up to 16 KiB (RFC-9's is ~100 bytes), the ZIP64 locator and record, and, for an
#: archive of up to ~150 entries, the whole central directory. What precedes the central
#: directory in those bytes (the end of the last entry) is the only data besides metadata an
#: archive read can include; a larger first read would save a request on archives of up to
#: ~700 entries but bring up to 64 KiB of chunk data with it.
FIRST_READ = 16 * 1024
#: The largest single range request for metadata entries (a run is cut into such pieces).
MAX_RANGE = 8 * 1024 * 1024


class ArchiveError(FetchError):
    """An entry cannot be read because the archive lies about it (a finding of the walk)."""

    rule = "ozx.zip.valid"


@dataclass(slots=True)
class _Piece:
    """A range of the archive holding one or more metadata entries, fetched once."""

    start: int
    end: int
    task: asyncio.Future[None] | None = None


@dataclass(slots=True)
class ArrayNote:
    """What the sharding rule needs of an array the walk read."""

    sharded: bool


@dataclass(slots=True)
class ZipStore:
    """The walk's view of an archive (see the module docstring)."""

    source: RangeSource
    options: Options
    archive: Archive | None
    #: Why the archive cannot be walked at all (multi-part, unreadable central directory).
    fatal: str | None = None
    problems: list[Problem] = field(default_factory=list)
    #: Array keys (``.../zarr.json``) the walk read, and whether each is sharded.
    arrays: dict[str, ArrayNote] = field(default_factory=dict)
    #: Bytes 0..4 of the archive when they were read anyway (first run, or a small archive).
    head: bytes | None = None
    accepts_max_bytes: bool = True
    _pieces: dict[str, _Piece] = field(default_factory=dict)

    #: The source's counters: every read of the archive, its end and directory too.
    stats: StoreStats = field(init=False)

    def __post_init__(self) -> None:
        self.stats = self.source.stats

    @property
    def display(self) -> str:
        return self.source.display

    def url(self, key: str) -> str:
        return f"{self.source.display}/{key}" if key else self.source.display

    async def close(self) -> None:
        pending = {p.task for p in self._pieces.values() if p.task is not None
                   and not p.task.done()}
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        await self.source.close()

    # -- opening ------------------------------------------------------------------------

    @classmethod
    async def open(cls, source: RangeSource, options: Options, *,
                   look_at_head: bool = True) -> ZipStore | None:
        """Read the end record and the central directory; ``None`` when the object does not
        exist. Problems of the archive are kept, never raised (:attr:`fatal` when the walk
        cannot run). ``look_at_head``: when there is no end record, read the first four bytes
        to tell the first part of a split archive from something that is no archive."""
        got = await source.tail(FIRST_READ)
        if got is None:
            return None
        tail, size = got
        tail_start = size - len(tail)
        end = parse_end(tail, tail_start)
        if isinstance(end, Problem) and tail_start > 0 and len(tail) < TAIL_BYTES:
            # A comment longer than the first read: read back as far as any EOCD can be.
            more = max(0, size - TAIL_BYTES)
            tail = await source.read(more, tail_start) + tail
            tail_start = more
            end = parse_end(tail, tail_start)
        store = cls(source, options, None)
        if tail_start == 0:
            store.head = tail[:4]
        if isinstance(end, Problem):
            if store.head is None and look_at_head and size >= 4:
                store.head = await source.read(0, 4)
            if store.head in (SPANNING_SIGNATURE, b"PK00"):
                end = Problem("ozx.archive.single-part", "the archive starts like the first "
                              "part of a split (multi-part) ZIP archive and has no end record: "
                              "the hierarchy cannot be read from one part")
            store._fail(end)
            return store
        if end.multi_part:
            store._fail(Problem("ozx.archive.single-part", _multi_part(end)))
            return store
        cd_cap = max(options.max_document_bytes, options.max_consolidated_bytes)
        problems = check_end(end, size, cd_cap)
        store.problems.extend(problems)
        if any("runs past" in p.message or "limit is" in p.message for p in problems):
            store.fatal = "the central directory cannot be read (see the ozx.zip.valid finding)"
            return store
        file = SparseFile(size)
        file.add(tail_start, tail)
        cd_start = end.cd_end - end.cd_size
        if not file.has(cd_start, end.cd_end):
            # Only what the tail does not hold yet.
            missing_end = min(end.cd_end, tail_start)
            file.add(cd_start, await source.read(cd_start, missing_end))
        archive = read_central_directory(file, end, size)
        if isinstance(archive, Problem):
            store._fail(archive)
            return store
        store.archive = archive
        store.problems.extend(archive.problems)
        store._plan(archive)
        return store

    def _fail(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.fatal = problem.message

    def _plan(self, archive: Archive) -> None:
        """Group metadata entries that are neighbours in the file into pieces of one range."""
        current: _Piece | None = None
        for entry in archive.file_order():
            if not entry.usable or posixpath.basename(entry.name) not in METADATA_NAMES:
                current = None  # a chunk (or a broken entry) ends the run
                continue
            if (current is None or current.end != entry.start
                    or entry.span_end - current.start > MAX_RANGE):
                current = _Piece(entry.start, entry.span_end)
            else:
                current.end = entry.span_end
            self._pieces[entry.name] = current

    # -- reading ------------------------------------------------------------------------

    async def get(self, key: str, max_bytes: int | None = None) -> bytes | None:
        archive = self.archive
        if archive is None:
            return None
        entry = archive.by_name.get(key)
        if entry is None or entry.name.endswith("/"):
            return None
        cap = self.options.max_document_bytes if max_bytes is None else max_bytes
        info = entry.info
        if not entry.usable:
            raise ArchiveError(f"{self.url(key)} cannot be read: the central directory "
                               "places it where it overlaps other data (see ozx.zip.valid)")
        if info.file_size > cap:
            raise DocumentTooLarge(f"{self.url(key)} is {info.file_size} bytes; the limit "
                                   f"is {cap}")
        if info.compress_size > max(cap, info.file_size) + 1024:
            raise ArchiveError(f"{self.url(key)} claims {info.compress_size} compressed bytes "
                               f"for {info.file_size} bytes of data")
        await self._ensure(archive, entry)
        data = self._read(archive, entry, cap)
        if key.endswith("zarr.json") and b'"array"' in data:
            self._note_array(key, data)
        return data

    async def _ensure(self, archive: Archive, entry: Entry) -> None:
        """Fetch the piece holding ``entry`` (once, whoever asks first)."""
        if archive.file.has(entry.start, entry.span_end):
            return
        piece = self._pieces.setdefault(entry.name, _Piece(entry.start, entry.span_end))
        if piece.task is None:
            piece.task = asyncio.ensure_future(self._fetch(archive, piece))
            # Retrieved even when every reader was cancelled (a deadline): no "exception
            # was never retrieved" later.
            piece.task.add_done_callback(_retrieve)
        # shield: one walker cancelled must not cancel the fetch others wait for.
        await asyncio.shield(piece.task)

    async def _fetch(self, archive: Archive, piece: _Piece) -> None:
        try:
            data = await self.source.read(piece.start, piece.end)
        except BaseException:
            piece.task = None  # the next reader tries again (and reports its own failure)
            raise
        archive.file.add(piece.start, data)
        if piece.start == 0 and self.head is None:
            self.head = data[:4]

    def _read(self, archive: Archive, entry: Entry, cap: int) -> bytes:
        """Read one entry with :mod:`zipfile` from the bytes fetched (never the network)."""
        name = self.url(entry.name)
        try:
            with archive.zip.open(entry.info) as member:
                data = member.read(cap + 1)
        except Missing:
            raise ArchiveError(f"{name}: its local header or data runs past its place in the "
                               "archive (where the next entry starts)") from None
        except zipfile.BadZipFile as exc:
            raise ArchiveError(f"{name} cannot be read: {exc}") from None
        except (NotImplementedError, RuntimeError) as exc:  # compression, encryption
            raise ArchiveError(f"{name} cannot be read: {exc}") from None
        except (OSError, EOFError, ValueError) as exc:  # zlib.error is not an OSError
            raise ArchiveError(f"{name} cannot be read: {exc}") from None
        except Exception as exc:  # zlib.error, lzma.LZMAError, ...: bad compressed data
            raise ArchiveError(f"{name} cannot be read: {type(exc).__name__}: {exc}") from None
        if len(data) > cap:
            raise DocumentTooLarge(f"{name} is larger than the limit of {cap} bytes")
        return data

    async def is_ome_group(self, key: str) -> bool | None:
        """Whether the ``zarr.json`` at ``key`` has OME-Zarr metadata (``attributes.ome``);
        ``None`` when that cannot be told (absent, unreadable, not a JSON object)."""
        try:
            data = await self.get(key)
            doc = None if data is None else json.loads(data)
        except (FetchError, ValueError):
            return None
        if not isinstance(doc, dict):
            return None
        attributes = doc.get("attributes")
        return isinstance(attributes, dict) and isinstance(attributes.get("ome"), dict)

    def _note_array(self, key: str, data: bytes) -> None:
        try:
            doc = json.loads(data)
        except ValueError:
            return  # the walk reports it
        if not isinstance(doc, dict) or doc.get("node_type") != "array":
            return
        codecs = doc.get("codecs")
        sharded = isinstance(codecs, list) and any(
            isinstance(c, dict) and c.get("name") == "sharding_indexed" for c in codecs)
        self.arrays[key] = ArrayNote(sharded)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()


def _multi_part(end: EndRecord) -> str:
    parts = max(end.zip64_disks, end.disk + 1)
    return (f"the archive is one part of a split (multi-part) ZIP archive: this is part "
            f"{end.disk + 1} of at least {parts}, and its central directory starts in part "
            f"{end.cd_disk + 1}; the hierarchy inside cannot be read from one part")
