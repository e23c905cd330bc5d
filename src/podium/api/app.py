"""The FastAPI application factory: the composition root of the server."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.types import ASGIApp

from podium import __version__, ui
from podium.api.auth import AuthGate
from podium.api.browser_guard import BrowserGuard
from podium.api.durable import DurableResponses
from podium.api.errors import install_error_handlers
from podium.api.fastlane import FastLane
from podium.api.routes import (
    auth,
    docs,
    events,
    health,
    metadata,
    payloads,
    retention,
    scheduler,
    tasks,
    unsupported,
    values,
    workflow,
    workflow_bulk,
)
from podium.domain.settings import Settings
from podium.service.container import Services, build_services, open_payload_store, open_store
from podium.service.durability import CommitBarrier
from podium.service.values import key_source

# How often a server with auth on re-reads the revoked keys (revocations made on the database directly).
REVOCATION_CHECK_MS = 1000


def settings_from_environment() -> Settings:
    """The server's settings from its PODIUM_* environment variables (the server id defaults to the host name)."""
    return Settings.from_env(os.environ, os.uname().nodename)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the server. ``services`` may be injected (tests); otherwise built from ``settings.db``."""
    settings = settings or settings_from_environment()
    svc = services or build_services(
        open_store(settings.db),
        limits=settings.limits,
        sandbox=True,
        token_ttl_ms=settings.auth_token_ttl_seconds * 1000,
        secrets_key=key_source(settings.secrets_key, settings.db),
        payloads=open_payload_store(settings.payload_store, settings.db),
    )
    if settings.auth:
        svc.auth.start()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from podium.runtime import evaluations, systask_runner
        from podium.runtime.retention import retention_loop
        from podium.runtime.scheduler import scheduler_loop
        from podium.runtime.sweeper import poll_data_loop, queue_compaction_loop, revocation_loop, sweeper_loop

        loop = asyncio.get_running_loop()
        svc.notifier.bind(loop)
        barrier.bind(loop)
        evaluator = svc.engine.evaluator
        if evaluator is not None:
            evaluator.bind(loop, evaluations.waker(svc, loop))
            await evaluator.start()
        loops: list[asyncio.Task[None]] = systask_runner.start(svc, settings, barrier)
        if settings.run_background:
            loops.append(asyncio.create_task(sweeper_loop(svc, settings.sweep_interval_ms)))
            loops.append(asyncio.create_task(poll_data_loop(svc, settings.poll_data_flush_ms)))
            loops.append(asyncio.create_task(queue_compaction_loop(svc, settings.queue_compact_ms)))
            if settings.scheduler:
                loops.append(asyncio.create_task(scheduler_loop(svc, history_days=settings.scheduler_history_days)))
            if settings.auth:
                loops.append(asyncio.create_task(revocation_loop(svc, REVOCATION_CHECK_MS)))
            loops.append(asyncio.create_task(retention_loop(svc, settings, barrier)))
        try:
            yield
        finally:
            for t in loops:
                t.cancel()
            for t in loops:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            svc.poll_data.flush()
            barrier.flush_now()
            if evaluator is not None:
                evaluator.close()
            if services is None:
                svc.store.close()
                svc.engine.payloads.store.close()

    barrier = CommitBarrier.over(svc.store)
    app = FastAPI(
        title="Podium",
        version=__version__,
        description="A workflow orchestration engine that speaks Conductor's REST API.",
        lifespan=lifespan,
        docs_url=None,  # served from the installed Swagger UI package instead of a CDN (routes/docs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = svc
    install_error_handlers(app, settings.server_id, not_found_page=ui.not_found_page)
    # The web UI serves "/" and page paths, so it comes after the API routers.
    routers = (unsupported, health, auth, metadata, payloads, workflow_bulk, workflow, tasks, events, values, scheduler)
    for router in (m.router for m in (*routers, docs, retention, ui)):  # docs, retention: issue #16
        app.include_router(router)
    app.state.barrier = barrier
    return app


def create_server(settings: Settings | None = None) -> ASGIApp:
    """The ASGI callable a server runs: browser checks first, then (with auth on) the access check, then the
    hot worker paths; every response held until durable."""
    settings = settings or settings_from_environment()
    app = create_app(settings)
    barrier = app.state.barrier
    svc: Services = app.state.services
    served: ASGIApp = FastLane(DurableResponses(app, barrier, settings.server_id), svc, settings, barrier)
    if settings.auth:
        served = AuthGate(served, svc.auth, settings)
    served = BrowserGuard(served, settings)
    if settings.access_log:
        from podium.api.access_log import AccessLog

        served = AccessLog(served)  # outermost, so refused requests are logged too
    return served
