"""Single-file OME-Zarr (RFC-9, ``.ozx``): find out whether a target is a ZIP archive, read it
with few range requests, walk the hierarchy inside, and check the archive itself.

* :func:`open_archive` -- is ``target`` an archive? A local file (path or ``file://``) is one
  when it starts with a ZIP signature, whatever its name; a remote one (``http(s)://``,
  ``s3://``, ``gs://``, ...) when its name ends with ``.ozx`` or ``.zip``, and -- asked with
  ``sniff=True`` after a directory walk found nothing there -- when its last bytes hold a ZIP
  end record. Returns a :class:`~validator.ozx.store.ZipStore` (the end record and the central
  directory read) or ``None``.
* :func:`validate_archive` -- walk the hierarchy in the archive with the ordinary walk (the
  caller's ``run``) and add the archive's findings (:mod:`validator.rules.ozx`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from validator.errors import CouldNotValidate, FetchError, FetchRefused
from validator.model import Finding, Report
from validator.options import Options
from validator.ozx.archive import EOCD_SIGNATURE, LOCAL_SIGNATURE, SPANNING_SIGNATURE
from validator.ozx.sources import FsspecSource, HttpSource, LocalSource, RangeSource
from validator.ozx.store import ZipStore
from validator.rules.ozx import ROOT, archive_findings, finding, structure_findings
from validator.stores import FsspecStore, HttpStore, NetworkPolicy, Store, open_store

__all__ = ["ZipStore", "is_archive_name", "open_archive", "validate_archive"]

ARCHIVE_SUFFIXES = (".ozx", ".zip")
#: Documents of a root group: a Zarr v3 one, or else a (zipped) Zarr v2 one.
ROOT_DOCUMENTS = ("zarr.json", ".zgroup", ".zattrs")
ZIP_SIGNATURES = (LOCAL_SIGNATURE, EOCD_SIGNATURE, SPANNING_SIGNATURE, b"PK00")


def is_archive_name(target: str) -> bool:
    """Whether a URL or path names a ZIP archive by its extension."""
    path = urlsplit(target).path if "://" in target else target
    return path.rstrip("/").lower().endswith(ARCHIVE_SUFFIXES) and not path.endswith("/")


def _local_path(target: str) -> str | None:
    if "://" not in target:
        return target
    parts = urlsplit(target)
    if parts.scheme.lower() == "file" and parts.netloc in ("", "localhost"):
        return unquote(parts.path)
    return None


def _starts_like_zip(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in ZIP_SIGNATURES
    except OSError:
        return False


async def open_archive(target: object, options: Options, policy: NetworkPolicy | None = None,
                       *, sniff: bool = False) -> ZipStore | None:
    """The archive at ``target``, or ``None`` when ``target`` is not one (see the module
    docstring). Raises :class:`CouldNotValidate` when the network policy refuses it, its end
    cannot be read, or nothing is where a target named as an archive points."""
    if not isinstance(target, str):
        return None
    local = _local_path(target)
    if local is not None:
        if not os.path.isfile(local):
            if is_archive_name(local) and not os.path.exists(local):
                raise CouldNotValidate(f"{target}: no such file or directory")
            return None
        if policy is not None:  # the service never reads local files
            _vet(policy, target)
        if not _starts_like_zip(local) and not is_archive_name(local):
            return None
        return await _open(LocalSource(local, target), options, sniff=False)
    if not (sniff or is_archive_name(target)):
        return None
    _vet(policy, target)
    scheme = urlsplit(target).scheme.lower()
    source: RangeSource
    if scheme in ("http", "https"):
        url = target.rstrip("/")
        source = HttpSource(HttpStore(url, options, policy=policy), url, options)
    else:
        store = open_store(target.rstrip("/"), options, policy)
        if not isinstance(store, FsspecStore):
            await store.close()
            return None
        source = FsspecSource(store, options)
    return await _open(source, options, sniff=sniff)


def _vet(policy: NetworkPolicy | None, target: str) -> None:
    if policy is None:
        return
    try:
        policy.check_url(target)
    except FetchRefused as exc:
        raise CouldNotValidate(str(exc)) from None


async def _open(source: RangeSource, options: Options, *, sniff: bool) -> ZipStore | None:
    try:
        store = await ZipStore.open(source, options, look_at_head=not sniff)
    except FetchError as exc:
        await source.close()
        if sniff:
            return None
        raise CouldNotValidate(f"cannot read the archive {source.display}: {exc}") from None
    except BaseException:
        await source.close()
        raise
    if store is None and not sniff:
        # Named as an archive (a directory would end in "/"), and nothing is there: say so,
        # rather than walk it as a directory and report "no Zarr metadata at <name>/".
        await source.close()
        raise CouldNotValidate(f"{source.display}: no such archive (nothing is there)")
    if store is None or (sniff and store.archive is None
                         and not any(p.rule == "ozx.archive.single-part"
                                     for p in store.problems)):
        # Nothing there; or, sniffing, no ZIP end record either: not an archive after all.
        await source.close()
        return None
    return store


async def validate_archive(
    store: ZipStore,
    name: str,
    options: Options,
    run: Callable[[Store], Awaitable[Report]],
    on_finding: Callable[[Finding], None] | None = None,
) -> Report:
    """Walk the hierarchy in ``store`` with ``run`` and add the archive's findings."""
    report: Report | None = None
    not_walked: str | None = store.fatal
    root_not_ome = False
    names = store.archive.by_name if store.archive is not None else {}
    if not_walked is None and not any(n in names for n in ROOT_DOCUMENTS):
        not_walked = "the archive has no root-level zarr.json (see ozx.hierarchy.root)"
    if not_walked is None:
        try:
            report = await run(store)
        except CouldNotValidate as exc:
            # Only a root that is not an OME-Zarr group is the archive's fault (its root is
            # not the hierarchy's: ozx.hierarchy.root); an unreadable root, an unsupported
            # version, ... cannot be validated, as in a directory.
            if await store.is_ome_group("zarr.json") is not False:
                raise
            not_walked = str(exc)
            root_not_ome = True
    if report is None:
        report = Report(target=name, ngff_version=None, zarr_format=None,
                        strict=options.strict)
        report.mark_incomplete(f"the OME-Zarr hierarchy inside the archive was not checked: "
                               f"{not_walked}")
    if store.archive is None:
        found = structure_findings(store)
    else:
        found = await archive_findings(store, report, name)
        if root_not_ome:
            found.append(finding(ROOT, f"the root-level zarr.json is not the root of an "
                                       f"OME-Zarr hierarchy: {not_walked}"))
    for item in found:
        report.findings.append(item)
        if on_finding is not None:
            on_finding(item)
    report.stats.requests = store.stats.requests
    report.stats.bytes = store.stats.bytes
    report.sort()
    return report
