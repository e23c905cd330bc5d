"""An online copy of a SQLite database, safe while a server writes to it.

SQLite's backup API copies every page in one step inside a read transaction: in WAL mode the server's
writes go on meanwhile (readers and the writer do not block each other), and the copy is the database
as it was at one commit. The copy is written beside the target and renamed into place, so a target
file is either the previous one or a whole backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The key that seals secret values when PODIUM_SECRETS_KEY is not set lives beside the database.
SECRETS_KEY_SUFFIX = ".secrets-key"


@dataclass(frozen=True, slots=True)
class BackupResult:
    target: Path
    size_bytes: int
    workflows: int
    secrets_key: Path | None  # the copy of the secrets key file, when the database has one


def sqlite_path(db_url: str) -> Path:
    """The file of a ``sqlite:///path`` URL; ValueError for other databases or an in-memory one."""
    if not db_url.startswith("sqlite:///"):
        raise ValueError("backups here are of SQLite databases; back up PostgreSQL with pg_dump")
    path = db_url[len("sqlite:///") :].split("?", 1)[0]
    if not path or path == ":memory:":
        raise ValueError("an in-memory database has no file to back up")
    return Path(path)


def backup(source: Path, target: Path) -> BackupResult:
    """Copy the database at ``source`` to ``target`` (replaced if it exists), with its secrets key file."""
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # every page in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                ok = dst.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise RuntimeError(f"the copy failed its check: {ok}")
                workflows = int(dst.execute("SELECT count(*) FROM workflows").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    key_copy: Path | None = None
    key = Path(str(source) + SECRETS_KEY_SUFFIX)
    if key.is_file():
        key_copy = Path(str(target) + SECRETS_KEY_SUFFIX)
        shutil.copy2(key, key_copy)
        os.chmod(key_copy, 0o600)
    return BackupResult(target, target.stat().st_size, workflows, key_copy)
