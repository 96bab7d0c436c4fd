"""Reporters: turn a Report into text for people or machines. One module per format.

``REPORTERS`` maps a format name to a reporter class; each has ``render(report) -> str``.
A reporter's module is imported when its class is first asked for: a run writes one format,
and some (JUnit's XML, HTML) cost start-up time nobody else should pay.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from validator.reporters.base import Reporter

#: Format name → (module, class) of its reporter.
_WHERE: dict[str, tuple[str, str]] = {
    "text": ("validator.reporters.text", "TextReporter"),
    "json": ("validator.reporters.json", "JsonReporter"),
    "html": ("validator.reporters.html", "HtmlReporter"),
    "sarif": ("validator.reporters.sarif", "SarifReporter"),
    "junit": ("validator.reporters.junit", "JUnitReporter"),
    "conformance": ("validator.reporters.conformance", "ConformanceReporter"),
}


class _Reporters(Mapping[str, type[Reporter]]):
    """The format → reporter class table, importing each module on first use."""

    def __getitem__(self, name: str) -> type[Reporter]:
        module, cls = _WHERE[name]
        found: type[Reporter] = getattr(importlib.import_module(module), cls)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


REPORTERS: Mapping[str, type[Reporter]] = _Reporters()

__all__ = ["REPORTERS", "Reporter"]
