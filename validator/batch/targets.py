"""Where the targets of a batch come from: arguments, and lists (``--from FILE``, ``-``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO


def parse_list(lines: Iterable[str]) -> Iterator[str]:
    """One URL or path per line; blank lines and ``#`` comments (whole lines, or after
    whitespace at the end of a line) are skipped."""
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        for marker in (" #", "\t#"):
            cut = text.find(marker)
            if cut >= 0:
                text = text[:cut].rstrip()
        if text:
            yield text


def read_list(stream: TextIO) -> list[str]:
    return list(parse_list(stream))


def unique(targets: Iterable[str]) -> list[str]:
    """The targets in order, each once."""
    seen: set[str] = set()
    out: list[str] = []
    for target in targets:
        if target not in seen:
            seen.add(target)
            out.append(target)
    return out
