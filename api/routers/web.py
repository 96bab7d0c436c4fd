"""The curator page: ``GET /`` and its static assets, a small page over the JSON job API.

The page (``api/static/``: plain HTML, CSS and JavaScript, no build step) submits a job with
``POST /v1/jobs``, follows ``GET /v1/jobs/{id}`` for live progress, and shows the report. Its
address with ``?job=<id>`` reloads a job's report, so it can be shared.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: The files the page is made of: name -> media type. Nothing else is served.
ASSETS: dict[str, str] = {
    "common.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "batch.js": "text/javascript; charset=utf-8",
    "batch.css": "text/css; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}

#: Scripts and styles from this origin only, no inline code, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


@router.get("/", name="web_index")
async def index() -> FileResponse:
    """The page: URL box, options, progress, and the report as a tree and a findings list."""
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={**_HEADERS, "Content-Security-Policy": CSP},
    )


@router.get("/static/{name}", name="web_static")
async def static(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404)  # a problem document, by the handlers of api.problems
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_HEADERS)
