"""One transaction's statements sent through libpq's pipeline mode, below psycopg's cursors.

A psycopg cursor spends ~10 µs of Python per statement (query conversion, dumper lookup, prepare
bookkeeping, a send per statement); a unit of work sends eight or so. Here the owner thread's
transactions go to libpq (C) directly: a statement's ``%s`` / ``%(name)s`` placeholders are converted
once, parameters are written as text by a few type checks, a statement seen twice is prepared on the
connection, and nothing is sent until a result is needed or the transaction ends. Results are decoded
by psycopg's own loaders and errors are psycopg's own exception classes, so callers see what a cursor
would have given them. Outside a transaction psycopg keeps the connection (``Wire`` leaves pipeline
mode at every commit or rollback).

In pipeline mode an error makes the server skip everything up to the next sync. The first error is
kept; reading any later result, sending anything, or syncing raises it, and ``sync`` clears it (the
transaction stays open, aborted, until a ``ROLLBACK [TO]``).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
import select
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

_TUPLES = pq.ExecStatus.TUPLES_OK
_COMMAND = pq.ExecStatus.COMMAND_OK
_SYNC = pq.ExecStatus.PIPELINE_SYNC
_ABORTED = pq.ExecStatus.PIPELINE_ABORTED

# Parameter types, as psycopg would send them: str and None as "unknown" (the server infers them).
_UNKNOWN, _INT8, _NUMERIC, _BOOL, _FLOAT8, _TEXT, _TEXT_ARRAY = 0, 20, 1700, 16, 701, 25, 1009
_INT8_RANGE = range(-(2**63), 2**63)
# Statements prepared per connection at most (a statement runs unprepared after that).
MAX_PREPARED = 512
# Statements counted towards their second use at most (then the count starts again).
_SEEN_MAX = 4096
# Errors after which the server closes the connection: connection exceptions, operator intervention.
_GONE = ("08", "57P")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")
_ARRAY_ESCAPE = re.compile(r'(["\\])')


@functools.lru_cache(maxsize=4096)
def convert(sql: str) -> tuple[bytes, tuple[str, ...] | None]:
    """``sql`` with ``$n`` placeholders, and the parameter names in order (None: positional)."""
    names: dict[str, int] = {}
    positional = 0

    def number(m: re.Match[str]) -> str:
        nonlocal positional
        token = m.group(0)
        if token == "%%":
            return "%"
        if token == "%s":
            positional += 1
            return f"${positional}"
        n = names.setdefault(m.group(1), len(names) + 1)
        return f"${n}"

    query = _PLACEHOLDER.sub(number, sql)
    if names and positional:
        raise ValueError("a statement mixes named and positional parameters")
    return query.encode(), (tuple(names) if names else None)


def _array_item(v: Any) -> str:
    if v is None:
        return "NULL"
    return '"' + _ARRAY_ESCAPE.sub(r"\\\1", str(v)) + '"'


class Entry:
    """A statement's place in the pipeline: its rows once read (if kept) or its error."""

    __slots__ = ("done", "error", "keep", "prepared", "rows")

    def __init__(self, keep: bool, prepared: tuple[str, tuple[int, ...]] | None = None) -> None:
        self.keep = keep
        self.prepared = prepared  # the key of a PREPARE (forgotten if it fails)
        self.done = False
        self.rows: list[tuple[Any, ...]] = []
        self.error: Exception | None = None


_SYNC_MARK = Entry(False)


