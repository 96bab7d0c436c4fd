"""``ome-zarr-validate-hook PATH...``: validate the datasets that files belong to.

The pre-commit hook (``.pre-commit-hooks.yaml``) hands over the paths of changed files. Each
path is mapped to its dataset -- the outermost directory above it (or itself) whose name ends
in ``.zarr``, or an ``.ozx`` file (a single-file OME-Zarr, RFC-9) -- and
each dataset is validated once. One verdict line per dataset; the grouped findings of those
that fail. Exit status: 0 all valid, 1 one is invalid or incomplete, 2 one could not be
validated (bad arguments, not OME-Zarr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from validator.engine import validate
from validator.errors import CouldNotValidate
from validator.reporters.text import TextReporter, use_color

EXIT_VALID, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def dataset_of(path: str | Path) -> str | None:
    """The dataset ``path`` belongs to: the outermost ``*.zarr`` directory at or above it, or
    the ``.ozx`` file itself; ``None`` when it belongs to none."""
    resolved = Path(path).absolute()
    if resolved.suffix == ".ozx":
        return str(resolved)
    for candidate in reversed((resolved, *resolved.parents)):
        if candidate.name.endswith(".zarr"):
            return str(candidate)
    return None


def datasets_of(paths: Iterable[str]) -> list[str]:
    """The distinct datasets of ``paths``, in the order first seen."""
    return list(dict.fromkeys(d for d in map(dataset_of, paths) if d is not None))


def target_of(dataset: str) -> str:
    """What the validator opens for a dataset: the path itself. An ``.ozx`` file is read by
    the validator's own archive reader, so its RFC-9 rules are checked too."""
    return dataset


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ome-zarr-validate-hook",
        description="Validate the OME-Zarr datasets (*.zarr directories, *.ozx files) that "
                    "the given files belong to; each dataset once.")
    parser.add_argument("paths", nargs="*", help="files or directories inside datasets")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("-v", "--details", action="store_true",
                        help="every finding of a failing dataset, node by node")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    color = use_color(sys.stdout.isatty())
    worst = EXIT_VALID
    for dataset in datasets_of(args.paths):
        try:
            report = validate(target_of(dataset), strict=args.strict)
        except CouldNotValidate as exc:
            sys.stdout.write(f"ERROR {dataset}: could not validate: {exc}\n")
            worst = EXIT_ERROR
            continue
        except Exception as exc:  # never a traceback: one line, like the CLI
            sys.stdout.write(f"ERROR {dataset}: could not validate: "
                             f"{type(exc).__name__}: {exc}\n")
            worst = EXIT_ERROR
            continue
        if report.valid:
            sys.stdout.write(TextReporter(color=color, quiet=True).render(report))
            continue
        # Incomplete (a limit or a crashed check) exits 2 like the CLI: not checked, not invalid.
        worst = max(worst, EXIT_INVALID if report.complete else EXIT_ERROR)
        sys.stdout.write(TextReporter(color=color, details=args.details).render(report))
    return worst


def cli() -> None:
    """The console script: :func:`main` as the exit status."""
    sys.exit(main())


if __name__ == "__main__":
    cli()
