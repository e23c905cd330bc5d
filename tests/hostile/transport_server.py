"""`podium server` plus one route that fails unexpectedly (``/api/test/boom`` raises RuntimeError), for
the transport tests: how a 500 leaves its keep-alive connection. Run as the CLI: ``server --port N ...``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

import podium.api.app as app_module
from podium.cli.main import app

_create_app = app_module.create_app


async def boom() -> None:
    raise RuntimeError("boom")


def create_app(*args: Any, **kwargs: Any) -> FastAPI:
    fastapi_app = _create_app(*args, **kwargs)
    fastapi_app.add_api_route("/api/test/boom", boom, methods=["GET", "POST"])
    fastapi_app.router.routes.insert(0, fastapi_app.router.routes.pop())  # before the UI's page routes
    return fastapi_app


if __name__ == "__main__":
    app_module.create_app = create_app
    app()
