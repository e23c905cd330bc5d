"""Payloads kept in this process's memory (in-process engines and tests without a directory)."""

from __future__ import annotations


class MemoryPayloads:
    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def put(self, path: str, data: bytes) -> None:
        self._data[path] = data

    def get(self, path: str) -> bytes | None:
        return self._data.get(path)

    def delete(self, path: str) -> None:
        self._data.pop(path, None)

    def direct_uri(self, path: str, write: bool, expires_s: int) -> str | None:
        return None

    def close(self) -> None:
        return None
