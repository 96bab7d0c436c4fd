from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from validator.jsonstream import iter_json
from validator.model import Report
from validator.reporters.base import Reporter


class JsonReporter(Reporter):
    """The stable JSON form, described by ``schemas/report/report.schema.json``; written a
    piece at a time (the text of ``json.dumps(report.to_dict(), indent=2)``)."""

    media_type: ClassVar[str] = "application/json"
    extension: ClassVar[str] = "json"

    def render(self, report: Report) -> str:
        return "".join(self.chunks(report))

    def chunks(self, report: Report) -> Iterator[str]:
        yield from iter_json(report.to_lazy_dict(), indent=2)
        yield "\n"
