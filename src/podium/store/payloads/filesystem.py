"""Payloads kept as files in one directory (the default: beside the SQLite database file)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FilesystemPayloads:
    """One file per payload under ``root``; a write lands whole (written aside, then renamed)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _file(self, path: str) -> Path:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"payload path escapes the store: {path!r}")
        return target

    def put(self, path: str, data: bytes) -> None:
        target = self._file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, path: str) -> bytes | None:
        try:
            return self._file(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def delete(self, path: str) -> None:
        self._file(path).unlink(missing_ok=True)

    def direct_uri(self, path: str, write: bool, expires_s: int) -> str | None:
        return None

    def close(self) -> None:
        return None
