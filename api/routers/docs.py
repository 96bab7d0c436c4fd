"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with their assets served by the service itself.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, so they are blank wherever the
service cannot reach one -- the internal deployments ``ALLOWED_HOSTS`` is for. The assets come
from the ``fastapi-offline`` package, which ships them (Swagger UI's bundle and CSS, ReDoc's
standalone bundle); nothing is fetched from elsewhere, Google Fonts included.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/docs/assets"

#: The files served: name -> media type. Nothing else is.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
TITLE = "OME-Zarr validator API"

#: The pages may load from this origin only: ReDoc's bundle shows a logo from a CDN, which the
#: browser is told not to fetch (its image hides itself when it fails). Both pages start with
#: an inline script; ReDoc runs its search in a worker made from a blob.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _page(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs", name="docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return _page(get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{TITLE} — Swagger UI",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        # No badge from the public Swagger validator: nothing is fetched from elsewhere.
        swagger_ui_parameters={"validatorUrl": None},
    ))


@router.get(OAUTH2_REDIRECT, name="docs_oauth2_redirect")
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", name="redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return _page(get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{TITLE} — ReDoc",
        redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
        with_google_fonts=False,
    ))


@router.get(ASSETS_PATH + "/{name}", name="docs_asset")
async def asset(name: str) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404)  # a problem document, by the handlers of api.problems
    return FileResponse(ASSETS_DIR / name, media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400",
                                 "X-Content-Type-Options": "nosniff"})
