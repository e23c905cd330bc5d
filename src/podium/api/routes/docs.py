"""The interactive API docs (``/docs``), served with no network beyond this server.

The Swagger UI assets come from the ``swagger-ui-bundle-v2`` package (the spec-first project's build of
Swagger UI 5, which renders the OpenAPI 3.1 document FastAPI writes); nothing is copied into this tree
and no CDN is named. ReDoc is not offered (``/redoc`` is off): it would need a second asset package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

from podium.domain.errors import NotFound

router = APIRouter(include_in_schema=False)

ASSETS_PREFIX: Final = "/docs/assets"
# The files the page loads; nothing else of the bundle is served.
_SERVED: Final[dict[str, str]] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def _bundle_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


@cache
def _asset(name: str) -> bytes | None:
    path = _bundle_dir() / name
    return path.read_bytes() if path.is_file() else None


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Podium - API docs",
        swagger_js_url=f"{ASSETS_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PREFIX}/favicon-32x32.png",
    )


@router.get(ASSETS_PREFIX + "/{name}")
async def swagger_asset(name: str) -> Response:
    media_type = _SERVED.get(name)
    body = _asset(name) if media_type else None
    if media_type is None or body is None:
        raise NotFound(f"No such file: {name}")
    return Response(body, media_type=media_type, headers={"cache-control": "public, max-age=86400"})
