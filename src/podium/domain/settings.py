"""Server settings: plain values, parsed from PODIUM_* variables of a mapping the caller passes in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from podium.domain.durations import parse_duration
from podium.domain.limits import Limits


@dataclass(slots=True)
class Settings:
    """Everything the composition root needs to build a server."""

    db: str = "sqlite:///./podium.db"
    host: str = "127.0.0.1"
    port: int = 8080
    max_payload_bytes: int = 5 * 2**20
    sweep_interval_ms: int = 1000
    system_task_interval_ms: int = 200
    poll_data_flush_ms: int = 1000
    # PostgreSQL: how often the task queue table is vacuumed (PODIUM_QUEUE_COMPACT_MS; 0: left to autovacuum).
    queue_compact_ms: int = 1000
    server_id: str = "podium"
    http_allow: list[str] = field(default_factory=list)
    # Host names (Host/Origin) the server answers to besides loopback ones; "*": any (browser_guard.py)
    allowed_hosts: list[str] = field(default_factory=list)
    run_background: bool = True
    # Workflow schedules (issue #15): whether this node fires them (PODIUM_SCHEDULER=off leaves it to the
    # other nodes of its database, as Conductor's conductor.scheduler.enabled does). The API works either way.
    scheduler: bool = True
    # Days a schedule's execution records are kept (PODIUM_SCHEDULER_HISTORY_DAYS; 0: for ever).
    scheduler_history_days: int = 30
    limits: Limits = field(default_factory=Limits)
    # Access control (issue #13): off by default; PODIUM_AUTH=on or ``podium server --auth``.
    auth: bool = False
    auth_open_metrics: bool = False
    auth_token_ttl_seconds: int = 3600
    # Secrets (issue #14): the key that encrypts their values (32 bytes, base64 or hex); PODIUM_SECRETS_KEY.
    secrets_key: str | None = None

    payload_store: str = ""
    """Where payloads over Conductor's thresholds go (``PODIUM_PAYLOAD_STORE``): a directory path or
    ``file:///dir``, ``postgresql://...`` (a table of that database), or ``s3://bucket?endpoint=...``.
    Empty: a directory beside the SQLite file, or the PostgreSQL database itself."""

    # What the server writes (issue #16): PODIUM_LOG_LEVEL, PODIUM_LOG_FORMAT (text|json), PODIUM_ACCESS_LOG.
    log_level: str = "info"
    log_format: str = "text"
    access_log: bool = False
    # Retention (issue #16): ended workflows older than this are removed; 0 keeps them for ever.
    # PODIUM_RETENTION is a duration ("30d", "12h"); a definition may say otherwise (service/retention.py).
    retention_seconds: int = 0
    retention_interval_ms: int = 60_000
    retention_batch: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str], node_name: str) -> Settings:
        """Settings from ``env`` (``os.environ`` at the composition root); ``node_name`` is the default server id."""
        d = cls()

        def num(name: str, default: int) -> int:
            raw = env.get(name)
            return int(raw) if raw else default

        def flag(name: str) -> bool:
            raw = env.get(name, "").strip().lower()
            if raw in ("", "off", "false", "0", "no"):
                return False
            if raw in ("on", "true", "1", "yes"):
                return True
            raise ValueError(f"{name} must be on or off, not {raw!r}")

        return cls(
            db=env.get("PODIUM_DB", d.db),
            host=env.get("PODIUM_HOST", d.host),
            port=num("PODIUM_PORT", d.port),
            max_payload_bytes=num("PODIUM_MAX_PAYLOAD_BYTES", d.max_payload_bytes),
            sweep_interval_ms=num("PODIUM_SWEEP_INTERVAL_MS", d.sweep_interval_ms),
            system_task_interval_ms=num("PODIUM_SYSTEM_TASK_INTERVAL_MS", d.system_task_interval_ms),
            poll_data_flush_ms=num("PODIUM_POLL_DATA_FLUSH_MS", d.poll_data_flush_ms),
            queue_compact_ms=num("PODIUM_QUEUE_COMPACT_MS", d.queue_compact_ms),
            server_id=env.get("PODIUM_SERVER_ID", node_name),
            http_allow=[p.strip() for p in env.get("PODIUM_HTTP_ALLOW", "").split(",") if p.strip()],
            allowed_hosts=[h.strip() for h in env.get("PODIUM_ALLOWED_HOSTS", "").split(",") if h.strip()],
            limits=Limits.from_env(env),
            auth=flag("PODIUM_AUTH"),
            auth_open_metrics=flag("PODIUM_AUTH_OPEN_METRICS"),
            auth_token_ttl_seconds=num("PODIUM_AUTH_TOKEN_TTL_SECONDS", d.auth_token_ttl_seconds),
            secrets_key=env.get("PODIUM_SECRETS_KEY") or None,
            payload_store=env.get("PODIUM_PAYLOAD_STORE", d.payload_store),
            scheduler=flag("PODIUM_SCHEDULER") if env.get("PODIUM_SCHEDULER", "").strip() else d.scheduler,
            scheduler_history_days=num("PODIUM_SCHEDULER_HISTORY_DAYS", d.scheduler_history_days),
            log_level=env.get("PODIUM_LOG_LEVEL", d.log_level),
            log_format=env.get("PODIUM_LOG_FORMAT", d.log_format),
            access_log=flag("PODIUM_ACCESS_LOG"),
            retention_seconds=retention_seconds(env.get("PODIUM_RETENTION", "")),
            retention_interval_ms=num("PODIUM_RETENTION_INTERVAL_MS", d.retention_interval_ms),
            retention_batch=num("PODIUM_RETENTION_BATCH", d.retention_batch),
        )


def retention_seconds(text: str) -> int:
    """A retention setting in seconds: a duration such as ``30d`` or ``12h``; empty, ``0`` or ``forever``: 0
    (kept for ever)."""
    raw = text.strip().lower()
    if raw in ("", "0", "off", "forever", "never"):
        return 0
    if raw.isdigit():
        return int(raw)
    return parse_duration(raw)
