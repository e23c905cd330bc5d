"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, pg_ctl on a free loopback port.

As root the server runs as the ``postgres`` user (initdb refuses root). Each test gets its own
database cloned from a migrated template, which takes milliseconds.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

TEMPLATE = "podium_template"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_os_user() -> str:
    """As root, the account the server runs as (initdb refuses root): ``postgres``, created if missing."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True, capture_output=True)
    return "postgres"


def pg_bin_dir() -> Path | None:
    """Where initdb and pg_ctl live: PATH first, else the newest /usr/lib/postgresql/<ver>/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


class PgCluster:
    """One PostgreSQL server process owned by the test run."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="podium-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.user = "podium"
        self._as_root = os.geteuid() == 0
        self._os_user = _server_os_user() if self._as_root else ""
        self._names = itertools.count()

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        return ["runuser", "-u", self._os_user, "--", *cmd] if self._as_root else cmd

    def init(self) -> PgCluster:
        if self._as_root:
            shutil.chown(self.root, self._os_user)
        subprocess.run(
            self._cmd("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync"),
            check=True,
            capture_output=True,
        )
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                # A test cluster trades crash safety for speed; a clean restart keeps everything.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 128MB\n"
            )
        return self

    def start(self) -> PgCluster:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"),
            check=True,
            capture_output=True,
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"),
            check=False,
            capture_output=True,
        )

    def restart(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w", "-t", "60", "restart"),
            check=True,
            capture_output=True,
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(), autocommit=True)

    def create_database(self, template: str | None = TEMPLATE, name: str | None = None) -> str:
        """A new empty (or template-cloned) database; returns its name."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        tpl = f" TEMPLATE {template}" if template else ""
        with self.admin() as c:
            c.execute(f'CREATE DATABASE "{name}"{tpl}')
        return name

    @contextmanager
    def login_role(self, dbname: str, prefix: str, *grants: str) -> Iterator[tuple[str, str]]:
        """A login role for one test: (its name, ``dbname``'s URL for it). ``grants`` run in ``dbname`` as
        the admin, with ``{role}`` filled in; afterwards what the role owns or was granted there goes too."""
        role = f"{prefix}_{dbname}"
        with self.admin() as c:
            c.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            with psycopg.connect(self.url(dbname), autocommit=True) as c:
                for grant in grants:
                    c.execute(grant.format(role=f'"{role}"'))
            yield role, self.url(dbname).replace(f"{self.user}@", f"{role}@")
        finally:
            with psycopg.connect(self.url(dbname), autocommit=True) as c:
                c.execute(f'DROP OWNED BY "{role}"')
            with self.admin() as c:
                c.execute(f'DROP ROLE "{role}"')

    def drop_database(self, name: str) -> None:
        with self.admin() as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def make_template(self) -> None:
        """A database with the current schema, cloned by ``create_database``."""
        from podium.store.postgres import PostgresStore

        self.create_database(template=None, name=TEMPLATE)
        PostgresStore(self.url(TEMPLATE)).close()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PgCluster:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; .ci/run installs them")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    cluster = PgCluster(bin_dir).init().start()
    try:
        cluster.make_template()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgCluster]:
    """A PostgreSQL server for the whole test session, removed at the end."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture()
def pg_url(postgres: PgCluster) -> Iterator[str]:
    """A fresh, migrated database of its own for one test."""
    name = postgres.create_database()
    try:
        yield postgres.url(name)
    finally:
        postgres.drop_database(name)
