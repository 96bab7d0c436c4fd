"""Say what is at a target that is not a Zarr hierarchy: nothing (with the HTTP status), a
plain file, an HTML page, a zip archive, a directory without Zarr metadata.

"Could not validate" is only for a target with no dataset to judge; the message must say what
was found instead, and never name a Zarr format the target does not have.
"""

from __future__ import annotations

import http
import json

from validator.stores import Peek, Store, peek

_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
METADATA_NAMES = "zarr.json, .zgroup or .zattrs"


def status_text(status: int) -> str:
    """``"404 Not Found"``; an unknown code alone."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def describe_content(head: bytes, content_type: str = "") -> str:
    """What a file is, from its first bytes and its media type: "a zip archive", "an HTML
    page", "a JSON document", "a plain file"."""
    start = head.lstrip()[:64].lower()
    media = content_type.split(";", 1)[0].strip().lower()
    if head.startswith(_ZIP_SIGNATURES) or media in ("application/zip",
                                                      "application/x-zip-compressed"):
        return "a zip archive"
    if media in ("text/html", "application/xhtml+xml") or start.startswith(_HTML_STARTS):
        return "an HTML page"
    if start.startswith((b"{", b"[")):
        try:
            json.loads(head)
        except ValueError:
            pass  # cut short, or not JSON: call it a file
        else:
            return "a JSON document"
    return "a plain file"


def describe(found: Peek) -> str:
    """One sentence: what is at ``found.url``, for a "could not validate" message."""
    if found.status is not None and found.status != 200:
        if found.status in (404, 410):
            return f"nothing at the URL: {status_text(found.status)} at {found.url}"
        return f"{status_text(found.status)} at {found.url}"
    if found.kind == "missing":
        return f"nothing at {found.url}: no such file or directory"
    if found.kind == "directory":
        return (f"{found.url} is a directory with no Zarr metadata ({METADATA_NAMES}): not a "
                "Zarr hierarchy")
    what = describe_content(found.head, found.content_type)
    media = f", {found.content_type.split(';', 1)[0]}" if found.content_type else ""
    size = f", {found.size} bytes" if found.size is not None else ""
    return f"{found.url} is {what}{media}{size}, not a Zarr hierarchy"


async def no_hierarchy(store: Store) -> str:
    """Why there is no dataset at the store's root (its root has none of the metadata
    documents): what is there instead, when the store can tell."""
    found = await peek(store)
    if found is None or (found.status is None and not found.kind):
        return f"no Zarr metadata ({METADATA_NAMES}) at {store.url('')}: not a Zarr hierarchy"
    return describe(found)
