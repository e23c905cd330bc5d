"""The composition root: builds the store, the engine and the services from settings."""

from __future__ import annotations

from dataclasses import dataclass

from podium.domain.clock import Clock, SystemClock
from podium.service.engine import Engine
from podium.service.metadata import MetadataService
from podium.service.notifier import QueueNotifier
from podium.service.polldata import PollDataTracker
from podium.service.tasks import TaskService
from podium.store.protocols import Store


def open_store(url: str) -> Store:
    """A store for a database URL: ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        from podium.store.postgres import PostgresStore  # type: ignore[import-not-found, unused-ignore]

        return PostgresStore(url)  # type: ignore[no-any-return, unused-ignore]
    from podium.store.sqlite import SqliteStore

    return SqliteStore(url)


@dataclass(slots=True)
class Services:
    """Everything a request handler or background loop needs."""

    store: Store
    clock: Clock
    metadata: MetadataService
    notifier: QueueNotifier
    poll_data: PollDataTracker
    engine: Engine
    tasks: TaskService


def build_services(store: Store, clock: Clock | None = None) -> Services:
    """Wire the services over a store."""
    from podium.expr import javascript, jq

    clock = clock or SystemClock()
    metadata = MetadataService(store, clock, js_syntax_check=javascript.check_syntax)
    notifier = QueueNotifier()
    poll_data = PollDataTracker(store)
    engine = Engine(
        store,
        clock,
        metadata,
        notifier,
        poll_data,
        js=javascript.evaluate,
        jq=jq.transform,
    )
    subscribe = getattr(store, "subscribe", None)
    if subscribe is not None:  # a database shared by several nodes: wake on their pushes, see their definitions
        subscribe(notifier.notify, metadata.invalidate)
    from podium.service import events

    events.install(engine)
    return Services(store, clock, metadata, notifier, poll_data, engine, TaskService(engine))
