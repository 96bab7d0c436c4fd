"""Reporters: turn a Report into text for people or machines. One module per format.

``REPORTERS`` maps a format name to a reporter class; each has ``render(report) -> str``.
"""

from __future__ import annotations

from validator.reporters.base import Reporter
from validator.reporters.conformance import ConformanceReporter
from validator.reporters.html import HtmlReporter
from validator.reporters.json import JsonReporter
from validator.reporters.junit import JUnitReporter
from validator.reporters.sarif import SarifReporter
from validator.reporters.text import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "html": HtmlReporter,
    "sarif": SarifReporter,
    "junit": JUnitReporter,
    "conformance": ConformanceReporter,
}

__all__ = ["REPORTERS", "Reporter"]
