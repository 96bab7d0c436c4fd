"""Read a ZIP archive's structure from a few byte ranges, and check it can be trusted.

The reading is split between two parts:

* the end of the archive -- the end-of-central-directory record (EOCD), and the ZIP64 locator
  and record before it -- is parsed here by hand (:func:`parse_end`): it says where the central
  directory is, which must be known *before* anything else is fetched, and whether the archive
  is one of several parts, which stdlib :mod:`zipfile` does not report for non-ZIP64 archives;
* everything else -- the central directory's entries (names and their encodings, ZIP64 extra
  fields, data descriptors), local headers, decompression, CRC checks -- is stdlib
  :mod:`zipfile`, run over a :class:`SparseFile`: an in-memory file holding only the byte
  ranges fetched so far. A read outside them raises :class:`Missing` instead of blocking on
  the network, so :mod:`zipfile` runs synchronously on the event loop and every byte it needs
  was planned (and coalesced) beforehand.

Whatever the archive claims is checked before it is believed (:func:`open_archive`): the
central directory must lie inside the file, before the end record, within the size limit;
the entry count must fit in it; every entry must start before the central directory and end
before the next entry starts (overlapping entries are how non-recursive zip bombs work). Each
problem is a :class:`Problem` (a finding), never an exception out of here.
"""

from __future__ import annotations

import bisect
import io
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

EOCD_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_END_SIGNATURE = b"PK\x06\x06"
LOCAL_SIGNATURE = b"PK\x03\x04"
#: The first four bytes of the first part of a split (multi-part) archive.
SPANNING_SIGNATURE = b"PK\x07\x08"
EOCD_SIZE = 22
ZIP64_LOCATOR_SIZE = 20
ZIP64_END_SIZE = 56
MAX_COMMENT = 65535
#: The end of an archive that holds the EOCD whatever its comment, and the ZIP64 locator and
#: record before it: the first read of an archive.
TAIL_BYTES = EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE + ZIP64_END_SIZE
#: The smallest central directory entry (46 bytes of fixed fields, no name).
MIN_CD_ENTRY = 46
#: The smallest local header.
MIN_LOCAL_HEADER = 30


class Missing(Exception):
    """:mod:`zipfile` asked a :class:`SparseFile` for bytes that were not fetched."""

    def __init__(self, start: int, size: int) -> None:
        super().__init__(f"bytes {start}..{start + size} were not fetched")
        self.start = start
        self.size = size


class SparseFile(io.RawIOBase):
    """A read-only, seekable file of ``size`` bytes of which only some ranges are known."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        #: While zipfile searches for the end record: see :meth:`_zero_filled`.
        self.zero_fill_search = False
        self._starts: list[int] = []
        self._pieces: list[bytes] = []
        self._pos = 0

    def add(self, start: int, data: bytes) -> None:
        """Know ``data`` at ``start``. Pieces are kept disjoint: touching or overlapping ones
        are merged, so that one lookup finds any range that was fetched."""
        end = start + len(data)
        lo = bisect.bisect_left(self._starts, start)
        if lo > 0 and self._starts[lo - 1] + len(self._pieces[lo - 1]) >= start:
            lo -= 1
        hi = lo
        while hi < len(self._starts) and self._starts[hi] <= end:
            hi += 1
        if hi > lo:  # merge with pieces [lo, hi)
            first = min(start, self._starts[lo])
            last = max(end, self._starts[hi - 1] + len(self._pieces[hi - 1]))
            merged = bytearray(last - first)
            for s, piece in zip(self._starts[lo:hi], self._pieces[lo:hi], strict=True):
                merged[s - first : s - first + len(piece)] = piece
            merged[start - first : end - first] = data
            start, data = first, bytes(merged)
        self._starts[lo:hi] = [start]
        self._pieces[lo:hi] = [data]

    def has(self, start: int, end: int) -> bool:
        return self._find(start, end) is not None

    def _find(self, start: int, end: int) -> tuple[bytes, int] | None:
        i = bisect.bisect_right(self._starts, start) - 1
        if i >= 0 and self._starts[i] + len(self._pieces[i]) >= end:
            return self._pieces[i], start - self._starts[i]
        return None

    def _zero_filled(self, start: int) -> tuple[bytes, int] | None:
        """The bytes from ``start`` to the end, zeros where nothing was fetched, when the end
        of the file was fetched: zipfile looks for the end record in the last 64 KiB, and
        zeros cannot make a signature (the end record was found in what was fetched)."""
        i = len(self._starts) - 1
        if i < 0 or self._starts[i] + len(self._pieces[i]) != self.size or \
                self._starts[i] <= start:
            return None
        return bytes(self._starts[i] - start) + self._pieces[i], 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        else:
            pos = self.size + offset
        if pos < 0:
            raise OSError(f"seek before the start of the archive ({pos})")
        self._pos = pos
        return pos

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self.size if size is None or size < 0 else min(self.size, start + size)
        if end <= start:
            return b""
        found = self._find(start, end)
        if found is None and self.zero_fill_search and end == self.size:
            found = self._zero_filled(start)
        if found is None:
            raise Missing(start, end - start)
        piece, offset = found
        self._pos = end
        return piece[offset : offset + end - start]

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the archive: the rule it breaks and what, in words."""

    rule: str
    message: str
    entry: str = ""  # the entry concerned, when one is


