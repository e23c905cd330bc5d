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

With other nodes on the database (``peers``) a group's row locks make their units wait, so the group
is kept short: it commits as soon as a unit ends ``PEER_GROUP_HOLD_S`` after the group began, or once
it holds ``PEER_GROUP_UNITS`` units, whichever comes first (the responses still wait for the barrier,
which then finds nothing left to commit). And a group never waits on another group while holding
locks of its own, which is what could deadlock two nodes: a unit that has sent nothing yet locks its
workflow with NOWAIT, and if another transaction holds it, ``regroup`` commits the units before it
and starts a new group with this unit alone, which may then wait (holding nothing anyone waits for).
A lock taken later in a unit waits as a lone transaction's would; a cycle of such waits is broken by
PostgreSQL's deadlock detector, failing one unit (a 503) and keeping its group.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg

from podium.domain.errors import BackendUnavailable
from podium.store.postgres.connector import Connector
from podium.store.postgres.queries import Q
from podium.store.postgres.session import TRANSIENT, Session, unavailable
from podium.store.rows import Params

# With peers: a group commits once a unit ends this long after the group began, or at this many units.
# The hold time bounds how long a row lock taken in a group can make another node's unit wait.
PEER_GROUP_HOLD_S = float(os.environ.get("PODIUM_PG_GROUP_HOLD_MS", "5")) / 1000.0
PEER_GROUP_UNITS = 32
# Alone: at most this many units per group (each writing unit is a subtransaction, and a backend
# keeps at most 64 of them in shared memory before other backends' snapshots get slower).
GROUP_UNITS = 60
NOTIFY_SQL = Q["notify_queue"]


class GroupConnector(Connector):
    """A ``Connector`` whose owner thread can run its transactions as units of a shared one."""

    on_pending: Callable[[], None] | None = None
    # Whether other nodes use the database (set by the store from its listener): groups stay short.
    peers = True
    # Makes the NOTIFY payloads that wake other nodes on channels (set by the store).
    wake_payloads: Callable[[list[str]], list[str]] | None = None

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

    def _open_group(self, s: Session) -> None:
        self._begin(s)
        s.open = True
        s.grouped = 0
        s.group_since = time.monotonic()
        s.wakes.clear()

    def wake(self, channel: str) -> bool:
        """Wake other nodes on ``channel`` when the open group commits (one NOTIFY per group carries
        them all); False outside a group unit, where the caller notifies in its own statement."""
        s = self.main
        if not (s.open and s.depth) or self.wake_payloads is None or self.session() is not s:
            return False
        s.wakes.setdefault(channel, s.units)
        return True

    def _before_commit(self, s: Session) -> None:
        if s.wakes and self.wake_payloads is not None:
            w = s.piped
            assert w is not None
            for payload in self.wake_payloads(list(s.wakes)):
                w.execute(NOTIFY_SQL, (payload,))
            s.wakes.clear()

    def _unit(self, s: Session) -> Iterator[Session]:
        if not s.open:
            self._open_group(s)
        s.units += 1
        s.grouped += 1
        name = f"u{s.units}"
        try:
            self._control(s, f"SAVEPOINT {name}")
            s.depth = 1
            s.fresh = True
            yield s
        except BaseException as e:
            s.depth = 0
            s.fresh = False
            self._unit_failed(s, name, e)
            if isinstance(e, TRANSIENT):
                raise unavailable(e) from e
            raise
        s.depth = 0
        s.fresh = False
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        self._control(s, f"RELEASE {name}")
        self._push(s)
        if self.peers:
            if s.grouped >= PEER_GROUP_UNITS or time.monotonic() - s.group_since >= PEER_GROUP_HOLD_S:
                self._commit_now(s)
        elif s.grouped >= GROUP_UNITS:
            self._commit_now(s)
        if self.on_pending is not None:
            self.on_pending()

    def _push(self, s: Session) -> None:
        """Send the unit's writes now, so the server runs them while the loop serves the next request."""
        w = s.piped
        if w is not None:
            try:
                w.push()
            except TRANSIENT as e:
                raise self.lost(s, e) from e

    def _commit_now(self, s: Session) -> None:
        """Commit the open group before the barrier does; a failure is owed to its waiting units."""
        s.open = False
        try:
            self._commit(s)
        except Exception as e:
            if s.group_error is None:
                s.group_error = unavailable(e if isinstance(e, (*TRANSIENT, BackendUnavailable)) else _lost(e))

    @property
    def may_regroup(self) -> bool:
        """True if the running unit may lock with NOWAIT and move to a group of its own on a conflict:
        it has sent nothing yet, and the open group holds units before it (peers only)."""
        s = self.main
        return self.peers and s.fresh and s.open and s.depth == 1 and s.grouped > 1 and self.session() is s

    def regroup(self, exc: BaseException) -> None:
        """The running unit (which sent nothing but a NOWAIT lock) met a row another transaction holds.

        Its savepoint is rolled back, the units before it commit, and a new group begins with this unit
        alone, so it can wait for the row without holding locks of its own. Raises ``BackendUnavailable``
        if the rollback cannot be confirmed (the unit then fails, and with it the group).
        """
        s = self.main
        name = f"u{s.units}"
        conn, w = s.conn, s.piped
        if conn is None or w is None or conn.broken or conn.closed:
            raise unavailable(exc)
        with contextlib.suppress(psycopg.Error):
            w.sync()  # clears the aborted pipeline
        try:
            w.control(f"ROLLBACK TO {name}".encode())
            w.sync()
        except psycopg.Error as e:
            raise unavailable(e) from e
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        s.ahead.clear()
        s.depth = 0
        self._commit_now(s)
        self._open_group(s)
        s.grouped = 1
        self._control(s, f"SAVEPOINT {name}")
        s.depth = 1

    def _unit_failed(self, s: Session, name: str, exc: BaseException) -> None:
        s.batch_rows.clear()
        for channel in [c for c, unit in s.wakes.items() if unit == s.units]:
            del s.wakes[channel]  # the failed unit's wakes go with it (earlier units' stay)
        s.prefetched_tasks.clear()
        s.prefetched_task_lists.clear()
        s.ahead.clear()  # rows it locked ahead are unlocked again
        conn, w = s.conn, s.piped
        if conn is not None and w is not None and not (conn.broken or conn.closed):
            with contextlib.suppress(psycopg.Error):
                w.sync()  # clears an aborted pipeline
            try:
                w.control(f"ROLLBACK TO {name}".encode())
                w.control(f"RELEASE {name}".encode())
                w.sync()
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


def _lost(e: BaseException) -> BackendUnavailable:
    return BackendUnavailable(f"Database unavailable: commit failed ({type(e).__name__}), retry")
