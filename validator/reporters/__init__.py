"""Reporters: turn a Report into text for people or machines. One module per format.

``REPORTERS`` maps a format name to a reporter class; each has ``render(report) -> str``.
"""

from __future__ import annotations

from validator.reporters.base import Reporter
from validator.reporters.json import JsonReporter
from validator.reporters.text import TextReporter

REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
}

__all__ = ["REPORTERS", "Reporter"]