class Wire:
    """The pipeline of one connection, for the transactions of the thread that owns it."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.pg = conn.pgconn
        self.tx = Transformer(conn)
        self.names: dict[tuple[str, tuple[int, ...]], bytes] = {}
        self._numbers = itertools.count()  # names are never reused, even after a failed PREPARE
        self.seen: dict[tuple[str, tuple[int, ...]], int] = {}
        self.entries: deque[Entry] = deque()
        self.error: Exception | None = None
        self.active = False
        self._unflushed = False
        self._synced = True
        self._fd = self.pg.socket

    # -- the pipeline -----------------------------------------------------------------------------
    def open(self) -> None:
        self.pg.enter_pipeline_mode()
        self.active = True

    def close(self) -> None:
        """Leave pipeline mode (after reading what is pending); errors raised here are connection errors."""
        if not self.active:
            return
        try:
            if not self._synced:  # libpq learns the transaction's state only at a sync
                with contextlib.suppress(psycopg.Error):
                    self.sync()
        finally:
            self.active = False
            self.entries.clear()
            self.error = None
            if not self.conn.broken and not self.conn.closed:
                self.pg.exit_pipeline_mode()

    # -- statements -----------------------------------------------------------------------------
    def execute(self, sql: str, args: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        """Queue a statement whose result nobody reads (its error still counts)."""
        self._send(sql, args, False)

    def query(self, sql: str, args: Sequence[Any] | Mapping[str, Any] | None = None) -> Entry:
        """Queue a statement whose rows ``rows`` returns."""
        return self._send(sql, args, True)

    def control(self, sql: bytes) -> None:
        """Queue a statement without parameters that is never prepared (savepoints, BEGIN, COMMIT)."""
        if self.error is not None:
            raise self.error
        try:
            self.pg.send_query_params(sql, None)
        except psycopg.OperationalError:
            self._lost()
            raise
        self.entries.append(Entry(False))
        self._unflushed = True
        self._synced = False

    def _send(self, sql: str, args: Sequence[Any] | Mapping[str, Any] | None, keep: bool) -> Entry:
        if self.error is not None:
            raise self.error
        query, names = convert(sql)
        if names is not None:
            assert isinstance(args, Mapping)
            values: Sequence[Any] = [args[n] for n in names]
        else:
            values = () if args is None else args  # type: ignore[assignment]
        params: list[bytes | None] = []
        types: list[int] = []
        for v in values:
            t = type(v)
            if t is str:
                params.append(v.encode())
                types.append(_UNKNOWN)
            elif v is None:
                params.append(None)
                types.append(_UNKNOWN)
            elif t is int:
                params.append(str(v).encode())
                types.append(_INT8 if v in _INT8_RANGE else _NUMERIC)
            elif t is bytes:
                params.append(v)
                types.append(_TEXT)
            elif t is bool:
                params.append(b"t" if v else b"f")
                types.append(_BOOL)
            elif t is float:
                params.append(repr(v).encode())
                types.append(_FLOAT8)
            elif t is list and all(type(x) is str or x is None for x in v):
                params.append(("{" + ",".join(_array_item(x) for x in v) + "}").encode())
                types.append(_TEXT_ARRAY)
            else:  # anything else as psycopg would send it
                dumped = self.tx.dump_sequence([v], [PyFormat.TEXT])
                item = dumped[0]
                params.append(None if item is None else bytes(item))
                types.append(self.tx.types[0] if self.tx.types else _UNKNOWN)
        key = (sql, tuple(types))
        name = self.names.get(key)
        pg = self.pg
        try:
            if name is None:
                seen = self.seen
                if len(seen) >= _SEEN_MAX:  # statement texts seen once (searches build many): forget them
                    seen.clear()
                count = seen.get(key, 0) + 1
                seen[key] = count
                if count >= 2 and len(self.names) < MAX_PREPARED:
                    name = self.names[key] = b"_pw%d" % next(self._numbers)
                    pg.send_prepare(name, query, types)
                    self.entries.append(Entry(False, key))
            if name is not None:
                pg.send_query_prepared(name, params, None)
            else:
                pg.send_query_params(query, params, types, None, 0)
        except psycopg.OperationalError:
            self._lost()
            raise
        entry = Entry(keep)
        self.entries.append(entry)
        self._unflushed = True
        self._synced = False
        return entry

    # -- results --------------------------------------------------------------------------------
    def rows(self, entry: Entry) -> list[tuple[Any, ...]]:
        """The rows of a queued ``query`` (sending what is queued and waiting if needed)."""
        if not entry.done:
            try:
                if self._unflushed:
                    self.pg.send_flush_request()
                    self._unflushed = False
                self._flush()
                while not entry.done:
                    self._read_next()
            except psycopg.OperationalError:
                self._lost()
                raise
        if entry.error is not None:
            raise entry.error
        return entry.rows

    def push(self) -> None:
        """Have the server start on what is queued, without waiting: its results are read later, and
        meanwhile the thread does other work (the next request) while the server executes."""
        if not self._unflushed:
            return
        try:
            # No flush request: the server runs the statements as they arrive but keeps their results
            # until the next read asks for them, so that read wakes this thread once, not per statement.
            self.pg.flush()  # whatever the socket takes now; the rest goes with the next send
        except psycopg.OperationalError:
            self._lost()
            raise

    def sync(self) -> None:
        """Send everything queued, wait for all of it, and raise the first error (then forgotten)."""
        try:
            self.pg.pipeline_sync()
            self.entries.append(_SYNC_MARK)
            self._unflushed = False
            self._synced = True
            self._flush()
            while True:
                last = self.entries[0] is _SYNC_MARK
                self._read_next()
                if last:
                    break
        except psycopg.OperationalError:
            self._lost()
            raise
        err, self.error = self.error, None
        if err is not None:
            raise err

    def _lost(self) -> None:
        """libpq failed to talk to the server: close the connection, so psycopg and the store see it
        closed (libpq itself may still call it healthy) and the next call reconnects."""
        self.entries.clear()
        self.error = None
        self.active = False
        if not self.conn.closed:
            self.pg.finish()

    def _read_next(self) -> None:
        entry = self.entries[0]
        r = self._result()
        if r is None:  # a protocol surprise: never leave the caller waiting on it
            raise psycopg.OperationalError("the server sent no result where one was due")
        if entry is _SYNC_MARK:
            self.entries.popleft()
            return
        status = r.status
        if status == _TUPLES:
            if entry.keep:
                tx = self.tx
                tx.set_pgresult(r)
                entry.rows = tx.load_rows(0, r.ntuples, tuple)
        elif status != _COMMAND:
            if status == _ABORTED:
                entry.error = self.error or psycopg.OperationalError("pipeline aborted")
            else:
                err = entry.error = psycopg.errors.error_from_result(r, encoding=self.conn.info.encoding)
                if (err.sqlstate or "").startswith(_GONE):
                    raise err  # the server is closing this connection (``rows`` and ``sync`` close it)
                if self.error is None:
                    self.error = err
            if entry.prepared is not None:
                self.names.pop(entry.prepared, None)
        self._result()  # the NULL that ends a statement's results
        entry.done = True
        self.entries.popleft()

    def _result(self) -> pq.abc.PGresult | None:
        pg = self.pg
        while pg.is_busy():
            self._wait(select.POLLIN)
            pg.consume_input()
        return pg.get_result()

    def _flush(self) -> None:
        pg = self.pg
        while pg.flush():
            # Read while writing: the server may be blocked sending us results.
            if self._wait(select.POLLIN | select.POLLOUT) & select.POLLIN:
                pg.consume_input()

    def _wait(self, events: int) -> int:
        """Block until the socket is readable (or writable, if asked); the events that are ready."""
        fd = self._fd
        writing = [fd] if events & select.POLLOUT else []
        readable, writable, _ = select.select([fd], writing, [])
        return (select.POLLIN if readable else 0) | (select.POLLOUT if writable else 0)
