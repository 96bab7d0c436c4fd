"""The CLI in a child process that reports its peak RSS: for tests that bound memory."""

from __future__ import annotations

#: ``python -c CLI_WITH_PEAK_RSS ARGS...`` runs ``ome-zarr-validate ARGS...`` and writes its
#: peak RSS (kB) last on stderr, after ``RSS_KB``.
CLI_WITH_PEAK_RSS = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "'\\nRSS_KB %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    "from validator.cli import main\n"
    "main(sys.argv[1:])\n"
)


def peak_rss_kb(stderr: str) -> int | None:
    """The peak RSS (kB) written by :data:`CLI_WITH_PEAK_RSS`, if it got that far."""
    return int(stderr.rsplit("RSS_KB", 1)[1]) if "RSS_KB" in stderr else None
