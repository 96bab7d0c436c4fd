"""``python -m bench [SCENARIO ...]``: run benchmarks and print their tables.

Scenarios (default: ``core``):

``core``
    384 wells (16x24) x 2 fields x 2 levels, NGFF 0.4 and 0.5, 20 ms per request: our CLI and,
    when installed, yaozarrs (and ome-zarr-models with ``--with-ome-zarr-models``; it takes
    minutes). The "Done when" of the core issue and the first targets of the speed issue.
``large``
    1536 wells (32x48) x 4 fields x 5 levels, 50 ms per request, 64 in flight (our cap and
    the server's): about 38,000 documents (0.5) and 46,000 (0.4).
``memory``
    peak RSS of our CLI on plates of 96, 384 and 1536 wells (2 fields, 2 levels, no delay):
    flat when memory does not grow with the number of valid nodes.
``consolidated``
    the core plate with consolidated metadata, with and without ``--verify-consolidated``.
``cap``
    the core 0.5 plate at 20 ms with our default cap against servers that take 16, 64 and
    unlimited requests at once (politeness: our in-flight never exceeds our cap).
``cpu``
    documents per second of our checks and of the whole walk on one core, no network.
``startup``
    ``ome-zarr-validate --version`` wall time and the heaviest imports.
``batch``
    ``ome-zarr-validate batch`` over 200 small datasets (images and plates) at 20 ms per
    request: in-process and on a Dask LocalCluster of 1 and 2 workers (bench/batch.py).

Every run prints wall time (fork to exit of the child process, so interpreter start-up
counts), requests, 404s, bytes, most requests in flight (all counted by the server), peak RSS
of the child, and the ratio to the latency lower bound max(depth x RTT, documents x RTT /
concurrency) with depth 4 (plate, well, field, array) and documents = what a validator needs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import cpu
from bench.harness import (
    CACHE,
    HTTP_IMPORTS,
    PlateSpec,
    Run,
    Server,
    Tool,
    machine,
    ome_zarr_models,
    ours,
    plate,
    precompile,
    run_child,
    startup_seconds,
    version_seconds,
    yaozarrs,
    zipped,
)
from validator.options import DEFAULT_CONCURRENCY

SCENARIOS = ("core", "large", "memory", "consolidated", "cap", "cpu", "startup", "batch", "ozx")


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


RUN_HEADER = ("tool", "NGFF", "wall s", "CPU s", "bound s", "x bound", "requests", "needed",
              "404s", "KiB", "max in flight", "peak RSS MB", "exit", "note")


def _row(r: Run) -> list[Any]:
    return [r.tool, r.version, f"{r.seconds:.2f}", f"{r.cpu_seconds:.2f}", f"{r.bound:.2f}",
            f"{r.ratio:.2f}",
            r.requests, r.documents_needed, r.not_found, r.bytes // 1024, r.max_in_flight,
            f"{r.max_rss_mb:.0f}", r.status, r.note]


def _median(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    best = ordered[len(ordered) // 2]
    best.extra["all_seconds"] = [round(r.seconds, 3) for r in runs]
    return best


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: list[dict[str, Any]] = []
        self._startup: float | None = None

    def startup(self) -> float:
        if self._startup is None:
            self._startup = startup_seconds()
        return self._startup

    def record(self, scenario: str, runs: list[Run], **extra: Any) -> None:
        for r in runs:
            self.results.append({"scenario": scenario, **r.to_dict(), **extra})

    def repeat(self, server: Server, tool: Tool, files: Any, scenario: str, concurrency: int,
               times: int, timeout: float | None = None) -> Run:
        runs = [server.measure(tool, files, scenario, concurrency, timeout)
                for _ in range(times)]
        return _median(runs)

    # -- scenarios ----------------------------------------------------------------------------

    def core(self) -> None:
        a = self.args
        delay = 0.02
        tools: list[Tool] = [ours(a.concurrency)]
        yz = yaozarrs(a.yaozarrs)
        if yz is not None:
            tools.append(yz)
        else:
            print("(yaozarrs not found: skipped. Install it on its own with `python3 -m venv "
                  "/tmp/yz && /tmp/yz/bin/pip install yaozarrs fsspec aiohttp`, or pass "
                  "--yaozarrs PATH / set YAOZARRS)")
        if a.with_ome_zarr_models:
            models = ome_zarr_models(None)
            if models is not None:
                tools.append(models)
            else:
                print("(ome-zarr-models not found: skipped)")
        concurrency = a.concurrency or DEFAULT_CONCURRENCY
        startup = self.startup()
        runs: list[Run] = []
        for version in a.versions:
            files = plate(PlateSpec(version))
            with Server(files.root.parent, delay, None) as server:
                for tool in tools:
                    times = 1 if tool.name == "ome-zarr-models" else a.repeat
                    runs.append(self.repeat(server, tool, files, "core", concurrency, times,
                                            timeout=a.timeout))
                if a.compare_caps:
                    for cap in a.compare_caps:
                        run = self.repeat(server, ours(cap), files, "core", cap, a.repeat)
                        run.tool = f"ours --concurrency {cap}"
                        runs.append(run)
        print(f"\n## core: 384 wells x 2 fields x 2 levels, {delay * 1000:.0f} ms per request, "
              f"our cap {concurrency} in flight (server: no cap)")
        print(f"start-up (interpreter and imports of an http run): {startup:.2f} s; "
              f"target: wall <= 1.5 x bound + start-up\n")
        print(_table([_row(r) for r in runs], RUN_HEADER))
        for version in a.versions:
            mine = next(r for r in runs if r.tool == "ome-zarr-validator" and r.version == version)
            target = 1.5 * mine.bound + startup
            line = (f"NGFF {version}: ours {mine.seconds:.2f} s, target {target:.2f} s "
                    f"({'met' if mine.seconds <= target else 'missed'})")
            other = next((r for r in runs if r.tool == "yaozarrs" and r.version == version), None)
            if other is not None:
                goal = 0.5 if version == "0.5" else 0.3
                share = mine.seconds / other.seconds
                line += (f"; {share:.2f} x yaozarrs's {other.seconds:.2f} s (target <= {goal}: "
                         f"{'met' if share <= goal else 'missed'})")
            print(line)
        self.record("core", runs, startup=startup)

    def large(self) -> None:
        a = self.args
        delay, cap = 0.05, 64
        tools = [ours(cap)]
        if a.large_yaozarrs:
            yz = yaozarrs(a.yaozarrs)
            if yz is not None:
                tools.append(yz)
        runs = []
        for version in a.versions:
            files = plate(PlateSpec(version, rows=32, columns=48, fields=4, levels=5))
            with Server(files.root.parent, delay, cap) as server:
                for tool in tools:
                    runs.append(self.repeat(server, tool, files, "large", cap, 1,
                                            timeout=a.timeout))
        print(f"\n## large: 1536 wells x 4 fields x 5 levels, {delay * 1000:.0f} ms per request, "
              f"{cap} in flight (our cap and the server's); target: within 2 x bound, peak RSS "
              f"<= 300 MB\n")
        print(_table([_row(r) for r in runs], RUN_HEADER))
        self.record("large", runs)

    def memory(self) -> None:
        a = self.args
        rows = []
        for version in a.versions:
            for r, c, f, lv in ((8, 12, 2, 2), (16, 24, 2, 2), (32, 48, 2, 2), (32, 48, 4, 5)):
                files = plate(PlateSpec(version, rows=r, columns=c, fields=f, levels=lv,
                                        clean=True))
                with Server(files.root.parent, 0.0, None) as server:
                    run = self.repeat(server, ours(), files, "memory", DEFAULT_CONCURRENCY, 1)
                stats = (run.report or {}).get("stats", {})
                findings = len((run.report or {}).get("findings", []))
                rows.append([version, r * c, f, lv, stats.get("documents"), findings,
                             f"{run.seconds:.2f}", f"{run.max_rss_mb:.0f}"])
                self.record("memory", [run], wells=r * c)
        print("\n## memory: peak RSS of the CLI by plate size (no delay; plates without "
              "findings: every node valid)\n")
        print(_table(rows, ("NGFF", "wells", "fields", "levels", "documents", "findings",
                            "wall s", "peak RSS MB")))

    def consolidated(self) -> None:
        a = self.args
        delay = 0.02
        concurrency = a.concurrency or DEFAULT_CONCURRENCY
        runs = []
        for version in a.versions:
            files = plate(PlateSpec(version, consolidated=True))
            with Server(files.root.parent, delay, None) as server:
                for extra, label in (((), "consolidated"),
                                     (("--verify-consolidated",), "--verify-consolidated"),
                                     (("--no-consolidated",), "--no-consolidated")):
                    tool = ours(a.concurrency, extra)
                    run = self.repeat(server, tool, files, "consolidated", concurrency, a.repeat)
                    run.tool = f"ours {label}"
                    runs.append(run)
        print(f"\n## consolidated: the core plate with consolidated metadata, "
              f"{delay * 1000:.0f} ms per request\n")
        print(_table([_row(r) for r in runs], RUN_HEADER))
        self.record("consolidated", runs)

    def cap(self) -> None:
        delay = 0.02
        files = plate(PlateSpec("0.5"))
        rows = []
        for server_cap, ours_cap in ((None, None), (None, 32), (None, 8), (16, None)):
            cap = ours_cap or DEFAULT_CONCURRENCY
            with Server(files.root.parent, delay, server_cap) as server:
                run = self.repeat(server, ours(ours_cap), files, "cap", cap, self.args.repeat)
            rows.append([server_cap or "none", cap, f"{run.seconds:.2f}", f"{run.bound:.2f}",
                         run.requests, run.max_in_flight, run.status])
            self.record("cap", [run], server_cap=server_cap)
        print(f"\n## cap: the core 0.5 plate, {delay * 1000:.0f} ms per request: the most "
              "requests the server saw at once never exceeds our cap\n")
        print(_table(rows, ("server cap", "our cap", "wall s", "bound s", "requests",
                            "max in flight (server)", "exit")))

    def cpu(self) -> None:
        rows = []
        for version in self.args.versions:
            files = plate(PlateSpec(version))
            # The 100k-well plate rows (issue 14): documents = wells listed.
            for r in cpu.measure(files.root, version) + cpu.measure_big_plate(version):
                rows.append([version, r.measure, r.documents, f"{r.seconds:.3f}",
                             f"{r.per_second:,.0f}"])
                self.results.append({"scenario": "cpu", "version": version,
                                     "measure": r.measure, "documents": r.documents,
                                     "cpu_seconds": r.seconds,
                                     "documents_per_second": r.per_second})
        print("\n## cpu: one core, no network (target: checks >= 5,000 documents/s)\n")
        print(_table(rows, ("NGFF", "measure", "documents", "CPU s", "documents/s")))

    def ozx(self) -> None:
        """The core 0.5 plate as a directory and zipped (single-file OME-Zarr, RFC-9)."""
        delay = 0.02
        files = plate(PlateSpec("0.5"))
        targets = [
            ("directory", files.root),
            ("zipped, metadata first (metadata only)", zipped(files)),
            ("zipped, metadata first, a 64 KiB shard per array", zipped(files, shard_bytes=65536)),
            ("zipped, interleaved (zip -r order), a 64 KiB shard per array",
             zipped(files, "interleaved", shard_bytes=65536)),
        ]
        rows = []
        tool = ours(self.args.concurrency)
        with Server(files.root.parent, delay, None) as server:
            for label, path in targets:
                runs = []
                for _ in range(self.args.repeat):
                    server.server.reset_stats()
                    child = run_child(tool.command(server.url(path.name)))
                    stats = server.server.stats
                    report = json.loads(child.stdout) if child.stdout.strip() else {}
                    runs.append((child, stats, report))
                runs.sort(key=lambda r: r[0].seconds)
                child, stats, report = runs[len(runs) // 2]
                size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) \
                    if path.is_dir() else path.stat().st_size
                rows.append([label, f"{size / 2**20:.1f}", f"{child.seconds:.2f}",
                             f"{child.cpu_seconds:.2f}", stats.requests, stats.not_found,
                             stats.bytes // 1024, report.get("stats", {}).get("documents"),
                             report.get("verdict"), len(report.get("findings", []))])
                self.results.append({"scenario": "ozx", "target": label, "size": size,
                                     "seconds": child.seconds, "cpu_seconds": child.cpu_seconds,
                                     "requests": stats.requests, "not_found": stats.not_found,
                                     "bytes": stats.bytes,
                                     "all_seconds": [round(r[0].seconds, 3) for r in runs]})
            libraries = _library_reads(server.server, zipped(files, shard_bytes=65536))
        print(f"\n## ozx: the core 0.5 plate (384 wells x 2 fields x 2 levels), directory and "
              f"zipped, {delay * 1000:.0f} ms per request; our CLI, median of "
              f"{self.args.repeat}\n")
        print(_table(rows, ("target", "MiB", "wall s", "CPU s", "requests", "404s", "KiB read",
                            "documents", "verdict", "findings")))
        print(f"\nReading every zarr.json of the metadata-first archive with shards "
              f"({delay * 1000:.0f} ms per request; reading only, no validation):\n")
        print(_table(libraries, ("library", "requests", "KiB read", "wall s")))

    def startup_(self) -> None:
        seconds = version_seconds()
        http = self.startup()
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", HTTP_IMPORTS],
                             capture_output=True, text=True).stderr
        cumulative: dict[str, int] = {}
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                cumulative.setdefault(parts[2].strip(), int(parts[1]))
        total = cumulative.get("validator.cli", 0)
        # Third-party packages (at their top level) and our own modules, heaviest first.
        heavy = sorted(((us, name) for name, us in cumulative.items()
                        if ("." not in name and name not in ("validator",) and us > 5000)
                        or name.startswith("validator.")), reverse=True)[:14]
        print(f"\n## startup: `ome-zarr-validate --version` {seconds:.3f} s, with the HTTP "
              f"client (imported by the first http(s) fetch) {http:.3f} s (best of 5); "
              f"`import validator.cli` {total / 1e6:.3f} s cumulative under -X importtime\n")
        print(_table([[name, f"{us / 1000:.1f}"] for us, name in heavy],
                     ("import (cumulative, under -X importtime)", "ms")))
        self.results.append({"scenario": "startup", "seconds": seconds, "http_seconds": http,
                             "import_validator_cli_s": total / 1e6})


    def batch(self) -> None:
        from bench.batch import COUNT, DELAY, measure

        rows = measure()
        print(f"\n## batch: {COUNT} datasets (images and 2x2-well plates, 0.4 and 0.5, 1 in 5 "
              f"broken), {DELAY * 1000:.0f} ms per request, 8 datasets in flight per process\n")
        header = ("engine", "wall s", "fixed s", "datasets/s", "datasets/s after start-up",
                  "CPU s", "CPU ms/dataset", "requests", "per dataset", "max in flight",
                  "peak RSS MB (tree)", "processes", "right verdicts", "exit")
        print(_table([[r["engine"], r["seconds"], r["fixed_seconds"], r["datasets_per_s"],
                       r["datasets_per_s_after_startup"], r["cpu_seconds"],
                       r["cpu_ms_per_dataset"], r["requests"],
                       r["requests_per_dataset"], r["max_in_flight"], r["peak_rss_mb"],
                       r["processes"], f"{r['right_verdicts']}/{r['datasets']}", r["exit"]]
                      for r in rows], header))
        self.results.extend({"scenario": "batch", **r} for r in rows)


def _library_reads(server: Any, path: Path) -> list[list[Any]]:
    """Requests the well-kept libraries cost to read every zarr.json of a remote archive:
    fsspec's zip filesystem over its HTTP file, and stdlib zipfile over a file that sends one
    range request per read (the latter at no delay: at 20 ms it takes minutes)."""
    import io
    import time
    import urllib.request
    import zipfile

    import fsspec

    url = server.url_for(path.name)
    rows: list[list[Any]] = []

    def measure(label: str, read: Callable[[], object]) -> None:
        server.reset_stats()
        started = time.perf_counter()
        read()
        stats = server.stats
        rows.append([label, stats.requests, stats.bytes // 1024,
                     f"{time.perf_counter() - started:.2f}"])

    def with_fsspec() -> None:
        fs = fsspec.filesystem("zip", fo=url)
        for name in fs.find(""):
            if name.endswith("zarr.json"):
                fs.cat(name)

    class RangeFile(io.RawIOBase):
        def __init__(self) -> None:
            self.pos = 0
            head = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(head) as answer:
                self.size = int(answer.headers["Content-Length"])

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def tell(self) -> int:
            return self.pos

        def seek(self, offset: int, whence: int = 0) -> int:
            self.pos = [offset, self.pos + offset, self.size + offset][whence]
            return self.pos

        def readinto(self, buffer: Any) -> int:
            end = min(self.size, self.pos + len(buffer))
            if end <= self.pos:
                return 0
            request = urllib.request.Request(url, headers={"Range": f"bytes={self.pos}-{end - 1}"})
            with urllib.request.urlopen(request) as answer:
                data = answer.read()
            buffer[: len(data)] = data
            self.pos += len(data)
            return len(data)

    def with_zipfile() -> None:
        with zipfile.ZipFile(io.BufferedReader(RangeFile(), buffer_size=1)) as archive:
            for name in archive.namelist():
                if name.endswith("zarr.json"):
                    archive.read(name)

    measure("fsspec `zip::` over its HTTP file (default cache)", with_fsspec)
    delay, server.delay = server.delay, 0.0
    try:
        measure("stdlib zipfile over a file sending a range request per read (no delay)",
                with_zipfile)
    finally:
        server.delay = delay
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=["core"],
                        help=f"which to run: {', '.join(SCENARIOS)} or all (default: core)")
    parser.add_argument("--versions", default="0.4,0.5", help="NGFF versions (default 0.4,0.5)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement; the median is shown (default 3)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help=f"our --concurrency (default: ours, {DEFAULT_CONCURRENCY})")
    parser.add_argument("--yaozarrs", metavar="PATH",
                        help="the yaozarrs executable (default: $YAOZARRS, /tmp/yz/bin/yaozarrs "
                        "or PATH)")
    parser.add_argument("--with-ome-zarr-models", action="store_true",
                        help="also time ome-zarr-models in `core` (minutes per run)")
    parser.add_argument("--compare-caps", type=lambda v: [int(x) for x in v.split(",")],
                        default=[], metavar="N,N",
                        help="in `core`, also run ours with these --concurrency values")
    parser.add_argument("--large-yaozarrs", action="store_true",
                        help="also time yaozarrs in `large`")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds before a run is killed (default 900)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write every measurement as JSON to FILE")
    args = parser.parse_args(argv)
    args.versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    wanted = list(SCENARIOS) if "all" in args.scenarios else args.scenarios
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    precompile()
    bench = Bench(args)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# ome-zarr-validator benchmarks, {datetime.date.today()}\n{machine()}\n"
          f"load average before: {load}; plates cached in {CACHE}")
    runners: dict[str, Callable[[], None]] = {
        "core": bench.core, "large": bench.large, "memory": bench.memory,
        "consolidated": bench.consolidated, "cap": bench.cap, "cpu": bench.cpu,
        "startup": bench.startup_, "batch": bench.batch, "ozx": bench.ozx,
    }
    for name in wanted:
        runners[name]()
        sys.stdout.flush()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"date": str(datetime.date.today()),
                                         "machine": machine(), "results": bench.results},
                                        indent=1, default=str))
    return 0

