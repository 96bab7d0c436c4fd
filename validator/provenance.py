"""What produced a report: :func:`provenance` stamps the validator's version, the identity of
the rule catalogue, the NGFF versions known, the start time and the duration of a run."""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime, timedelta

from validator import versions as ngff
from validator.model import Provenance, Report
from validator.rules import RULES


@functools.cache
def rules_hash() -> str:
    """``sha256:`` and 16 hex digits of the rule catalogue (ids, severities, versions,
    summaries, spec links): it changes whenever what is checked, or how severely, changes."""
    catalogue = json.dumps([rule.to_dict() for rule in RULES], sort_keys=True,
                           separators=(",", ":"))
    return "sha256:" + hashlib.sha256(catalogue.encode()).hexdigest()[:16]


def now() -> datetime:
    return datetime.now(UTC)


def provenance(started: datetime | None = None, duration: float | None = None) -> Provenance:
    """The provenance of a run that started at ``started`` and took ``duration`` seconds."""
    from validator import __version__  # late: set at the end of validator/__init__

    return Provenance(
        validator_version=__version__,
        rules_hash=rules_hash(),
        ngff_versions=ngff.ids(),
        started_at=None if started is None else started.isoformat(timespec="seconds"),
        duration=duration,
    )


def of(report: Report) -> Provenance:
    """``report``'s provenance; for a report built by hand (none recorded), this validator's
    version and rules, without a start time or duration."""
    return report.provenance if report.provenance is not None else provenance()


def finished_at(prov: Provenance) -> str | None:
    """When the run ended (ISO 8601, UTC), from its start and duration."""
    if prov.started_at is None or prov.duration is None:
        return None
    end = datetime.fromisoformat(prov.started_at) + timedelta(seconds=prov.duration)
    return end.isoformat(timespec="seconds")
