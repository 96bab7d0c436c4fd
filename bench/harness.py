"""The parts of a benchmark: a generated plate, a delayed server, a measured child process.

* :func:`plate` writes a metadata-only plate (``validator.testing.plates.write_plate``) into a
  cache directory once and reuses it; :class:`PlateSpec` says which.
* :class:`Server` serves a directory from :class:`validator.testing.dataserver.DataServer` in a
  thread of this process (the validators run as child processes, so they do not share an
  interpreter with it), with a delay per request and an optional cap on requests in flight;
  :meth:`Server.measure` runs one command against it and returns a :class:`Run`.
* :func:`run_child` runs a command as a child process and returns its wall time, exit status
  and peak RSS (``os.wait4`` gives the rusage of that one child).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from validator.testing.dataserver import DataServer
from validator.testing.plates import describe_downscaling, write_plate

CACHE = Path(os.environ.get("OZV_BENCH_CACHE", Path(tempfile.gettempdir()) / "ozv-bench"))


@dataclass(frozen=True)
class PlateSpec:
    """A plate to generate: rows x columns wells, fields per well, levels per field."""

    version: str
    rows: int = 16
    columns: int = 24
    fields: int = 2
    levels: int = 2
    consolidated: bool = False
    #: With units on every axis and a downscaling type and metadata on every multiscale:
    #: no findings at all (ome-zarr-py leaves them out: one warning or note per image each).
    clean: bool = False

    @property
    def name(self) -> str:
        tag = ("-consolidated" if self.consolidated else "") + ("-clean" if self.clean else "")
        return (f"plate-{self.version}-{self.rows}x{self.columns}-f{self.fields}"
                f"-l{self.levels}{tag}.zarr")

    @property
    def wells(self) -> int:
        return self.rows * self.columns

    @property
    def images(self) -> int:
        return self.wells * self.fields

    @property
    def arrays(self) -> int:
        return self.images * self.levels

    @property
    def needed(self) -> int:
        """Metadata documents a full validation must read.

        0.5: one ``zarr.json`` per plate, row, well, field and array. 0.4: ``.zgroup`` and
        ``.zattrs`` per plate, well and field group, ``.zgroup`` per row group (it must be a
        group; its attributes hold nothing), ``.zarray`` per array (an array's own
        ``.zattrs`` holds nothing OME-Zarr defines).
        """
        groups = 1 + self.wells + self.images
        if self.version == "0.5":
            return groups + self.rows + self.arrays
        return 2 * groups + self.rows + self.arrays

    @property
    def depth(self) -> int:
        """Round trips one after another: plate, well, field, array."""
        return 4

    def describe(self) -> str:
        return (f"NGFF {self.version}: {self.wells} wells ({self.rows}x{self.columns}) x "
                f"{self.fields} fields x {self.levels} levels"
                + (", consolidated" if self.consolidated else ""))


@dataclass
class PlateFiles:
    spec: PlateSpec
    root: Path
    existing: int  # metadata documents on disk
    seconds: float  # to generate (0 when cached)


def plate(spec: PlateSpec, cache: Path = CACHE) -> PlateFiles:
    """Write the plate of ``spec`` under ``cache`` (once) and return where it is."""
    root = cache / spec.name
    marker = root.parent / (spec.name + ".done")
    started = time.perf_counter()
    if not marker.exists():
        if root.exists():
            shutil.rmtree(root)
        root.parent.mkdir(parents=True, exist_ok=True)
        units = {"x": "micrometer", "y": "micrometer", "z": "micrometer", "t": "second"}
        info = write_plate(root, version=spec.version,  # type: ignore[arg-type]
                           rows=spec.rows, columns=spec.columns, fields=spec.fields,
                           levels=spec.levels, units=units if spec.clean else None)
        if spec.clean:
            describe_downscaling(root, spec.version, info.images)
        if spec.consolidated:
            consolidate(root, spec.version)
        marker.write_text(json.dumps({"documents": info.total_documents
                                      + (1 if spec.consolidated and spec.version == "0.4"
                                         else 0)}))
    existing = json.loads(marker.read_text())["documents"]
    return PlateFiles(spec, root, existing, time.perf_counter() - started)


def consolidate(root: Path, version: str) -> None:
    """Consolidate a plate's metadata the way zarr-python does, without zarr-python.

    0.4: a ``.zmetadata`` beside the root ``.zgroup`` ({"metadata": {key: document},
    "zarr_consolidated_format": 1}); 0.5: ``consolidated_metadata`` inline in the root
    ``zarr.json`` (node path -> that node's ``zarr.json``).
    """
    names = {".zgroup", ".zattrs", ".zarray"} if version == "0.4" else {"zarr.json"}
    docs: dict[str, Any] = {}
    for directory, _, files in os.walk(root):
        rel = os.path.relpath(directory, root)
        rel = "" if rel == "." else rel.replace(os.sep, "/")
        for name in files:
            if name in names and (rel or version == "0.4"):
                with open(os.path.join(directory, name), "rb") as f:
                    key = f"{rel}/{name}" if rel else name
                    docs[key if version == "0.4" else rel] = json.load(f)
    if version == "0.4":
        body = {"metadata": dict(sorted(docs.items())), "zarr_consolidated_format": 1}
        (root / ".zmetadata").write_text(json.dumps(body, indent=2))
        return
    top = json.loads((root / "zarr.json").read_text())
    top["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                    "metadata": dict(sorted(docs.items()))}
    (root / "zarr.json").write_text(json.dumps(top, indent=2))


def zipped(files: PlateFiles, order: Literal["metadata-first", "interleaved"] = "metadata-first",
           shard_bytes: int = 0) -> Path:
    """The plate of ``files`` zipped into a single-file OME-Zarr next to it (once): stored,
    ZIP64, RFC-9's comment; ``order`` ``metadata-first`` (RFC-9) or ``interleaved`` (each
    zarr.json beside its data, as ``zip -r`` writes); ``shard_bytes``: one shard of that size
    per array (data a validator must never read)."""
    from validator.testing.archives import zip_hierarchy

    tag = f"-{order}" + (f"-shards{shard_bytes}" if shard_bytes else "")
    path = files.root.parent / (files.root.name.removesuffix(".zarr") + f"{tag}.ozx")
    if not path.exists():
        partial = path.with_suffix(".partial")
        zip_hierarchy(files.root, partial, order=order,
                      version=files.spec.version, shard_bytes=shard_bytes)
        partial.rename(path)
    return path


# -- child processes ---------------------------------------------------------------------------


@dataclass
class Child:
    seconds: float
    status: int
    max_rss_mb: float
    cpu_seconds: float  # user + system time of the child
    stdout: str
    stderr: str


GNU_TIME = "/usr/bin/time"


def run_child(argv: Sequence[str], timeout: float | None = None,
              env: dict[str, str] | None = None) -> Child:
    """Run ``argv``; wall time from fork to exit, CPU time and peak RSS of the child.

    Peak RSS: a child's ``ru_maxrss`` starts from the RSS of the process that forked it (Linux
    carries the high-water mark across fork and exec), and this process holds a server and
    plates; so the command runs under GNU time, a small process, whose ``%M`` is the
    command's own peak. Without GNU time, ``ru_maxrss`` is shown (an upper bound).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as rss:
        wrapped = os.access(GNU_TIME, os.X_OK)
        command = ([GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if wrapped else list(argv))
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        # Block in wait4 (it releases the GIL): polling would take the GIL from the server
        # thread every few milliseconds and slow it down.
        killer = None
        if timeout is not None:
            killer = threading.Timer(timeout, os.killpg, (proc.pid, signal.SIGKILL))
            killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if killer is not None:
                killer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        max_rss_kib = float(usage.ru_maxrss)  # KiB on Linux
        if wrapped:
            lines = [line for line in rss.read().splitlines() if line.strip().isdigit()]
            if lines:
                max_rss_kib = float(lines[-1])
        # wait4 reports the child's usage with that of the children it waited for.
        return Child(seconds, proc.returncode, max_rss_kib / 1024,
                     usage.ru_utime + usage.ru_stime, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"))


# -- tools ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """A validator to compare: how to call it on a URL."""

    name: str
    argv: tuple[str, ...]  # the URL is appended
    concurrency: int | None = None  # its cap on requests in flight, when we set it

    def command(self, url: str) -> list[str]:
        return [*self.argv, url]


def ours(concurrency: int | None = None, extra: Sequence[str] = ()) -> Tool:
    exe = shutil.which("ome-zarr-validate", path=os.path.dirname(sys.executable)) or \
        shutil.which("ome-zarr-validate")
    argv = [exe] if exe else [sys.executable, "-m", "validator.cli"]
    argv += ["--format", "json", "--no-progress", *extra]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    return Tool("ome-zarr-validator", tuple(argv), concurrency)


def yaozarrs(executable: str | None) -> Tool | None:
    """``yaozarrs validate``: from ``--yaozarrs``, ``$YAOZARRS``, ``/tmp/yz/bin`` or PATH."""
    candidates = [executable, os.environ.get("YAOZARRS"), "/tmp/yz/bin/yaozarrs",
                  shutil.which("yaozarrs")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Tool("yaozarrs", (candidate, "validate"))
    return None


def ome_zarr_models(executable: str | None) -> Tool | None:
    """``ome-zarr-models validate`` (zarr-python underneath), when installed."""
    candidates = [executable, os.environ.get("OME_ZARR_MODELS"),
                  shutil.which("ome-zarr-models", path=os.path.dirname(sys.executable)),
                  shutil.which("ome-zarr-models")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Tool("ome-zarr-models", (candidate, "validate"))
    return None


# -- the server ----------------------------------------------------------------------------------


@dataclass
class Run:
    """One measured validation."""

    tool: str
    scenario: str
    version: str
    seconds: float
    status: int
    requests: int
    not_found: int
    bytes: int
    max_in_flight: int
    max_rss_mb: float
    documents_needed: int
    bound: float
    cpu_seconds: float = 0.0
    report: dict[str, Any] | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.seconds / self.bound if self.bound else float("nan")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("report", None)
        data["ratio"] = round(self.ratio, 3)
        if self.report is not None:
            data["report_stats"] = self.report.get("stats")
            data["valid"] = self.report.get("valid")
        return data


class Server:
    """A :class:`DataServer` over the cache directory, for the whole benchmark session."""

    def __init__(self, root: Path, delay: float, max_in_flight: int | None) -> None:
        self.server = DataServer(root, delay=delay, max_in_flight=max_in_flight)

    def __enter__(self) -> Server:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def url(self, name: str) -> str:
        return self.server.url_for(name)

    def measure(self, tool: Tool, files: PlateFiles, scenario: str, concurrency: int,
                timeout: float | None = None) -> Run:
        spec = files.spec
        rtt = self.server.delay
        bound = latency_bound(spec.depth, spec.needed, rtt, concurrency)
        self.server.reset_stats()
        child = run_child(tool.command(self.url(spec.name)), timeout=timeout)
        stats = self.server.stats
        report = None
        note = ""
        if tool.name == "ome-zarr-validator":
            try:
                report = json.loads(child.stdout)
            except ValueError:
                note = (child.stderr.strip().splitlines() or ["no report"])[-1][:120]
        elif child.status not in (0, 1):
            note = (child.stderr.strip().splitlines() or [f"exit {child.status}"])[-1][:120]
        if child.status == -9:
            note = f"killed after {timeout:g} s"
        return Run(tool.name, scenario, spec.version, child.seconds, child.status,
                   stats.requests, stats.not_found, stats.bytes, stats.max_in_flight,
                   child.max_rss_mb, spec.needed, bound, child.cpu_seconds, report, note)


def latency_bound(depth: int, documents: int, rtt: float, concurrency: int) -> float:
    """The least wall time any client needs: max(depth x RTT, documents x RTT / concurrency)."""
    return max(depth * rtt, documents * rtt / concurrency)


#: What an http(s) validation imports: the CLI, the stores and the HTTP client (imported
#: when the first http store is made).
HTTP_IMPORTS = "import validator.cli, validator.stores, validator.httpwire"


def startup_seconds(repeat: int = 5) -> float:
    """Start-up of an http(s) validation: interpreter and imports, as the best of ``repeat``
    runs of :data:`HTTP_IMPORTS`."""
    return min(run_child([sys.executable, "-c", HTTP_IMPORTS]).seconds for _ in range(repeat))


def precompile() -> None:
    """Byte-compile our package, as ``pip install`` does: a checkout run with
    ``PYTHONDONTWRITEBYTECODE`` set (as some sandboxes and CI images do) would otherwise
    compile every module from source at each start (~0.1 s), which no installed copy pays
    and which the other tools, installed by pip, do not pay either."""
    import compileall

    import validator

    compileall.compile_dir(os.path.dirname(validator.__file__), quiet=1)


def version_seconds(repeat: int = 5) -> float:
    """``ome-zarr-validate --version``: what start-up costs when nothing is fetched."""
    tool = ours()
    argv = [a for a in tool.argv if a not in ("--format", "json", "--no-progress")]
    return min(run_child([*argv, "--version"]).seconds for _ in range(repeat))


def machine() -> str:
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    return (f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")
