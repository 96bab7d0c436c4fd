"""About the service: versions, the rule catalogue, liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from api import problems
from api.deps import rate_limited
from api.models import HealthOut, ProblemOut, RuleOut, VersionsOut
from api.problems import Problem
from validator import __version__
from validator import versions as ngff
from validator.model import REPORT_FORMAT_VERSION
from validator.provenance import rules_hash
from validator.reporters import REPORTERS
from validator.rules import RULES

API_VERSION = "1"
NGFF_VERSIONS = list(ngff.ids())

router = APIRouter(tags=["meta"])


@router.get("/v1/versions", name="versions", response_model=VersionsOut,
            dependencies=[Depends(rate_limited)])
async def versions() -> VersionsOut:
    """The service's version, the NGFF versions it checks and the report formats."""
    return VersionsOut(service=__version__, api=API_VERSION,
                       report_version=REPORT_FORMAT_VERSION, ngff_versions=NGFF_VERSIONS,
                       report_formats=sorted(REPORTERS), rules_hash=rules_hash())


@router.get("/v1/rules", name="rules", response_model=list[RuleOut],
            dependencies=[Depends(rate_limited)])
async def rules() -> list[dict[str, Any]]:
    """The rule catalogue: every check with its id, severity, versions and spec link."""
    return [rule.to_dict() for rule in RULES]


@router.get("/healthz", name="healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """Liveness: the process answers."""
    return HealthOut(status="ok")


@router.get("/readyz", name="readyz", response_model=HealthOut,
            responses={503: {"model": ProblemOut, "content": {problems.MEDIA_TYPE: {}}}})
async def readyz(request: Request) -> HealthOut:
    """Readiness: the database answers and the job runner runs."""
    repository = getattr(request.app.state, "repository", None)
    runner = getattr(request.app.state, "runner", None)
    if repository is None or runner is None or not runner.alive:
        raise Problem(503, problems.NOT_READY, "Not ready", "the job runner is not running")
    try:
        await repository.ping()
    except Exception as exc:
        raise Problem(503, problems.NOT_READY, "Not ready",
                      f"the database does not answer ({type(exc).__name__})") from None
    return HealthOut(status="ready")
