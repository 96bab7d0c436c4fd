"""The results of a batch on disk: JSON lines as they come, the CSV summary, the final table.

``--output`` is a JSON Lines file written one whole line per dataset as it finishes, flushed
at once, so a run killed at any moment leaves every finished dataset recorded (and at most one
partial last line, which :func:`load_results` drops). ``--resume`` reads it back and skips the
targets it holds.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from validator.batch.result import CSV_COLUMNS, VERDICTS, DatasetResult


def load_results(path: Path) -> list[DatasetResult]:
    """The whole result lines of ``path`` (none when it does not exist). A last line without
    its newline (the run was killed while writing it) is cut off the file, so that appending
    goes on from a whole line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as f:
            f.truncate(end)
    results: list[DatasetResult] = []
    for line in data[:end].splitlines():
        if not line.strip():
            continue
        try:
            results.append(DatasetResult.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not one of ours: the target is validated again
    return results


class ResultWriter:
    """Appends one JSON line per result and flushes it to the file at once."""

    def __init__(self, path: Path, *, append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a" if append else "w", encoding="utf-8")

    def write(self, result: DatasetResult) -> None:
        self._file.write(result.to_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


def write_summary(path: Path, results: Iterable[DatasetResult]) -> None:
    """The CSV summary: one row per dataset (:data:`CSV_COLUMNS`), sorted by target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        write_csv(f, results)


def write_csv(stream: TextIO, results: Iterable[DatasetResult]) -> None:
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for result in sorted(results, key=lambda r: r.target):
        writer.writerow(result.csv_row())


def tally(results: Iterable[DatasetResult]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """``(datasets by verdict, findings by rule, datasets by rule)`` (from each result's top
    rules)."""
    verdicts: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    datasets: Counter[str] = Counter()
    for result in results:
        verdicts[result.verdict] += 1
        for rule, count in result.top_rules:
            findings[rule] += count
            datasets[rule] += 1
    return verdicts, findings, datasets


def final_table(results: list[DatasetResult], *, rules: int = 15) -> str:
    """The closing summary: datasets by verdict, then the rules found in most datasets."""
    verdicts, findings, datasets = tally(results)
    lines = [f"{len(results)} datasets"]
    for verdict in VERDICTS:
        lines.append(f"  {verdict:20} {verdicts[verdict]:>8}")
    if datasets:
        lines.append("")
        lines.append(f"  {'rule (among each dataset' + chr(39) + 's 5 most frequent)':52} "
                     f"{'datasets':>8} {'findings':>9}")
        ranked = sorted(datasets, key=lambda r: (-datasets[r], -findings[r], r))
        for rule in ranked[:rules]:
            lines.append(f"  {rule:52} {datasets[rule]:>8} {findings[rule]:>9}")
        if len(ranked) > rules:
            lines.append(f"  ... and {len(ranked) - rules} more rules")
    return "\n".join(lines) + "\n"
