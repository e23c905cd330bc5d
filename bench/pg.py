"""PostgreSQL runs: one database per workload, made from the --db URL's server and dropped after.

That gives each workload the fresh store a SQLite run gets from its temp file. Without the
CREATEDB privilege the workloads share the --db database instead (and leave their rows in it).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> str | None:
    """Create database ``name`` on the server of ``admin_url``; its URL, or None if not allowed."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as e:
        print(f"[bench] cannot create database {name} ({e}); using {admin_url} as is", file=sys.stderr)
        return None
    return _with_db(admin_url, name)


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
