"""The rule catalogue. Importing this package registers every rule in :data:`RULES`."""

from validator.rules.context import (
    ArrayContext,
    ArrayInfo,
    Bioformats2rawContext,
    DocContext,
    ImageContext,
    ImageSummary,
    LabelsContext,
    LinksContext,
    PlateContext,
    WellContext,
    WellSummary,
)
from validator.rules.registry import RULES, Rule, Subject, Violation, declare, rule, spec_url

__all__ = [
    "RULES",
    "ArrayContext",
    "ArrayInfo",
    "Bioformats2rawContext",
    "DocContext",
    "ImageContext",
    "ImageSummary",
    "LabelsContext",
    "LinksContext",
    "PlateContext",
    "Rule",
    "Subject",
    "Violation",
    "WellContext",
    "WellSummary",
    "declare",
    "rule",
    "spec_url",
]

# Importing the rule modules registers their rules. Last, so that a rule module may import
# the names above from this package.
from validator.rules import builtin, catalogue, ozx  # noqa: F401
