"""ome-zarr-validator: check OME-Zarr datasets (OME-NGFF 0.4, 0.5 and 0.6; directories and
single-file .ozx) and report every violation.

>>> from validator import validate
>>> report = validate("https://example.org/image.ome.zarr")  # doctest: +SKIP
>>> report.valid, [f.rule for f in report.findings]  # doctest: +SKIP
"""

from validator.batch import DatasetResult, aiter_validate_many, validate_many
from validator.document import validate_document
from validator.engine import aiter_validate, avalidate, validate
from validator.errors import CouldNotValidate, FetchError
from validator.model import Finding, NodeKind, Report, Severity, Stats
from validator.options import Options
from validator.walk import Progress

__version__ = "0.1.0"

__all__ = [
    "CouldNotValidate",
    "DatasetResult",
    "FetchError",
    "Finding",
    "NodeKind",
    "Options",
    "Progress",
    "Report",
    "Severity",
    "Stats",
    "__version__",
    "aiter_validate",
    "aiter_validate_many",
    "avalidate",
    "validate",
    "validate_document",
    "validate_many",
]
