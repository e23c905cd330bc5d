"""The composition root: builds the store, the engine and the services from settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from podium.domain.clock import Clock, SystemClock
from podium.domain.limits import DEFAULT_LIMITS, Limits
from podium.sandbox import Evaluator
from podium.service import metrics
from podium.service.admin import AdminService
from podium.service.auth import DEFAULT_TOKEN_TTL_MS, AuthService
from podium.service.engine import Engine
from podium.service.metadata import MetadataService
from podium.service.notifier import QueueNotifier
from podium.service.payloads import PayloadService
from podium.service.polldata import PollDataTracker
from podium.service.queues import QueueService
from podium.service.scheduler import SchedulerService
from podium.service.search import SearchService
from podium.service.tasks import TaskService
from podium.service.values import KeySource, ValuesService
from podium.store.protocols import PayloadStore, PeerNotification, Store

PAYLOAD_URL_SECRET = "payload_urls"


def open_store(url: str) -> Store:
    """A store for a database URL: ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith(("postgresql://", "postgres://")):
        from podium.store.postgres import PostgresStore

        return PostgresStore(url)
    from podium.store.sqlite import SqliteStore

    return SqliteStore(url)


def open_payload_store(spec: str, db_url: str) -> PayloadStore:
    """The payload store named by ``spec`` (``PODIUM_PAYLOAD_STORE``), or the default for the database:
    a directory beside the SQLite file (``<file>.payloads``), the PostgreSQL database's own table."""
    from podium.store.payloads import FilesystemPayloads, MemoryPayloads

    if not spec:
        if db_url.startswith(("postgresql://", "postgres://")):
            spec = db_url
        else:
            path = db_url.removeprefix("sqlite:///").removeprefix("sqlite://").split("?", 1)[0]
            if not path or path == ":memory:":
                return MemoryPayloads()
            return FilesystemPayloads(path + ".payloads")
    if spec.startswith(("postgresql://", "postgres://")):
        from podium.store.payloads.postgres import PostgresPayloads

        return PostgresPayloads(spec)
    if spec.startswith("s3://"):
        from podium.store.payloads.s3 import S3Payloads

        return S3Payloads.from_url(spec)
    return FilesystemPayloads(spec.removeprefix("file://"))


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
    queues: QueueService
    admin: AdminService
    search: SearchService
    auth: AuthService
    values: ValuesService
    scheduler: SchedulerService


def build_services(
    store: Store,
    clock: Clock | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    sandbox: bool = False,
    token_ttl_ms: int = DEFAULT_TOKEN_TTL_MS,
    secrets_key: KeySource = lambda: None,
    payloads: PayloadStore | None = None,
) -> Services:
    """Wire the services over a store, under the server's hard limits.

    With ``sandbox`` (the server), scripts and jq run in evaluator processes, off the event loop;
    without it (in-process use and tests), they run in this process. ``secrets_key`` gives the key that
    seals secret values (``service.values.key_source``); without one, secret writes are refused.
    """
    from podium.expr import configure_regex_budget, javascript, jq
    from podium.store.payloads import MemoryPayloads

    configure_regex_budget(limits.regex_timeout_ms)
    evaluator = (
        Evaluator(limits, lambda outcome: metrics.count(metrics.SCRIPT_EVALUATIONS, outcome)) if sandbox else None
    )

    clock = clock or SystemClock()

    def url_key() -> bytes:
        """The secret that signs Podium's payload URIs, the same on every node of a database."""
        with store.transaction():
            return bytes.fromhex(store.server_secret(PAYLOAD_URL_SECRET, secrets.token_hex(32)))

    metadata = MetadataService(store, clock, js_syntax_check=javascript.check_syntax, limits=limits)
    notifier = QueueNotifier()
    poll_data = PollDataTracker(store)
    engine = Engine(
        store,
        clock,
        metadata,
        notifier,
        poll_data,
        js=evaluator.js if evaluator else javascript.evaluate,
        jq=evaluator.jq if evaluator else jq.transform,
        limits=limits,
        evaluator=evaluator,
        payloads=PayloadService(payloads or MemoryPayloads(), limits, url_key=url_key, now=clock.now),
    )
    auth = AuthService(store, clock, token_ttl_ms)
    values = ValuesService(store, clock, engine, secrets_key)
    scheduler = SchedulerService(engine)
    if isinstance(store, PeerNotification):
        # A database shared by nodes: wake on their pushes, see their definitions.
        def pushed(queue: str, visible_at: int | None) -> None:
            notifier.notify(queue, 0 if visible_at is None else visible_at - clock.now())

        def definitions_changed() -> None:
            # Another node changed a definition, revoked a key, changed a secret or environment value or a
            # schedule: forget definitions, re-read revocations, values and the next fire.
            metadata.invalidate()
            auth.reload_revoked()
            values.reload()
            scheduler.changed()  # a schedule may have changed: the firing loop re-reads the earliest fire

        store.subscribe(pushed, lambda: notifier.call_soon(definitions_changed))
        notifier.want = store.want_wakes
    from podium.service import events

    events.install(engine)
    tasks = TaskService(engine)
    tasks.reveal = values.reveal
    return Services(
        store, clock, metadata, notifier, poll_data, engine, tasks,
        QueueService(engine, tasks), AdminService(engine), SearchService(store), auth, values, scheduler,
    )  # fmt: skip
