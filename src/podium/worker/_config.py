"""Deployment-time settings from environment variables (domains, concurrency, pause)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping

from podium.worker._spec import WorkerTask

NO_DOMAIN = "NO_DOMAIN"
_TRUE = frozenset({"1", "true", "yes", "on"})


def env_key(task_name: str) -> str:
    """``charge-card.v2`` → ``CHARGE_CARD_V2`` (for ``PODIUM_WORKER_<KEY>_DOMAIN`` and friends)."""
    return re.sub(r"[^A-Za-z0-9]", "_", task_name).upper()


def _lookup(env: Mapping[str, str], task_name: str, setting: str) -> str | None:
    specific = env.get(f"PODIUM_WORKER_{env_key(task_name)}_{setting}")
    if specific is not None and specific.strip():
        return specific.strip()
    general = env.get(f"PODIUM_WORKER_{setting}")
    return general.strip() if general is not None and general.strip() else None


def _domain(value: str | None) -> str | None:
    return None if not value or value == NO_DOMAIN else value


def configure(spec: WorkerTask, default_domain: str | None, env: Mapping[str, str] | None = None) -> WorkerTask:
    """Apply environment overrides to a worker.

    Domain: ``PODIUM_WORKER_<TASK>_DOMAIN``, then ``PODIUM_WORKER_DOMAIN``, then the decorator's
    ``domain``, then the runner's default (``NO_DOMAIN`` or empty = no domain). Likewise
    ``..._CONCURRENCY`` and ``..._PAUSED`` (true/false) override the decorator.
    """
    env = os.environ if env is None else env
    domain = _lookup(env, spec.name, "DOMAIN")
    if domain is None:
        domain = spec.domain if spec.domain is not None else default_domain
    resolved = _domain(domain)
    concurrency = spec.concurrency
    raw = _lookup(env, spec.name, "CONCURRENCY")
    if raw is not None:
        concurrency = int(raw)
    paused = spec.paused
    raw = _lookup(env, spec.name, "PAUSED")
    if raw is not None:
        paused = raw.lower() in _TRUE
    if (resolved, concurrency, paused) == (spec.domain, spec.concurrency, spec.paused):
        return spec
    return spec.with_options(domain=resolved, concurrency=concurrency, paused=paused)


def default_worker_id(env: Mapping[str, str] | None = None) -> str:
    """``PODIUM_WORKER_ID``, else ``<hostname>-<pid>``."""
    env = os.environ if env is None else env
    return env.get("PODIUM_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}"


def default_server_url(env: Mapping[str, str] | None = None) -> str:
    """``PODIUM_SERVER_URL``, else ``CONDUCTOR_SERVER_URL``, else ``http://localhost:8080``."""
    env = os.environ if env is None else env
    return env.get("PODIUM_SERVER_URL") or env.get("CONDUCTOR_SERVER_URL") or "http://localhost:8080"
