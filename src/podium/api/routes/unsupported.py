"""Conductor and Orkes endpoints Podium does not offer, but whose paths a broader route would catch.

Listed here, ahead of every other router, so they answer 404 with Conductor's error body instead of
reaching a handler meant for something else (e.g. ``GET /api/event/queue/config`` would otherwise be read
as "the handlers of the event named queue/config"). docs/compatibility.md says why each is left out.
Paths no Podium route can match need no entry: the router answers them 404 (or 405) by itself.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from podium.domain.errors import NotFound

router = APIRouter(include_in_schema=False)

# (methods, path): the Orkes event-queue configuration, event executions and messages, a handler by name,
# and tags on event handlers — none of which Podium has (its event queues are internal: EVENT's `conductor:` sink).
UNSUPPORTED: list[tuple[str, str]] = [
    ("GET", "/api/event/execution"),
    ("GET", "/api/event/execution/{rest:path}"),
    ("GET", "/api/event/handler/{rest:path}"),
    ("GET", "/api/event/message"),
    ("GET", "/api/event/message/{rest:path}"),
    ("GET", "/api/event/queue/{rest:path}"),
    ("GET PUT DELETE", "/api/event/{name}/tags"),
    # Orkes' secret-cache admin calls: Podium's secret cache is per node and refreshed on every change.
    ("GET", "/api/secrets/clearLocalCache"),
    ("GET", "/api/secrets/clearRedisCache"),
]


async def unsupported(request: Request) -> Response:
    raise NotFound(f"{request.method} {request.url.path} is not supported by Podium (see docs/compatibility.md)")


for _methods, _path in UNSUPPORTED:
    router.add_api_route(_path, unsupported, methods=_methods.split())
