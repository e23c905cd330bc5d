"""Routes of the web UI: the HTML shell for every page path and the static assets.

Assets are read from the package once, on first use, and served from memory. Their URLs carry a
digest of the whole asset set (``/ui/static/<digest>/app.js``) so relative ES-module imports stay
versioned too: a browser may cache them forever and still never mixes files of two releases.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request
from starlette.responses import Response

from podium.domain.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC_PREFIX = "/ui/static"
#: Page paths the single-page app routes on the client; each serves the same shell.
PAGE_PATHS = (
    "/",
    "/execution/{workflow_id}",
    "/workflows",
    "/workflows/{name}",
    "/taskdefs",
    "/taskdefs/{name}",
    "/queues",
    "/eventhandlers",
    "/eventhandlers/{name}",
    "/tasks",
    "/schedules",
    "/schedules/{name}",
    "/secrets",
    "/environment",
)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class Assets:
    """Every static file keyed by its path under ``static/``, the digest of them all, and the shell."""

    files: dict[str, Asset]
    digest: str
    shell: bytes


def _walk(root: Traversable, prefix: str = "") -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for entry in root.iterdir():
        name = prefix + entry.name
        if entry.is_dir():
            out.update(_walk(entry, name + "/"))
        elif not entry.name.startswith("."):
            out[name] = entry.read_bytes()
    return out


def load_assets(root: Traversable | None = None) -> Assets:
    """Read the asset tree once and render the shell with versioned URLs."""
    raw = _walk(root or files("podium.ui").joinpath("static"))
    h = hashlib.sha256()
    for name in sorted(raw):
        h.update(name.encode())
        h.update(hashlib.sha256(raw[name]).digest())
    digest = h.hexdigest()[:16]
    assets = {
        name: Asset(body, _TYPES.get(name[name.rfind(".") :], "application/octet-stream")) for name, body in raw.items()
    }
    shell = raw["index.html"].replace(b"{{static}}", f"{STATIC_PREFIX}/{digest}".encode())
    return Assets(assets, digest, shell)


_lock = threading.Lock()
_cache: list[Assets] = []


def assets() -> Assets:
    """The process-wide asset set (loaded on first use)."""
    if not _cache:
        with _lock:
            if not _cache:
                _cache.append(load_assets())
    return _cache[0]


#: Paths that stay the server's own: an unknown path under them answers with the JSON error body.
_NOT_UI = ("/api", "/health", "/metrics", "/docs", "/redoc", "/openapi.json", STATIC_PREFIX)


def not_found_page(request: Request) -> Response | None:
    """The UI's own not-found page (the shell, status 404) for a browser asking for an unknown page.

    API paths, non-GET methods and clients that do not ask for HTML keep the JSON 404.
    """
    path = request.url.path
    if request.method not in ("GET", "HEAD") or any(path == p or path.startswith(p + "/") for p in _NOT_UI):
        return None
    if "text/html" not in request.headers.get("accept", ""):
        return None
    return _shell_response(404)


async def shell(request: Request) -> Response:
    """The HTML page every UI path answers with; the client-side router draws the rest."""
    return _shell_response(200)


def _shell_response(status: int) -> Response:
    return Response(
        assets().shell,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": _CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


for _path in PAGE_PATHS:
    router.add_api_route(_path, shell, methods=["GET"], include_in_schema=False)


@router.get(STATIC_PREFIX + "/{version}/{name:path}")
async def static_file(version: str, name: str) -> Response:
    """One asset; cached for good when the URL carries the current digest."""
    store = assets()
    asset = store.files.get(name)
    if asset is None or name == "index.html":
        raise NotFound(f"No such UI asset: {name}")
    cache = _IMMUTABLE if version == store.digest else "no-cache"
    return Response(
        asset.body,
        media_type=asset.media_type,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