@dataclass(slots=True)
class EndRecord:
    """What the end of the archive says (ZIP64 values where the ZIP64 record has them)."""

    eocd_offset: int
    disk: int
    cd_disk: int
    disk_entries: int
    total_entries: int
    cd_size: int
    cd_offset: int
    comment: bytes
    zip64: bool = False
    zip64_disks: int = 1
    #: Where the central directory must end: the ZIP64 record, or else the EOCD.
    cd_end: int = 0

    @property
    def multi_part(self) -> bool:
        return (self.disk != 0 or self.cd_disk != 0 or self.disk_entries != self.total_entries
                or self.zip64_disks > 1)


def parse_end(tail: bytes, tail_start: int) -> EndRecord | Problem:
    """Find and parse the EOCD (and the ZIP64 locator and record) in the archive's last bytes.

    ``tail`` holds the archive's bytes from ``tail_start`` to its end.
    """
    i = len(tail) - EOCD_SIZE
    while True:
        i = tail.rfind(EOCD_SIGNATURE, 0, i + len(EOCD_SIGNATURE))
        if i < 0:
            return Problem("ozx.zip.valid", "no end-of-central-directory record: not a ZIP "
                           "archive, or a truncated one")
        if i + EOCD_SIZE <= len(tail):
            (_, disk, cd_disk, disk_entries, total, cd_size, cd_offset,
             comment_length) = struct.unpack("<4s4H2LH", tail[i : i + EOCD_SIZE])
            # The comment runs to the end of the file; a signature inside a comment would
            # not be followed by a consistent length.
            if i + EOCD_SIZE + comment_length == len(tail):
                break
        i -= 1
        if i < 0:
            return Problem("ozx.zip.valid", "no consistent end-of-central-directory record "
                           "(its comment length does not reach the end of the file)")
    comment = tail[i + EOCD_SIZE :]
    end = EndRecord(tail_start + i, disk, cd_disk, disk_entries, total, cd_size, cd_offset,
                    comment, cd_end=tail_start + i)
    locator_at = i - ZIP64_LOCATOR_SIZE
    if locator_at < 0 or tail[locator_at : locator_at + 4] != ZIP64_LOCATOR_SIGNATURE:
        return end
    _, _, record_offset, disks = struct.unpack("<4sLQL", tail[locator_at:i])
    record_at = record_offset - tail_start
    if not 0 <= record_at <= locator_at - ZIP64_END_SIZE:
        return Problem("ozx.zip.valid", f"the ZIP64 locator points at byte {record_offset}, "
                       "not at a ZIP64 end record just before it")
    record = tail[record_at : record_at + ZIP64_END_SIZE]
    if record[:4] != ZIP64_END_SIGNATURE:
        return Problem("ozx.zip.valid", f"no ZIP64 end record at byte {record_offset}, where "
                       "the ZIP64 locator says it is")
    (_, _, _, _, disk64, cd_disk64, disk_entries64, total64, cd_size64,
     cd_offset64) = struct.unpack("<4sQ2H2L4Q", record)
    end.zip64 = True
    end.zip64_disks = disks
    end.disk, end.cd_disk = disk64, cd_disk64
    end.disk_entries, end.total_entries = disk_entries64, total64
    end.cd_size, end.cd_offset = cd_size64, cd_offset64
    end.cd_end = tail_start + record_at
    return end


