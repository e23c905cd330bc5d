"""Back ends of the external payload store (``PayloadStore``): a directory, PostgreSQL, S3."""

from __future__ import annotations

from podium.store.payloads.filesystem import FilesystemPayloads
from podium.store.payloads.memory import MemoryPayloads

__all__ = ["FilesystemPayloads", "MemoryPayloads"]
