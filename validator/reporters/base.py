from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, TextIO

from validator.model import Report


class Reporter:
    """Renders a report. ``media_type`` is what the HTTP API sends it as.

    :meth:`chunks` gives the text in pieces: the formats whose size grows with the findings
    (JSON, SARIF) write one piece at a time and never hold the whole text, nor a dict of it;
    the others give their :meth:`render` as one piece.
    """

    media_type: ClassVar[str] = "text/plain"
    extension: ClassVar[str] = "txt"

    def __init__(self, *, color: bool = False) -> None:
        self.color = color

    def render(self, report: Report) -> str:
        raise NotImplementedError

    def chunks(self, report: Report) -> Iterator[str]:
        """The rendered report in pieces; ``"".join`` of them is :meth:`render`."""
        yield self.render(report)

    def write(self, report: Report, stream: TextIO) -> None:
        """Write the rendered report to ``stream`` a piece at a time."""
        for chunk in self.chunks(report):
            stream.write(chunk)