def check_end(end: EndRecord, size: int, cd_cap: int) -> list[Problem]:
    """Whether the central directory the end record describes can be read at all."""
    problems: list[Problem] = []
    if end.cd_offset + end.cd_size > end.cd_end:
        problems.append(Problem("ozx.zip.valid", f"the central directory ({end.cd_size} bytes "
                                f"at byte {end.cd_offset}) runs past the end record at byte "
                                f"{end.cd_end} (the archive has {size} bytes)"))
    elif end.cd_offset + end.cd_size != end.cd_end:
        problems.append(Problem("ozx.zip.valid", f"{end.cd_end - end.cd_offset - end.cd_size} "
                                "bytes lie between the central directory and the end record: "
                                "its offset is wrong, or data was prepended to the archive"))
    if end.cd_size > cd_cap:
        problems.append(Problem("ozx.zip.valid", f"the central directory is {end.cd_size} "
                                f"bytes; the limit is {cd_cap}"))
    if end.total_entries * MIN_CD_ENTRY > end.cd_size:
        problems.append(Problem("ozx.zip.valid", f"the end record claims {end.total_entries} "
                                f"entries; a central directory of {end.cd_size} bytes holds at "
                                f"most {end.cd_size // MIN_CD_ENTRY}"))
    return problems


@dataclass(slots=True)
class Entry:
    """One member of the archive, as the central directory describes it."""

    info: zipfile.ZipInfo
    index: int  # position in the central directory
    #: Where the next entry (or the central directory) starts: this one's bytes end there.
    span_end: int = 0
    usable: bool = True

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def start(self) -> int:
        return self.info.header_offset


@dataclass(slots=True)
class Archive:
    """A parsed archive: its entries in central-directory order, and what is wrong with it."""

    size: int
    end: EndRecord
    zip: zipfile.ZipFile
    file: SparseFile
    entries: list[Entry]
    by_name: dict[str, Entry]
    problems: list[Problem] = field(default_factory=list)

    @property
    def cd_start(self) -> int:
        return self.end.cd_end - self.end.cd_size

    def file_order(self) -> list[Entry]:
        return sorted(self.entries, key=lambda e: (e.start, e.index))


def read_central_directory(file: SparseFile, end: EndRecord, size: int) -> Archive | Problem:
    """Parse the central directory (its bytes must be in ``file``) with :mod:`zipfile`."""
    file.zero_fill_search = True
    try:
        archive = zipfile.ZipFile(file)
    except Missing as missing:
        return Problem("ozx.zip.valid", f"the central directory is not where the end record "
                       f"says ({missing})")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error,
            UnicodeDecodeError, OSError, EOFError, NotImplementedError) as exc:
        return Problem("ozx.zip.valid", f"the central directory cannot be read: {exc}")
    finally:
        file.zero_fill_search = False
    entries = [Entry(info, i) for i, info in enumerate(archive.infolist())]
    result = Archive(size, end, archive, file, entries, {})
    result.problems.extend(_check_entries(result))
    return result


def _check_entries(archive: Archive) -> Iterable[Problem]:
    end = archive.end
    if len(archive.entries) != end.total_entries:
        yield Problem("ozx.zip.valid", f"the end record says {end.total_entries} entries; the "
                      f"central directory holds {len(archive.entries)}")
    cd_start = archive.cd_start
    ordered = archive.file_order()
    starts = sorted({e.start for e in ordered})
    for entry in ordered:
        name = entry.name
        if entry.start < 0 or entry.start + MIN_LOCAL_HEADER > cd_start:
            entry.usable = False
            yield Problem("ozx.zip.valid", f"entry {name!r} starts at byte {entry.start}, "
                          f"past the start of the central directory ({cd_start})", name)
            continue
        k = bisect.bisect_right(starts, entry.start)
        entry.span_end = starts[k] if k < len(starts) else cd_start
        least = MIN_LOCAL_HEADER + len(entry.info.orig_filename.encode("utf-8", "replace")) + \
            entry.info.compress_size
        if entry.start + least > entry.span_end:
            entry.usable = False
            what = "the central directory" if entry.span_end == cd_start else "the next entry"
            yield Problem("ozx.zip.valid", f"entry {name!r} ({entry.info.compress_size} bytes "
                          f"at byte {entry.start}) overlaps {what} at byte {entry.span_end}: "
                          "overlapping entries are how zip bombs work", name)
    sharing: dict[int, list[Entry]] = {}
    for entry in ordered:
        if entry.usable:
            sharing.setdefault(entry.start, []).append(entry)
    for start, same in sharing.items():
        if len(same) > 1:
            for entry in same:
                entry.usable = False
            names = ", ".join(repr(e.name) for e in same[:3])
            yield Problem("ozx.zip.valid", f"entries {names} share the bytes at {start}: "
                          "overlapping entries are how zip bombs work", same[0].name)
    seen: dict[str, Entry] = {}
    for entry in archive.entries:
        if entry.name in seen:
            yield Problem("ozx.zip.valid", f"entry {entry.name!r} appears more than once in "
                          "the central directory", entry.name)
            continue
        seen[entry.name] = entry
    archive.by_name = seen
