"""The PostgreSQL store, safe for many server nodes on one database (the PostgreSQL differences of the
shared SQL store).

``store`` holds the multi-node records (row locks, SKIP LOCKED, leases, NOTIFY), ``base`` the rest;
``connector``, ``session`` and ``group`` the connections, pipelining and group commit; ``listen`` the
LISTEN side; ``migrations`` the schema upgrades; ``runs`` the multi-row statements.
"""

from podium.store.postgres.store import SWEEP_LEASE_MS, PostgresStore

__all__ = ["SWEEP_LEASE_MS", "PostgresStore"]
