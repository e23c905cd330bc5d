"""Connections of the PostgreSQL store.

The thread that builds the store (the server's event loop thread) owns one dedicated connection;
any other thread borrows from a pool. A transaction runs in pipeline mode through libpq directly
(``postgres.wire``): writes are queued and sent with the next read or with the COMMIT, so a typical
unit of work costs two or three round trips whatever its statement count. Runs of the same kind of
row write (``defer``) are held back and sent as one statement when anything else is sent, so they
keep their place in the order.
Connection failures surface as ``BackendUnavailable`` (a 503) and the next call reconnects.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from podium.domain.errors import BackendUnavailable
from podium.store.postgres.runs import Row, row_values, rows_sql, send_rows
from podium.store.postgres.session import (
    CONNECT_TIMEOUT_S,
    TRANSIENT,
    Session,
    configure,
    connect,
    first_line,
    unavailable,
)
from podium.store.rows import Params

log = logging.getLogger("podium.store.postgres")

_BORROW_ERRORS: tuple[type[Exception], ...] = (*TRANSIENT, PoolTimeout)
# After a failed connect, calls fail fast for this long instead of each waiting on a dead host.
RECONNECT_PAUSE_S = 0.2


class Connector:
    """Hands out the calling thread's connection; runs statements and transactions on it."""

    # Writes that leave the rows read ahead (``Session.ahead``) valid, or drop the ones they change themselves.
    keeps_ahead: frozenset[str] = frozenset()

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self.pool_size = pool_size
        self.owner = threading.get_ident()
        self.main = Session(pooled=False)
        self._local = threading.local()
        self._pool: ConnectionPool[Any] | None = None
        self._pool_lock = threading.Lock()
        self._retry_at = 0.0

    # -- sessions -----------------------------------------------------------------------------
    def session(self) -> Session:
        if threading.get_ident() == self.owner:
            return self.main
        s: Session | None = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = Session(pooled=True)
        return s

    def _main_conn(self) -> psycopg.Connection[Any]:
        s = self.main
        conn = s.conn
        if conn is not None and not conn.closed:
            return conn
        if time.monotonic() < self._retry_at:
            raise BackendUnavailable("Database unavailable: reconnecting")
        try:
            conn = s.conn = connect(self.url)
        except TRANSIENT as e:
            self._retry_at = time.monotonic() + RECONNECT_PAUSE_S
            raise BackendUnavailable(f"Database unavailable: {first_line(e)}") from e
        return conn

    def pool(self) -> ConnectionPool[Any]:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=max(1, self.pool_size),
                    kwargs={
                        "autocommit": True,
                        "connect_timeout": CONNECT_TIMEOUT_S,
                        "application_name": "podium-pool",
                    },
                    configure=configure,
                    check=ConnectionPool.check_connection,
                    name="podium",
                    open=True,
                )
            return self._pool

    @contextlib.contextmanager
    def borrowed(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for one statement outside a transaction, from a non-owner thread."""
        try:
            with self.pool().connection(timeout=CONNECT_TIMEOUT_S) as conn:
                yield conn
        except _BORROW_ERRORS as e:
            raise unavailable(e) from e

    def conn_for(self, s: Session) -> psycopg.Connection[Any]:
        """The connection a session uses now (owner: its dedicated one, reconnecting if lost)."""
        conn = s.conn
        if conn is not None and (s.depth or not conn.closed):
            return conn
        return self._main_conn()

    def lost(self, s: Session, e: BaseException) -> BackendUnavailable:
        """Map a transient error; forget a broken connection so the next call reconnects."""
        conn = s.conn
        if conn is not None and (conn.broken or conn.closed) and s.depth == 0:
            with contextlib.suppress(Exception):
                conn.close()
            if not s.pooled:
                s.conn = None
        return unavailable(e)

    # -- transactions -------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        s = self.session()
        depth = s.depth
        if depth == 0:
            self._begin(s)
        else:
            assert s.conn is not None
            self._control(s, f"SAVEPOINT s{depth}")
        s.depth = depth + 1
        try:
            yield s
        except BaseException as e:
            s.depth = depth
            if depth == 0:
                self._abort(s, e)
            else:
                self._rollback_to(s, depth)
            if isinstance(e, TRANSIENT):
                raise unavailable(e) from e
            raise
        s.depth = depth
        if depth == 0:
            self._commit(s)
        else:
            self._control(s, f"RELEASE s{depth}")

    def _control(self, s: Session, sql: str) -> None:
        w = s.piped
        assert w is not None
        try:
            if s.batch_rows:
                self.flush(s)
            w.control(sql.encode())
        except TRANSIENT as e:
            raise unavailable(e) from e

    def _begin(self, s: Session) -> None:
        if s.pooled:
            try:
                s.conn = self.pool().getconn(timeout=CONNECT_TIMEOUT_S)
            except Exception as e:
                raise unavailable(e) from e
        conn = self.conn_for(s)
        w = s.wire_for(conn)
        try:
            w.open()
            w.control(b"BEGIN")
        except TRANSIENT as e:
            with contextlib.suppress(Exception):
                w.close()
            self._release(s, broken=True)
            raise unavailable(e) from e

    def _commit(self, s: Session) -> None:
        w = s.piped
        assert s.conn is not None and w is not None
        try:
            if s.batch_rows:
                self.flush(s)
            self._before_commit(s)
            w.control(b"COMMIT")
            w.sync()  # sends everything queued and waits for the COMMIT
            w.close()
        except BaseException as e:
            self._abort(s, e)
            if isinstance(e, TRANSIENT):
                raise unavailable(e) from e
            raise
        self._release(s)

    def _before_commit(self, s: Session) -> None:
        """Statements to send last in a transaction (group commit: the wakes of other nodes)."""

    def _abort(self, s: Session, exc: BaseException) -> None:
        conn = s.conn
        w = s.piped
        broken = conn is None or conn.broken or conn.closed
        if w is not None:
            try:
                w.close()
            except Exception:
                broken = True
        if conn is not None and not (conn.broken or conn.closed):
            try:
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.execute(b"ROLLBACK", prepare=False)
            except Exception:
                log.warning("rollback failed; dropping the connection", exc_info=True)
                broken = True
        self._release(s, broken=broken or conn is None or conn.broken or conn.closed)

    def _rollback_to(self, s: Session, depth: int) -> None:
        s.batch_rows.clear()  # deferred writes of the failed block (SAVEPOINT sent the ones before it)
        s.ahead.clear()
        conn = s.conn
        if conn is None or conn.broken or conn.closed:
            return
        w = s.piped
        if w is None:
            return
        # A failed statement aborts the pipeline until the next sync; clear that first.
        with contextlib.suppress(psycopg.Error):
            w.sync()
        with contextlib.suppress(psycopg.Error):
            w.control(f"ROLLBACK TO s{depth}".encode())
            w.control(f"RELEASE s{depth}".encode())

    def _release(self, s: Session, broken: bool = False) -> None:
        s.batch_rows.clear()
        s.wakes.clear()
        s.ahead.clear()
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        conn = s.conn
        if s.pooled:
            s.conn = None
            s.wire = None
            if conn is not None:
                if broken:
                    with contextlib.suppress(Exception):
                        conn.close()
                with contextlib.suppress(Exception):
                    self.pool().putconn(conn)
        elif broken and conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
            s.conn = None

    # -- statements -----------------------------------------------------------------------------
    def fetch(self, sql: str, args: Params) -> list[Any]:
        s = self.session()
        if s.pooled and not s.depth:
            with self.borrowed() as conn:
                return conn.execute(sql, args).fetchall()
        conn = self.conn_for(s)
        s.fresh = False
        try:
            if s.batch_rows:
                self.flush(s)
            w = s.piped
            if w is not None:
                return w.rows(w.query(sql, args))
            return s.reader(conn).execute(sql, args).fetchall()
        except TRANSIENT as e:
            raise self.lost(s, e) from e

    def run(self, sql: str, args: Params) -> None:
        """A write; inside a transaction it is only queued."""
        self._write(sql, (args,))

    def _write(self, sql: str, rows: Sequence[Params]) -> None:
        """Send a write on this thread's connection, after any deferred writes, or on a borrowed one."""
        s = self.session()
        if s.pooled and not s.depth:
            with self.borrowed() as conn:
                _execute(conn.cursor(), sql, rows)
            return
        conn = self.conn_for(s)
        self._writing(s, sql)
        try:
            if s.batch_rows:
                self.flush(s)
            w = s.piped
            if w is not None:
                for args in rows:
                    w.execute(sql, args)
            else:
                _execute(s.writer(conn), sql, rows)
        except TRANSIENT as e:
            raise self.lost(s, e) from e

    def _writing(self, s: Session, sql: str) -> None:
        """A write is about to be sent or deferred: the unit has sent something, and rows read ahead that
        the statement may change are stale (``keeps_ahead`` lists those that change none, or drop theirs)."""
        s.fresh = False
        if s.ahead and sql not in self.keeps_ahead:
            s.ahead.clear()

    def defer(self, sql: str, key: Any, args: Row) -> None:
        """A row write that a run of same-kind writes (same ``sql``, with ``ROWS(...)``) sends as one statement.

        Within a run a later write of the same ``key`` replaces the earlier one. Outside a
        transaction it runs at once.
        """
        s = self.session()
        if not s.depth:
            self.run(rows_sql(sql, 1), row_values(sql, (args,)))
            return
        self._writing(s, sql)
        if s.batch_sql is not sql:
            if s.batch_rows:
                try:
                    self.flush(s)
                except TRANSIENT as e:
                    raise self.lost(s, e) from e
            s.batch_sql = sql
        s.batch_rows[key] = args

    def flush(self, s: Session) -> None:
        """Send the session's deferred writes (queued in the pipeline like any write)."""
        rows = list(s.batch_rows.values())
        s.batch_rows.clear()
        sql, s.batch_sql = s.batch_sql, ""
        w = s.piped
        assert w is not None
        send_rows(w.execute, sql, rows)

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            self._write(sql, rows)

    def close(self) -> None:
        conn, self.main.conn = self.main.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _execute(cur: psycopg.Cursor[Any], sql: str, rows: Sequence[Params]) -> None:
    """Run ``sql`` once per row through psycopg (one row: a plain execute)."""
    if len(rows) == 1:
        cur.execute(sql, rows[0])
    else:
        cur.executemany(sql, rows)
