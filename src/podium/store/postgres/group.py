"""Group commit for the PostgreSQL store: many units of work share one COMMIT.

Used only on the thread that owns the store's dedicated connection (the event loop), and only while
the server's ``CommitBarrier`` holds every response until ``commit_group`` has run. The first unit
opens a transaction (in pipeline mode); each unit is a savepoint ``u<n>`` inside it, released when
it ends, so its writes go out with the next unit's first read instead of costing a COMMIT round
trip of their own. A statement outside any unit while the group is open runs as a unit too, so a
failing read cannot take the group down.

A unit that fails is rolled back to its savepoint, and the rollback is confirmed with a sync. If that
fails (the connection broke, or the error came from an earlier unit's deferred statement, whose
failure also skipped this unit's SAVEPOINT), the whole group is lost: it is rolled back and the error
is kept for ``commit_group`` to raise, so no waiting response reports success.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg

from podium.domain.errors import BackendUnavailable
from podium.store.postgres.connector import Connector
from podium.store.postgres.session import TRANSIENT, Session, unavailable
from podium.store.rows import Params


class GroupConnector(Connector):
    """A ``Connector`` whose owner thread can run its transactions as units of a shared one."""

    on_pending: Callable[[], None] | None = None

    @property
    def uncommitted(self) -> bool:
        """True while finished units wait for ``commit_group`` (or for the error that lost them)."""
        s = self.main
        return s.open or s.group_error is not None

    def commit_group(self) -> None:
        """Commit the open group; raises ``BackendUnavailable`` if it (or an earlier group) was lost."""
        s = self.main
        err, s.group_error = s.group_error, None
        if s.open and not s.depth:
            s.open = False
            self._commit(s)
        if err is not None:
            raise err

    @contextlib.contextmanager
    def transaction(self, group: bool = False) -> Iterator[Session]:
        s = self.session()
        if s.depth or s.pooled:
            with super().transaction() as got:
                yield got
            return
        if not group:
            if s.open:  # leaving group mode: the open group commits first, its waiters get its outcome
                try:
                    self.commit_group()
                except BackendUnavailable as e:
                    s.group_error = e
            with super().transaction() as got:
                yield got
            return
        yield from self._unit(s)

    def _unit(self, s: Session) -> Iterator[Session]:
        if not s.open:
            self._begin(s)
            s.open = True
        s.units += 1
        name = f"u{s.units}"
        try:
            self._control(s, f"SAVEPOINT {name}")
            s.depth = 1
            yield s
        except BaseException as e:
            s.depth = 0
            self._unit_failed(s, name, e)
            if isinstance(e, TRANSIENT):
                raise unavailable(e) from e
            raise
        s.depth = 0
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        self._control(s, f"RELEASE {name}")
        if self.on_pending is not None:
            self.on_pending()

    def _unit_failed(self, s: Session, name: str, exc: BaseException) -> None:
        s.batch_rows.clear()
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        conn, pipe = s.conn, s.pipe
        if conn is not None and pipe is not None and not (conn.broken or conn.closed):
            with contextlib.suppress(psycopg.Error):
                pipe.sync()  # clears an aborted pipeline
            try:
                conn.execute(f"ROLLBACK TO {name}".encode(), prepare=False)
                conn.execute(f"RELEASE {name}".encode(), prepare=False)
                pipe.sync()
                return
            except psycopg.Error:
                pass
        # The group is gone: roll it back and owe its waiters the error.
        s.open = False
        lost = exc if isinstance(exc, (*TRANSIENT, BackendUnavailable)) else None
        s.group_error = unavailable(lost or BackendUnavailable("Database unavailable: transaction lost, retry"))
        self._abort(s, exc)
        if self.on_pending is not None:
            self.on_pending()  # deliver the error to the waiting units soon

    def lost(self, s: Session, e: BaseException) -> BackendUnavailable:
        if s.open and not s.depth and s.conn is not None and (s.conn.broken or s.conn.closed):
            s.open = False
            s.group_error = unavailable(e)
            self._abort(s, e)
        return super().lost(s, e)

    # -- statements outside a unit while a group is open run as units ---------------------------
    def fetch(self, sql: str, args: Params) -> list[Any]:
        s = self.session()
        if s.open and not s.depth:
            with self.transaction(group=True):
                return super().fetch(sql, args)
        return super().fetch(sql, args)

    def run(self, sql: str, args: Params) -> None:
        s = self.session()
        if s.open and not s.depth:
            with self.transaction(group=True):
                super().run(sql, args)
            return
        super().run(sql, args)

    def run_many(self, sql: str, rows: Sequence[Params]) -> None:
        s = self.session()
        if s.open and not s.depth:
            with self.transaction(group=True):
                super().run_many(sql, rows)
            return
        super().run_many(sql, rows)
