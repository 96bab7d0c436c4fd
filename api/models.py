"""Request and response models of the HTTP API (kept apart from the validator's own model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from validator import versions as ngff

Url = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
#: The three outcomes of a report (``validator.model.Report.verdict``).
VerdictName = Literal["valid", "invalid", "incomplete"]

if TYPE_CHECKING:
    NgffVersion = str
else:
    # The supported releases, from the registry: an enum in the OpenAPI schema, 422 otherwise.
    NgffVersion = Literal[ngff.ids()]


# -- requests ----------------------------------------------------------------------------------


class ValidateRequest(BaseModel):
    """What to validate. Storage options (credentials, endpoints) cannot be set here."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"url": "https://example.org/image.ome.zarr"}]},
    )

    url: Url = Field(description="http(s), s3 or gs URL of the dataset's root group, or of a "
                     "single-file OME-Zarr (.ozx) archive.")
    ngff_version: NgffVersion | None = Field(
        default=None, description="Validate as this version instead of the declared one."
    )
    strict: bool = Field(default=False, description="Treat warnings (SHOULD) as errors.")


class JobRequest(ValidateRequest):
    """A validation job to run in the background."""


# -- reports (the JSON of ``ome-zarr-validate --format json``) ---------------------------------


class FindingOut(BaseModel):
    rule: str
    severity: Literal["error", "warning", "info"]
    node: str = Field(description="Store-relative path of the group or array ('' = root).")
    document: str = Field(description="zarr.json, .zattrs, .zarray, .zgroup or ''.")
    pointer: str = Field(description="RFC 6901 JSON pointer into the document.")
    message: str
    spec: str = Field(description="Link to the section of the specification.")


class StatsOut(BaseModel):
    documents: int
    requests: int
    bytes: int
    seconds: float


class ReportOut(BaseModel):
    """A validation report (``Report.to_dict()``)."""

    report_version: str
    target: str
    valid: bool = Field(description="Complete and conforming; never true for what was not "
                        "checked.")
    verdict: VerdictName = Field(
        description="invalid: a failing finding was found; incomplete: none was, but not "
        "everything was checked; valid: everything was checked and nothing failed.")
    complete: bool = Field(description="Everything was checked: no limit stopped the walk, "
                           "no check crashed.")
    incomplete_reasons: list[str] = Field(description="Why the report is incomplete.")
    notes: list[str] = Field(default_factory=list, description="How the target was read "
                             "(the version's source, a metadata URL taken as its group).")
    strict: bool
    ngff_version: str | None
    zarr_format: int | None
    truncated: bool = Field(description="A limit stopped the walk early; see skipped.")
    skipped: list[str]
    counts: dict[str, int]
    nodes: dict[str, int]
    stats: StatsOut
    findings: list[FindingOut]


# -- jobs --------------------------------------------------------------------------------------


JobStatusName = Literal["queued", "running", "done", "failed", "cancelled"]


class JobCreated(BaseModel):
    id: str
    status: JobStatusName
    status_url: str


class ProgressOut(BaseModel):
    documents: int = Field(description="Documents fetched so far.")
    known: int = Field(description="Documents known so far (fetched or to fetch).")
    findings: int = Field(description="Findings so far.")
    requests: int = Field(description="Requests sent so far.")


class JobOut(BaseModel):
    id: str
    status: JobStatusName
    url: str
    ngff_version: str | None
    strict: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: ProgressOut
    valid: bool | None = Field(description="Complete and conforming, once done; never true for "
                               "an incomplete report.")
    verdict: VerdictName | None = Field(
        default=None, description="valid, invalid or incomplete, once done.")
    complete: bool | None = Field(default=None, description="Everything was checked (no "
                                  "deadline, budget or crashed check stopped it), once done.")
    truncated: bool | None
    error: str | None = Field(description="Why there is no report (failed or cancelled).")
    error_type: Literal["could-not-validate", "cancelled", "interrupted", "internal"] | None
    report_url: str | None = Field(description="Where to get the report in other formats.")
    report: ReportOut | None = Field(default=None, description="The report, once done.")


class NodeOut(BaseModel):
    path: str = Field(description="Store-relative path of the node.")
    name: str = Field(description="The last segment of the path.")
    kind: str = Field(description="image, label-image, labels, plate, well, array, "
                      "bioformats2raw, series, scene or group.")
    children: int = Field(description="How many children of the node were visited.")


class NodesOut(BaseModel):
    """A page of the children of one node that a job's walk visited, in natural order."""

    parent: str = Field(description="The parent's path ('' = root).")
    total: int = Field(description="How many children the parent has (all pages).")
    nodes: list[NodeOut]


class ArrayOut(BaseModel):
    """An array as its metadata describes it (values as written; null when absent)."""

    zarr_format: int
    shape: list[int] | None
    data_type: str | None = Field(description="data_type (v3) or dtype (v2) as written.")
    chunks: list[int] | None = Field(description="Chunk shape (with sharding: inner chunks).")
    shards: list[int] | None = Field(description="Shard shape, when sharded (v3).")
    codecs: list[str] = Field(description="Codec names in order (v3; with sharding the "
                              "inner ones), or the v2 filters then the compressor.")
    dimension_names: list[str | None] | None
    fill_value: Any = None


class NodeDetailOut(BaseModel):
    """What the job's walk read at one node: no new fetch is made to answer."""

    path: str = Field(description="Store-relative path of the node ('' = root).")
    kind: str
    documents: dict[str, Any] = Field(description="The metadata documents read at the node, "
                                      "by name (zarr.json, .zattrs, .zgroup, .zarray), as "
                                      "parsed; null for one that was not valid JSON.")
    array: ArrayOut | None = Field(default=None, description="For arrays: shape, data type, "
                                   "chunks, shards, codecs, dimension names.")
    omitted: str | None = Field(default=None, description="Why the documents are not kept "
                                "(larger than the service keeps per node).")


# -- meta --------------------------------------------------------------------------------------


class VersionsOut(BaseModel):
    service: str
    api: str
    report_version: str
    ngff_versions: list[str]
    report_formats: list[str]
    rules_hash: str = Field(description="Identity of the rule catalogue (as in a report's "
                            "provenance): equal hashes, same rules and severities.")


class RuleOut(BaseModel):
    id: str
    severity: Literal["error", "warning", "info"]
    versions: list[str]
    spec: str
    summary: str
    kind: str


class HealthOut(BaseModel):
    status: Literal["ok", "ready"]


class ProblemOut(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
