"""The embedded SQLite store: one process owns one WAL file (the SQLite differences of the shared SQL store).

``store`` holds the records, ``connection`` the plumbing (migrations, units of work, group commit),
``search`` the execution search and free-text index.
"""

from podium.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
