"""PostgreSQL connections and per-thread sessions: set-up, transaction state, error mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import errors as pgerr
from psycopg.adapt import Buffer, Dumper
from psycopg.postgres import types as pg_types

from podium.domain.errors import BackendUnavailable
from podium.store.postgres.queries import Q
from podium.store.postgres.wire import Entry, Wire

# Errors that say "try again": the server went away, is restarting, or aborted the transaction
# to break a deadlock or a lock wait.
TRANSIENT: tuple[type[Exception], ...] = (psycopg.OperationalError, psycopg.InterfaceError)
CONNECT_TIMEOUT_S = 5


class _JsonText(Dumper):
    """Bytes parameters are UTF-8 JSON for text columns: send them as they are."""

    oid = pg_types["text"].oid

    def dump(self, obj: Buffer) -> Buffer:
        return obj


def configure(conn: psycopg.Connection[Any]) -> None:
    """Per-connection set-up shared by the dedicated connection, the pool and the listener."""
    conn.adapters.register_dumper(bytes, _JsonText)
    conn.prepared_max = 256
    conn.execute(Q["session_settings"], prepare=False)


def connect(url: str, application_name: str = "podium") -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name=application_name)
    try:
        configure(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class Session:
    """One thread's connection and transaction state."""

    __slots__ = (
        "ahead",
        "batch_rows",
        "batch_sql",
        "conn",
        "depth",
        "expected",
        "fresh",
        "group_error",
        "group_since",
        "grouped",
        "open",
        "pooled",
        "prefetched_task_lists",
        "prefetched_tasks",
        "rcur",
        "units",
        "wakes",
        "wcur",
        "wire",
    )

    def __init__(self, pooled: bool) -> None:
        self.conn: psycopg.Connection[Any] | None = None
        self.depth = 0
        # Group commit (``postgres.group``): a transaction left open across units, the error that
        # lost one (owed to the units waiting for its commit), and a counter naming units' savepoints.
        self.open = False
        self.group_error: BackendUnavailable | None = None
        self.units = 0
        # The open group: how many units it holds and since when (with peers it is kept short), whether
        # the running unit has sent nothing yet (so it can move to a new group), and the channels (queues,
        # ``wf:<id>``) other nodes are to be woken on when it commits, each with the unit that added it.
        self.grouped = 0
        self.group_since = 0.0
        self.fresh = False
        self.wakes: dict[str, int] = {}
        # The connection's pipeline while a transaction is open (``wire.active``); psycopg's otherwise.
        self.wire: Wire | None = None
        # Rows read ahead within a transaction, each used once: task bodies locked by a dequeue,
        # and the task lists of workflows loaded for a decide.
        self.prefetched_tasks: dict[str, str] = {}
        self.prefetched_task_lists: dict[str, Entry] = {}
        # Read ahead across units (``PostgresStore.expect``): workflows that requests already parsed will
        # decide, and, once read, each one's locked row and task list, valid until a write may change them.
        self.expected: dict[str, None] = {}
        self.ahead: dict[str, tuple[Entry, Entry]] = {}
        self.pooled = pooled
        # Deferred writes of one kind (see ``Connector.defer``): row key -> statement arguments.
        self.batch_rows: dict[Any, Mapping[str, Any]] = {}
        self.batch_sql = ""
        # Cursors kept for the connection's lifetime: one for writes (never read back), one for reads
        # outside a transaction. A cursor costs more to make than most statements cost to send.
        self.wcur: psycopg.Cursor[Any] | None = None
        self.rcur: psycopg.Cursor[Any] | None = None

    def writer(self, conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
        cur = self.wcur
        if cur is None or cur.connection is not conn:
            cur = self.wcur = conn.cursor()
            self.rcur = conn.cursor()
        return cur

    def reader(self, conn: psycopg.Connection[Any]) -> psycopg.Cursor[Any]:
        """The cursor for reads outside a transaction."""
        self.writer(conn)
        assert self.rcur is not None
        return self.rcur

    def wire_for(self, conn: psycopg.Connection[Any]) -> Wire:
        """The pipeline of ``conn``, kept on the connection (its prepared statements live as long)."""
        w = self.wire
        if w is None or w.conn is not conn:
            w = getattr(conn, "_podium_wire", None)
            if w is None:
                w = Wire(conn)
                conn._podium_wire = w  # type: ignore[attr-defined]
            self.wire = w
        return w

    @property
    def piped(self) -> Wire | None:
        """The pipeline of the open transaction, if one is open."""
        w = self.wire
        return w if w is not None and w.active else None


def unavailable(e: BaseException) -> BackendUnavailable:
    if isinstance(e, BackendUnavailable):
        return e
    if isinstance(e, pgerr.DeadlockDetected | pgerr.SerializationFailure | pgerr.LockNotAvailable):
        return BackendUnavailable(f"Database conflict, retry: {first_line(e)}")
    return BackendUnavailable(f"Database unavailable: {first_line(e)}")


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
