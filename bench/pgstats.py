"""What PostgreSQL did for a measured phase: statements, commits, WAL bytes, lock waits, its processes.

Read over an administrator connection to the server of ``--db`` (the workload's own database is
named). Each figure is best effort: without ``pg_stat_statements`` (``shared_preload_libraries``
and ``CREATE EXTENSION`` in the ``--db`` database) the statement counts are missing; without
``--pg-log`` (the server's log file, with ``log_lock_waits = on``) the lock waits are.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Transaction control and savepoints: sent by the store, but not work of their own.
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|START)\b", re.I)
# ``log_lock_waits``: "process 123 acquired ShareLock on transaction 456 after 12.345 ms".
_ACQUIRED = re.compile(r"process \d+ acquired \w+ on .* after ([0-9.]+) ms")
_STILL = re.compile(r"process \d+ still waiting for \w+ on .* after ([0-9.]+) ms")


def postgres_pids(admin_url: str) -> list[int] | None:
    """The local cluster's postmaster and its children (other clusters on the machine excluded)."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True) as c:
            row = c.execute("SELECT setting FROM pg_settings WHERE name = 'data_directory'").fetchone()
        head = Path(str(row[0]), "postmaster.pid").read_text().split("\n", 1)[0] if row else ""
        master = int(head)
    except (psycopg.Error, OSError, ValueError):
        return None
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry))
    return pids


class PgCounters:
    """Counters of one database between ``__init__`` and ``stop``."""

    def __init__(self, admin_url: str, db_url: str, log_path: Path | None = None) -> None:
        import psycopg

        self.admin_url = admin_url
        self.db = urlsplit(db_url).path.lstrip("/")
        self.log_path = log_path
        self.statements = True
        self._log_at = log_path.stat().st_size if log_path is not None and log_path.exists() else 0
        with psycopg.connect(admin_url, autocommit=True) as c:
            try:
                c.execute("SELECT pg_stat_statements_reset()")
            except psycopg.Error:
                self.statements = False
            self._start = self._read(c)
            row = c.execute("SELECT setting::float FROM pg_settings WHERE name = 'deadlock_timeout'").fetchone()
            self.deadlock_timeout_ms = float(row[0]) if row else 1000.0

    def _read(self, c: Any) -> tuple[int, int, int]:
        lsn, commits, rollbacks = c.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, xact_commit, xact_rollback"
            " FROM pg_stat_database WHERE datname = %s",
            (self.db,),
        ).fetchone()
        return int(lsn), int(commits), int(rollbacks)

    def stop(self, tasks: int) -> tuple[dict[str, Any], list[str]]:
        """Per-task figures, and notes naming the statements sent most often."""
        import psycopg

        per = max(1, tasks)
        out: dict[str, Any] = {}
        notes: list[str] = []
        with psycopg.connect(self.admin_url, autocommit=True) as c:
            # pg_stat_database is updated when a backend reports; a short wait lets them report.
            c.execute("SELECT pg_sleep(0.6)")
            c.execute("SELECT pg_stat_clear_snapshot()")
            lsn, commits, rollbacks = (b - a for a, b in zip(self._start, self._read(c), strict=True))
            out["pg_wal_bytes_per_task"] = round(lsn / per)
            out["pg_commits_per_task"] = round(commits / per, 2)
            out["pg_rollbacks_per_task"] = round(rollbacks / per, 3)
            if self.statements:
                try:
                    rows = c.execute(
                        "SELECT query, calls, total_exec_time, wal_bytes, shared_blks_hit + shared_blks_read"
                        " FROM pg_stat_statements s"
                        " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s ORDER BY calls DESC",
                        (self.db,),
                    ).fetchall()
                except psycopg.Error as e:
                    notes.append(f"pg_stat_statements unreadable: {e}")
                    rows = []
                total = sum(int(r[1]) for r in rows)
                control = sum(int(r[1]) for r in rows if _CONTROL.match(r[0]))
                out["pg_statements_per_task"] = round(total / per, 2)
                out["pg_work_statements_per_task"] = round((total - control) / per, 2)
                out["pg_exec_ms_per_task"] = round(sum(float(r[2]) for r in rows) / per, 4)
                # Pages the statements touched: unlike CPU time, not moved by how fast the machine is now.
                out["pg_buffers_per_task"] = round(sum(int(r[4]) for r in rows) / per, 1)
                top = [f"{int(r[1]) / per:.2f}x {' '.join(str(r[0]).split())[:70]}" for r in rows[:12]]
                notes.append("statements per task: " + " | ".join(top))
        out.update(self._lock_waits(tasks))
        return out, notes

    def _lock_waits(self, tasks: int) -> dict[str, Any]:
        """Lock waits the server logged (``log_lock_waits``: each wait longer than ``deadlock_timeout``)."""
        if self.log_path is None or not self.log_path.exists():
            return {}
        with open(self.log_path, "rb") as f:
            f.seek(self._log_at)
            text = f.read().decode("utf-8", "replace")
        waits = [float(m.group(1)) for m in _ACQUIRED.finditer(text)]
        unfinished = [float(m.group(1)) for m in _STILL.finditer(text)]
        # Locks taken per task: the poll's claim and the update's workflow lock (at least two).
        taken = max(len(waits), 2 * tasks)
        waits.sort()
        out: dict[str, Any] = {"pg_lock_waits_logged": len(waits), "pg_lock_waits_started": len(unfinished)}
        # Waits shorter than deadlock_timeout are not logged: they count as below it.
        k = int(0.99 * taken)
        below = taken - len(waits)
        # Below that the p99 is only known to be at most deadlock_timeout, which is reported.
        out["pg_lock_wait_p99_ms"] = self.deadlock_timeout_ms if k < below else round(waits[k - below], 2)
        out["pg_lock_wait_max_ms"] = round(waits[-1], 2) if waits else 0.0
        return out
