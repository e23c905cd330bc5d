"""Server settings, from command-line options and PODIUM_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(slots=True)
class Settings:
    """Everything the composition root needs to build a server."""

    db: str = field(default_factory=lambda: os.environ.get("PODIUM_DB", "sqlite:///./podium.db"))
    host: str = field(default_factory=lambda: os.environ.get("PODIUM_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _env_int("PODIUM_PORT", 8080))
    max_payload_bytes: int = field(default_factory=lambda: _env_int("PODIUM_MAX_PAYLOAD_BYTES", 5 * 2**20))
    sweep_interval_ms: int = field(default_factory=lambda: _env_int("PODIUM_SWEEP_INTERVAL_MS", 1000))
    system_task_interval_ms: int = field(default_factory=lambda: _env_int("PODIUM_SYSTEM_TASK_INTERVAL_MS", 200))
    poll_data_flush_ms: int = field(default_factory=lambda: _env_int("PODIUM_POLL_DATA_FLUSH_MS", 1000))
    server_id: str = field(default_factory=lambda: os.environ.get("PODIUM_SERVER_ID", os.uname().nodename))
    http_allow: list[str] = field(default_factory=lambda: _split(os.environ.get("PODIUM_HTTP_ALLOW", "")))
    run_background: bool = True


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",") if p.strip()]
