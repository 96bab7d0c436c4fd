from __future__ import annotations

from typing import ClassVar

from validator.model import Report


class Reporter:
    """Renders a report. ``media_type`` is what the HTTP API sends it as."""

    media_type: ClassVar[str] = "text/plain"
    extension: ClassVar[str] = "txt"

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def render(self, report: Report) -> str:
        raise NotImplementedError
