from __future__ import annotations

import json
from typing import ClassVar

from validator.model import Report
from validator.reporters.base import Reporter


class JsonReporter(Reporter):
    """The stable JSON form, described by ``schemas/report/report.schema.json``."""

    media_type: ClassVar[str] = "application/json"
    extension: ClassVar[str] = "json"

    def render(self, report: Report) -> str:
        return json.dumps(report.to_dict(), indent=2) + "\n"
