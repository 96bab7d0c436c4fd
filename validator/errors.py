"""Exceptions. Data problems are findings; only "could not validate" and fetch failures raise."""

from __future__ import annotations


class CouldNotValidate(Exception):
    """The target could not be checked at all: bad arguments, unreachable root, not OME-Zarr.

    The CLI maps it to exit code 2 and the service to a problem response.
    """


class FetchError(Exception):
    """A document exists (or may exist) but could not be read: network error, timeout, HTTP
    error after retries, or a size limit. During a walk it becomes a finding on the node."""

    rule = "io.document.unreadable"


class DocumentTooLarge(FetchError):
    rule = "io.document.too-large"


class FetchRefused(FetchError):
    """A URL was refused by the network policy (SSRF defence) and was never fetched."""

    rule = "io.url.refused"


class BudgetExceeded(Exception):
    """A per-walk budget (documents, bytes, deadline) ran out; the report is truncated."""


def budget_message(group: BaseExceptionGroup[BaseException]) -> str | None:
    """The message of the :class:`BudgetExceeded` a task group raised, when that is all it
    holds (a walk's workers stop together when one budget runs out); else ``None``."""
    matched, rest = group.split(BudgetExceeded)
    if matched is None or rest is not None:
        return None
    leaf: BaseException = matched
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return str(leaf)
