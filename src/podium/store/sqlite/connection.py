"""The SQLite store's plumbing: one WAL connection per process, migrations, units of work, group commit."""

from __future__ import annotations

import operator
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from podium.store.rows import Params
from podium.store.shared_records import SharedRecords
from podium.store.snapshots import SnapshotCache
from podium.store.sqlfiles import migrations, queries
from podium.store.state_cache import StateCache

Q = queries("sqlite")
_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _by_position(sql: str) -> tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]:
    """A named statement as a positional one, and what picks its parameters out of a mapping, in order.

    sqlite3 binds ``:name`` by looking each name up afresh on every execution (+40 % on a task upsert);
    picking them with one ``itemgetter`` call costs a fifth of that, and the names still come from the SQL.
    """
    sql = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    names = _NAME.findall(sql)
    pick = operator.itemgetter(*names)
    return _NAME.sub("?", sql), (pick if len(names) > 1 else lambda row: (pick(row),))


# Statements with named parameters, run from a dict of them (see ``_bind``).
NAMED = {name: _by_position(sql) for name, sql in Q.items() if _NAME.search(sql)}


def _path_from_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :] or ":memory:"
    if url.startswith("sqlite://"):
        return url[len("sqlite://") :] or ":memory:"
    return url


class SqliteConnection(SharedRecords):
    """The connection, its lock and transactions, and the row codec the record methods share."""

    def __init__(self, url: str) -> None:
        self.path = _path_from_url(url)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._depth = 0
        self._group = False
        self._open = False
        self._on_pending: Callable[[], None] | None = None
        self.snapshots = SnapshotCache()
        self.states = StateCache()
        for stmt in _statements(Q["connection_settings"]):
            self._conn.execute(stmt)
        self.migrate()

    # -- plumbing -------------------------------------------------------------------------
    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version."""
        with self._lock:
            c = self._conn
            c.execute(Q["schema_version_table"])
            row = c.execute(Q["schema_version"]).fetchone()
            current = row[0] or 0
            for version, sql in migrations("sqlite"):
                if version <= current:
                    continue
                c.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in _statements(sql):
                        c.execute(stmt)
                    c.execute(Q["schema_version_add"], (version,))
                    c.execute("COMMIT")
                except BaseException:
                    c.execute("ROLLBACK")
                    raise
                current = version
            return int(current)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work. Nested blocks are savepoints.

        In group-commit mode (see ``enable_group_commit``) the outermost block is a savepoint inside a
        shared transaction that ``commit()`` closes; callers must not acknowledge the work before then.
        """
        with self._lock:
            c = self._conn
            depth = self._depth
            if depth == 0 and not self._group:
                c.execute("BEGIN IMMEDIATE")
            elif depth == 0:
                if not self._open:
                    c.execute("BEGIN IMMEDIATE")
                    self._open = True
                c.execute("SAVEPOINT unit")
            else:
                c.execute(f"SAVEPOINT s{depth}")
            self._depth = depth + 1
            try:
                yield
            except BaseException:
                self._depth = depth
                self.states.clear()
                if depth == 0 and not self._group:
                    c.execute("ROLLBACK")
                else:
                    name = "unit" if depth == 0 else f"s{depth}"
                    c.execute(f"ROLLBACK TO {name}")
                    c.execute(f"RELEASE {name}")
                raise
            self._depth = depth
            if depth == 0 and not self._group:
                c.execute("COMMIT")
            elif depth == 0:
                c.execute("RELEASE unit")
                if self._on_pending is not None:
                    self._on_pending()
            else:
                c.execute(f"RELEASE s{depth}")

    def enable_group_commit(self, on_pending: Callable[[], None]) -> None:
        """Let many units share one COMMIT; ``on_pending`` is called when a unit awaits its commit."""
        self._group = True
        self._on_pending = on_pending

    @property
    def uncommitted(self) -> bool:
        """True while finished units wait for ``commit()``."""
        return self._open

    def commit(self) -> None:
        """Make every finished unit durable (group-commit mode)."""
        with self._lock:
            if self._open and self._depth == 0:
                self._open = False
                try:
                    self._conn.execute("COMMIT")
                except BaseException:
                    self.states.clear()
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._conn.execute("COMMIT")
                self._open = False
            self._conn.close()

    def _one(self, name: str, args: Params) -> Any:
        with self._lock:
            row = self._conn.execute(*_bind(name, args)).fetchone()
        return None if row is None else row[0]

    def _all(self, name: str, args: Params = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(*_bind(name, args)).fetchall()

    def _exec(self, name: str, args: Params = ()) -> int:
        with self._lock:
            return self._conn.execute(*_bind(name, args)).rowcount

    def _many(self, name: str, rows: Sequence[Params]) -> None:
        with self._lock:
            if rows and isinstance(rows[0], dict):
                sql, pick = NAMED[name]
                self._conn.executemany(sql, map(pick, cast("Sequence[dict[str, Any]]", rows)))
            else:
                self._conn.executemany(Q[name], rows)


def _bind(name: str, args: Params) -> tuple[str, Params]:
    """The statement ``name`` and its parameters: by position, also when they come named in a dict
    (another mapping is bound by sqlite3 itself)."""
    if isinstance(args, dict):
        sql, pick = NAMED[name]
        return sql, pick(args)
    return Q[name], args


def _statements(sql: str) -> list[str]:
    """A migration's statements; a ';' that does not end one (as in a trigger's body) stays inside it."""
    out: list[str] = []
    buf = ""
    for piece in sql.split(";"):
        buf += piece
        if not sqlite3.complete_statement(buf + ";"):
            buf += ";"
            continue
        if buf.strip() and not _only_comments(buf):
            out.append(buf.strip())
        buf = ""
    return out


def _only_comments(s: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in s.splitlines())
