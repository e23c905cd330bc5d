"""Payloads kept in a PostgreSQL table of their own (``external_payloads``, migration 0006).

Its own autocommit connection: a payload is written before the transaction that writes the record
naming it, and stays written if that transaction rolls back (an unreferenced payload, never a
record pointing at nothing).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from podium.store.postgres.migrations import migrate
from podium.store.postgres.queries import Q


class PostgresPayloads:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        with self._lock:
            migrate(self._connection())  # the same schema as the store's (a no-op once applied)

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn

    def _run(self, name: str, args: tuple[Any, ...]) -> list[Any]:
        with self._lock:
            for attempt in (1, 2):  # one reconnect after a dropped connection
                try:
                    cur = self._connection().execute(Q[name], args)
                    return cur.fetchall() if cur.description else []
                except psycopg.OperationalError:
                    if attempt == 2 or (self._conn is not None and not self._conn.closed):
                        raise
        raise AssertionError("unreachable")

    def put(self, path: str, data: bytes) -> None:
        self._run("put_payload", (path, data, int(time.time() * 1000)))

    def get(self, path: str) -> bytes | None:
        rows = self._run("get_payload", (path,))
        return bytes(rows[0][0]) if rows else None

    def delete(self, path: str) -> None:
        self._run("delete_payload", (path,))

    def direct_uri(self, path: str, write: bool, expires_s: int) -> str | None:
        return None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
